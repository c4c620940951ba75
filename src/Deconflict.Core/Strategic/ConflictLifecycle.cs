using System.Collections.Immutable;
using Deconflict.Core.Model;
using Deconflict.Core.Volumes;

namespace Deconflict.Core.Strategic;

/// <summary>Why a lifecycle step was refused.</summary>
public enum ConflictStepError
{
    None,

    /// <summary>The caller is not one of the two sides.</summary>
    NotASide,

    /// <summary>The conflict is resolved: nothing left to acknowledge or accept.</summary>
    AlreadyResolved,
}

/// <summary>
/// The conflict lifecycle as pure functions: open, acknowledged when every side has acknowledged,
/// accepted when every side has accepted, resolved when the overlap is gone. Each step returns the
/// next version of the conflict; the caller stores it and records the event.
/// </summary>
public static class ConflictLifecycle
{
    /// <summary>Nobody yet: who acknowledged or accepted, by party id in ordinal order.</summary>
    public static readonly ImmutableSortedDictionary<string, DateTimeOffset> NoTimes = ImmutableSortedDictionary.Create<string, DateTimeOffset>(StringComparer.Ordinal);

    public static Conflict Open(string id, Declaration writer, DetectedConflict found, DateTimeOffset now) =>
        new(id, 1, ConflictState.Open, ConflictRef.Of(writer), ConflictRef.Of(found.Other), found.Overlap, NoTimes, NoTimes, now, now, null);

    /// <summary>
    /// The conflict still stands after one side changed. The refs take the new versions; when the
    /// overlap itself changed, what the sides acknowledged or accepted no longer describes it, so the
    /// conflict opens again and must be acknowledged anew. Returns null when nothing changed.
    /// </summary>
    public static Conflict? Refresh(Conflict c, Declaration changed, VolumeOverlap overlap, DateTimeOffset now)
    {
        var a = c.A.Id == changed.Id ? ConflictRef.Of(changed) : c.A;
        var b = c.B.Id == changed.Id ? ConflictRef.Of(changed) : c.B;
        if (a == c.A && b == c.B && overlap == c.Overlap)
        {
            return null;
        }

        if (overlap == c.Overlap)
        {
            return c with { Version = c.Version + 1, A = a, B = b, UpdatedAt = now };
        }

        return c with
        {
            Version = c.Version + 1,
            State = ConflictState.Open,
            A = a,
            B = b,
            Overlap = overlap,
            AcknowledgedBy = NoTimes,
            AcceptedBy = NoTimes,
            UpdatedAt = now,
        };
    }

    public static Conflict Resolve(Conflict c, Declaration changed, DateTimeOffset now)
    {
        var a = c.A.Id == changed.Id ? ConflictRef.Of(changed) : c.A;
        var b = c.B.Id == changed.Id ? ConflictRef.Of(changed) : c.B;
        return c with { Version = c.Version + 1, State = ConflictState.Resolved, A = a, B = b, UpdatedAt = now, ResolvedAt = now };
    }

    /// <summary>Acknowledging twice keeps the first time (idempotent); the state follows from who has.</summary>
    public static (Conflict? Next, ConflictStepError Error) Acknowledge(Conflict c, string party, DateTimeOffset now)
    {
        if (Check(c, party) is var error and not ConflictStepError.None)
        {
            return (null, error);
        }

        if (c.AcknowledgedBy.ContainsKey(party))
        {
            return (c, ConflictStepError.None);
        }

        var acks = c.AcknowledgedBy.Add(party, now);
        var state = c.State == ConflictState.Accepted ? ConflictState.Accepted
            : c.Parties.All(acks.ContainsKey) ? ConflictState.Acknowledged
            : ConflictState.Open;
        return (c with { Version = c.Version + 1, AcknowledgedBy = acks, State = state, UpdatedAt = now }, ConflictStepError.None);
    }

    /// <summary>
    /// Accepting means "we both fly with this overlap knowingly"; it implies acknowledgement. The
    /// conflict is accepted once every side has accepted.
    /// </summary>
    public static (Conflict? Next, ConflictStepError Error) Accept(Conflict c, string party, DateTimeOffset now)
    {
        if (Check(c, party) is var error and not ConflictStepError.None)
        {
            return (null, error);
        }

        if (c.AcceptedBy.ContainsKey(party))
        {
            return (c, ConflictStepError.None);
        }

        var accepts = c.AcceptedBy.Add(party, now);
        var acks = c.AcknowledgedBy.ContainsKey(party) ? c.AcknowledgedBy : c.AcknowledgedBy.Add(party, now);
        var state = c.Parties.All(accepts.ContainsKey) ? ConflictState.Accepted
            : c.Parties.All(acks.ContainsKey) ? ConflictState.Acknowledged
            : ConflictState.Open;
        return (c with { Version = c.Version + 1, AcknowledgedBy = acks, AcceptedBy = accepts, State = state, UpdatedAt = now }, ConflictStepError.None);
    }

    private static ConflictStepError Check(Conflict c, string party) =>
        !c.Concerns(party) ? ConflictStepError.NotASide
        : c.State == ConflictState.Resolved ? ConflictStepError.AlreadyResolved
        : ConflictStepError.None;
}
