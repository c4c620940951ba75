using System.Collections.Immutable;

namespace Deconflict.Api;

/// <summary>A refusal: a stable code from the API contract, a sentence for people, and extra members for machines.</summary>
public sealed record ApiError(string Code, string Detail, ImmutableDictionary<string, object?>? Extensions = null)
{
    public ApiError With(string name, object? value) =>
        this with { Extensions = (Extensions ?? ImmutableDictionary<string, object?>.Empty).SetItem(name, value) };
}

/// <summary>Either a value or a refusal. A refused write changes nothing.</summary>
public readonly record struct Outcome<T>(T? Value, ApiError? Error)
{
    public bool Ok => Error is null;

    public static implicit operator Outcome<T>(T value) => new(value, null);

    public static implicit operator Outcome<T>(ApiError error) => new(default, error);
}

/// <summary>Error codes and the one place where they become HTTP statuses.</summary>
public static class Problems
{
    public const string InvalidRequest = "invalid-request";
    public const string InvalidVolume = "invalid-volume";
    public const string UnknownUnits = "unknown-units";
    public const string InvalidParameter = "invalid-parameter";
    public const string VersionMismatch = "version-mismatch";
    public const string PreconditionRequired = "precondition-required";
    public const string MissingAwareness = "missing-awareness";
    public const string Conflict = "conflict";
    public const string AlreadyExists = "already-exists";
    public const string InvalidState = "invalid-state";
    public const string NotFound = "not-found";
    public const string Forbidden = "forbidden";
    public const string Unauthorized = "unauthorized";
    public const string PayloadTooLarge = "payload-too-large";
    public const string UnsupportedMediaType = "unsupported-media-type";
    public const string MethodNotAllowed = "method-not-allowed";
    public const string Internal = "internal";
    public const string UnknownHead = "unknown-head";
    public const string InvalidSignature = "invalid-signature";
    public const string SplitView = "split-view";
    public const string InvalidReference = "invalid-reference";
    public const string LimitExceeded = "limit-exceeded";
    public const string RateLimited = "rate-limited";
    public const string QuotaExceeded = "quota-exceeded";
    public const string StorageUnavailable = "storage-unavailable";
    public const string InvalidTime = "invalid-time";
    public const string DuplicateMember = "duplicate-member";
    public const string ControlCharacter = "control-character";
    public const string InvalidWebhook = "invalid-webhook";
    public const string UriTooLong = "uri-too-long";
    public const string HeadersTooLarge = "headers-too-large";

    /// <summary>The extension member that carries a retry delay in whole seconds; <see cref="ToResult"/> also sends it as Retry-After.</summary>
    public const string RetryAfterMember = "retry_after_s";

    private static readonly Dictionary<string, (int Status, string Title)> Table = new(StringComparer.Ordinal)
    {
        [InvalidRequest] = (400, "The request is not valid"),
        [InvalidVolume] = (400, "A volume is not valid"),
        [UnknownUnits] = (400, "A value has no known unit or reference"),
        [InvalidParameter] = (400, "A query parameter is not valid"),
        [Unauthorized] = (401, "No valid token"),
        [Forbidden] = (403, "This token may not do this"),
        [NotFound] = (404, "Not found"),
        [MethodNotAllowed] = (405, "Method not allowed"),
        [MissingAwareness] = (409, "The writer has not seen every conflicting declaration"),
        [Conflict] = (409, "Refused: the write would create a conflict"),
        [AlreadyExists] = (409, "It already exists"),
        [InvalidState] = (409, "Not possible in the object's state"),
        [VersionMismatch] = (412, "The version given is not the current one"),
        [PayloadTooLarge] = (413, "The request body is too large"),
        [UnsupportedMediaType] = (415, "Send application/json"),
        [PreconditionRequired] = (428, "If-Match with the current version is required"),
        [Internal] = (500, "Internal error"),
        [UnknownHead] = (409, "The service signed no such head"),
        [InvalidSignature] = (400, "The signature does not verify"),
        [SplitView] = (409, "The head is inconsistent with one the party witnessed before"),
        [InvalidReference] = (400, "A reference is not to an object you may see"),
        [LimitExceeded] = (400, "A documented size limit is exceeded"),
        [RateLimited] = (429, "Too many requests"),
        [QuotaExceeded] = (429, "The party's quota is used up"),
        [StorageUnavailable] = (503, "The store cannot write now"),
        [InvalidTime] = (400, "A time is not valid"),
        [DuplicateMember] = (400, "A JSON member appears twice"),
        [ControlCharacter] = (400, "A text holds a control character"),
        [InvalidWebhook] = (400, "The webhook target is not allowed"),
        [UriTooLong] = (414, "The request URI is too long"),
        [HeadersTooLarge] = (431, "The request headers are too large"),
    };

    public static int Status(string code) => Table.TryGetValue(code, out var t) ? t.Status : 500;

    public static string Title(string code) => Table.TryGetValue(code, out var t) ? t.Title : "Error";

    public static IResult ToResult(ApiError error)
    {
        var status = Status(error.Code);
        var extensions = new Dictionary<string, object?>(StringComparer.Ordinal) { ["code"] = error.Code };
        if (error.Extensions is not null)
        {
            foreach (var (k, v) in error.Extensions)
            {
                extensions[k] = v;
            }
        }

        var problem = Results.Problem(detail: error.Detail, statusCode: status, title: Title(error.Code), type: $"urn:deconflict:problem:{error.Code}", extensions: extensions);
        return Service.ServiceMetrics.Counted(error.Code, extensions.TryGetValue(RetryAfterMember, out var retry) && retry is not null
            ? new WithRetryAfter(problem, Convert.ToInt64(retry, System.Globalization.CultureInfo.InvariantCulture))
            : problem);
    }

    /// <summary>A refusal that the caller may retry after <paramref name="after"/> (429, 503): Retry-After header and <c>retry_after_s</c> member.</summary>
    public static ApiError Retry(string code, string detail, TimeSpan after) =>
        new ApiError(code, detail).With(RetryAfterMember, Math.Max(1L, (long)Math.Ceiling(after.TotalSeconds)));

    /// <summary>Adds the Retry-After header (whole seconds, RFC 9110) to a problem result.</summary>
    private sealed class WithRetryAfter(IResult inner, long seconds) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return inner.ExecuteAsync(httpContext);
        }
    }

    public static ApiError NotFoundError(string what, string id) => new(NotFound, $"No {what} '{id}' that you may see.");

    public static ApiError ForbiddenError(string detail) => new(Forbidden, detail);

    public static ApiError Invalid(string detail, string? pointer = null) =>
        pointer is null ? new(InvalidRequest, detail) : new ApiError(InvalidRequest, detail).With("pointer", pointer);
}
