using System.Collections.Immutable;
using Deconflict.Core.Volumes;

namespace Deconflict.Core.Model;

/// <summary>The two things a party declares: where it will operate, and areas with a rule.</summary>
public enum DeclarationKind
{
    Operation,
    Zone,
}

/// <summary>Lifecycle of an operation or zone. Ended and cancelled ones take part in no conflict.</summary>
public enum DeclarationState
{
    Planned,
    Active,
    Ended,
    Cancelled,
}

/// <summary>A zone's rule: exclusive (only its owner operates there), protected (nobody else enters), advisory (information only).</summary>
public enum ZoneRule
{
    Exclusive,
    Protected,
    Advisory,
}

/// <summary>
/// An operation or a zone: a party's declared use of airspace as one or more 4D volumes. Operations
/// and zones share shape, storage and conflict detection; <see cref="Rule"/> and <see cref="Name"/>
/// are set for zones only. <see cref="DetailsJson"/> is private to the owner.
/// </summary>
public sealed record Declaration(
    DeclarationKind Kind,
    string Id,
    string Party,
    long Version,
    DeclarationState State,
    int Priority,
    ZoneRule? Rule,
    string? Name,
    ImmutableArray<Volume4D> Volumes,
    string? DetailsJson,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    /// <summary>
    /// The record index of the entry that made this version (docs/record.md, "Served state"); null
    /// for a version not yet written. Not part of the entry's own payload.
    /// </summary>
    public long? RecordIndex { get; init; }

    /// <summary>
    /// The salt (32 hex digits, 128 random bits) of the commitment to <see cref="DetailsJson"/>
    /// that the public record carries (<see cref="DetailsSha256"/>); null without details, or for
    /// a version written before commitments existed. Shown to the owner only.
    /// </summary>
    public string? DetailsSalt { get; init; }

    /// <summary>
    /// The commitment to the private details: hex SHA-256 of the salt's 16 bytes followed by the
    /// details' UTF-8 text as stored (as submitted). It reveals nothing of the details without the
    /// salt, and binds them: the owner can prove them, the host cannot change them unseen.
    /// Computed on demand, so there is no stored copy to disagree with: a fresh salt and the hash
    /// cost about 1.2 us for 30 bytes of details and 3.6 us for 4 KB (Release, Stopwatch over
    /// 200,000 rounds), against the writer's hundreds of microseconds per submission.
    /// </summary>
    public string? DetailsSha256 => DetailsJson is { } details && DetailsSalt is { } salt ? DetailsCommitment.Of(salt, details) : null;

    public bool IsLive => State is DeclarationState.Planned or DeclarationState.Active;

    /// <summary>The end of the last volume: from then on the declaration is over (half-open windows).</summary>
    public DateTimeOffset EndsAt => Volumes.Max(v => v.TimeEnd);

    public DateTimeOffset StartsAt => Volumes.Min(v => v.TimeStart);
}

/// <summary>A version of a declaration that a writer says it has seen (F3548's key).</summary>
public readonly record struct KnownVersion(string Id, long Version);
