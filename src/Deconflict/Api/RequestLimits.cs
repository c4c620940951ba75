using Deconflict.Service;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Deconflict.Api;

/// <summary>
/// The documented limits on a request's target and headers, refused with a problem+json body
/// (414 <c>uri-too-long</c>, 431 <c>headers-too-large</c>). Kestrel answers its own limit
/// breaches, and a request it cannot parse at all (400), before any middleware runs, with an
/// empty body, and offers no way to change that answer (a maintainer's word: "this category of
/// errors is not customisable", aspnet/KestrelHttpServer#2947). So Kestrel's limits are set to
/// twice these, and these are checked here first: a request over the documented limit but within
/// Kestrel's gets the problem body; only one over twice the limit, or not HTTP at all, still gets
/// Kestrel's bare 414, 431 or 400. Counting costs one pass over the request's headers (about ten
/// on an API call).
/// </summary>
public static class RequestLimits
{
    /// <summary>Most bytes of the request target (path and query, as sent).</summary>
    public const int MaxTargetBytes = 8 * 1024;

    /// <summary>Most bytes of all header lines together (name, ": ", value and CRLF each).</summary>
    public const int MaxHeaderBytes = 32 * 1024;

    /// <summary>Most header lines.</summary>
    public const int MaxHeaderCount = 100;

    /// <summary>Kestrel's own limits: twice the documented ones, so those are met here first.</summary>
    public static void Configure(KestrelServerLimits limits)
    {
        // The request line is the method, the target and the version: 64 bytes is room for the others.
        limits.MaxRequestLineSize = (2 * MaxTargetBytes) + 64;
        limits.MaxRequestHeadersTotalSize = 2 * MaxHeaderBytes;
        limits.MaxRequestHeaderCount = 2 * MaxHeaderCount;
    }

    /// <summary>Refuses a request over the documented limits with its problem, before any endpoint runs.</summary>
    public static IApplicationBuilder UseRequestLimits(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        if (Check(http) is { } refused)
        {
            await Problems.ToResult(refused).ExecuteAsync(http);
            return;
        }

        await next(http);
    });

    private static Refusal? Check(HttpContext http)
    {
        var target = http.Features.Get<IHttpRequestFeature>()?.RawTarget.Length ?? 0;
        if (target > MaxTargetBytes)
        {
            return new Refusal(RefusalReason.UriTooLong, $"The request target is {target} bytes; the limit is {MaxTargetBytes}.");
        }

        var headers = http.Request.Headers;
        var count = 0;
        var bytes = 0;
        foreach (var (name, values) in headers)
        {
            foreach (var value in values)
            {
                count++;
                bytes += name.Length + (value?.Length ?? 0) + 4;
            }
        }

        if (count > MaxHeaderCount)
        {
            return new Refusal(RefusalReason.HeadersTooLarge, $"The request has {count} header lines; the limit is {MaxHeaderCount}.");
        }

        return bytes > MaxHeaderBytes
            ? new Refusal(RefusalReason.HeadersTooLarge, $"The request headers are {bytes} bytes; the limit is {MaxHeaderBytes}.")
            : null;
    }
}
