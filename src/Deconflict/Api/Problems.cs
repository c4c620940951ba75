using Deconflict.Service;

namespace Deconflict.Api;

/// <summary>
/// The one place where a <see cref="Refusal"/> becomes HTTP: each reason's status, its stable code
/// (the API contract's, in problem+json's <c>code</c> and <c>type</c>) and title.
/// </summary>
public static class Problems
{
    /// <summary>The extension member that carries a retry delay in whole seconds; <see cref="ToResult"/> also sends it as Retry-After.</summary>
    public const string RetryAfterMember = "retry_after_s";

    private static readonly Dictionary<RefusalReason, (int Status, string Code, string Title)> Table = new()
    {
        [RefusalReason.InvalidRequest] = new(400, "invalid-request", "The request is not valid"),
        [RefusalReason.InvalidVolume] = new(400, "invalid-volume", "A volume is not valid"),
        [RefusalReason.UnknownUnits] = new(400, "unknown-units", "A value has no known unit or reference"),
        [RefusalReason.InvalidParameter] = new(400, "invalid-parameter", "A query parameter is not valid"),
        [RefusalReason.Unauthorized] = new(401, "unauthorized", "No valid token"),
        [RefusalReason.Forbidden] = new(403, "forbidden", "This token may not do this"),
        [RefusalReason.NotFound] = new(404, "not-found", "Not found"),
        [RefusalReason.MethodNotAllowed] = new(405, "method-not-allowed", "Method not allowed"),
        [RefusalReason.MissingAwareness] = new(409, "missing-awareness", "The writer has not seen every conflicting declaration"),
        [RefusalReason.Conflict] = new(409, "conflict", "Refused: the write would create a conflict"),
        [RefusalReason.AlreadyExists] = new(409, "already-exists", "It already exists"),
        [RefusalReason.InvalidState] = new(409, "invalid-state", "Not possible in the object's state"),
        [RefusalReason.VersionMismatch] = new(412, "version-mismatch", "The version given is not the current one"),
        [RefusalReason.PayloadTooLarge] = new(413, "payload-too-large", "The request body is too large"),
        [RefusalReason.UnsupportedMediaType] = new(415, "unsupported-media-type", "Send application/json"),
        [RefusalReason.PreconditionRequired] = new(428, "precondition-required", "If-Match with the current version is required"),
        [RefusalReason.Internal] = new(500, "internal", "Internal error"),
        [RefusalReason.UnknownHead] = new(409, "unknown-head", "The service signed no such head"),
        [RefusalReason.InvalidSignature] = new(400, "invalid-signature", "The signature does not verify"),
        [RefusalReason.SplitView] = new(409, "split-view", "The head is inconsistent with one the party witnessed before"),
        [RefusalReason.InvalidReference] = new(400, "invalid-reference", "A reference is not to an object you may see"),
        [RefusalReason.LimitExceeded] = new(400, "limit-exceeded", "A documented size limit is exceeded"),
        [RefusalReason.RateLimited] = new(429, "rate-limited", "Too many requests"),
        [RefusalReason.QuotaExceeded] = new(429, "quota-exceeded", "The party's quota is used up"),
        [RefusalReason.StorageUnavailable] = new(503, "storage-unavailable", "The store cannot write now"),
        [RefusalReason.InvalidTime] = new(400, "invalid-time", "A time is not valid"),
        [RefusalReason.DuplicateMember] = new(400, "duplicate-member", "A JSON member appears twice"),
        [RefusalReason.ControlCharacter] = new(400, "control-character", "A text holds a control character"),
        [RefusalReason.InvalidWebhook] = new(400, "invalid-webhook", "The webhook target is not allowed"),
        [RefusalReason.UriTooLong] = new(414, "uri-too-long", "The request URI is too long"),
        [RefusalReason.HeadersTooLarge] = new(431, "headers-too-large", "The request headers are too large"),
    };

    public static int Status(RefusalReason reason) => Table[reason].Status;

    public static string Code(RefusalReason reason) => Table[reason].Code;

    public static string Title(RefusalReason reason) => Table[reason].Title;

    public static IResult ToResult(Refusal refusal)
    {
        var (status, code, title) = Table[refusal.Reason];
        var extensions = new Dictionary<string, object?>(StringComparer.Ordinal) { ["code"] = code };
        if (refusal.Facts is not null)
        {
            foreach (var (k, v) in refusal.Facts)
            {
                extensions[k] = v;
            }
        }

        long? retryAfter = refusal.RetryAfter is { } after ? Math.Max(1L, (long)Math.Ceiling(after.TotalSeconds)) : null;
        if (retryAfter is not null)
        {
            extensions[RetryAfterMember] = retryAfter;
        }

        var problem = Results.Problem(detail: refusal.Detail, statusCode: status, title: title, type: $"urn:deconflict:problem:{code}", extensions: extensions);
        return ServiceMetrics.Counted(code, retryAfter is { } seconds ? new WithRetryAfter(problem, seconds) : problem);
    }

    /// <summary>Adds the Retry-After header (whole seconds, RFC 9110) to a problem result.</summary>
    private sealed class WithRetryAfter(IResult inner, long seconds) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return inner.ExecuteAsync(httpContext);
        }
    }
}
