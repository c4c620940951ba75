using System.Collections.Immutable;

namespace Deconflict.Service;

/// <summary>
/// A refusal: the reason, a sentence for people, the facts a machine may act on (the conflicts in
/// the way, the quota, the JSON pointer of a bad member), and for a refusal that passes, how long to
/// wait. A refused write changes nothing.
/// </summary>
public sealed record Refusal(RefusalReason Reason, string Detail, ImmutableDictionary<string, object?>? Facts = null)
{
    /// <summary>How long to wait before trying again (rate limits, quotas, a store that cannot write now); null when waiting does not help.</summary>
    public TimeSpan? RetryAfter { get; init; }

    public Refusal With(string name, object? value) =>
        this with { Facts = (Facts ?? ImmutableDictionary<string, object?>.Empty).SetItem(name, value) };

    public static Refusal NotFound(string what, string id) => new(RefusalReason.NotFound, $"No {what} '{id}' that you may see.");

    public static Refusal Forbidden(string detail) => new(RefusalReason.Forbidden, detail);

    public static Refusal Invalid(string detail, string? pointer = null) =>
        pointer is null ? new(RefusalReason.InvalidRequest, detail) : new Refusal(RefusalReason.InvalidRequest, detail).With("pointer", pointer);

    /// <summary>A refusal that the caller may try again after <paramref name="after"/>.</summary>
    public static Refusal Retry(RefusalReason reason, string detail, TimeSpan after) => new(reason, detail) { RetryAfter = after };
}
