using System.Collections.Immutable;
using Deconflict.Core.Volumes;

namespace Deconflict.Core.Model;

public enum ConflictState
{
    Open,
    Acknowledged,
    Resolved,
    Accepted,
}

/// <summary>One side of a conflict: the declaration at the version that conflicted.</summary>
public sealed record ConflictRef(DeclarationKind Kind, string Id, string Party, long Version)
{
    public static ConflictRef Of(Declaration d) => new(d.Kind, d.Id, d.Party, d.Version);
}

/// <summary>
/// Two declarations of different parties whose volumes intersect after the agreed buffers. Open until
/// each side acknowledges; accepted when both sides accept; resolved by itself when the overlap goes.
/// </summary>
public sealed record Conflict(
    string Id,
    long Version,
    ConflictState State,
    ConflictRef A,
    ConflictRef B,
    VolumeOverlap Overlap,
    ImmutableSortedDictionary<string, DateTimeOffset> AcknowledgedBy,
    ImmutableSortedDictionary<string, DateTimeOffset> AcceptedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? ResolvedAt)
{
    /// <summary>
    /// The record index of the entry that made this version (docs/record.md, "Served state"); null
    /// for a version not yet written. Not part of the entry's own payload.
    /// </summary>
    public long? RecordIndex { get; init; }

    public bool IsLive => State is ConflictState.Open or ConflictState.Acknowledged or ConflictState.Accepted;

    /// <summary>The parties that must acknowledge: the two sides (a zone's owner is a side too).</summary>
    public ImmutableArray<string> Parties => A.Party == B.Party ? [A.Party] : [A.Party, B.Party];

    public bool Concerns(string party) => A.Party == party || B.Party == party;

    public ConflictRef Other(string declarationId) => A.Id == declarationId ? B : A;
}
