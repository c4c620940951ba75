using System.Collections.Immutable;
using Deconflict.Core.Model;
using Deconflict.Core.Volumes;

namespace Deconflict.Core.Strategic;

/// <summary>How the service answers a write that creates a conflict, as agreed by the parties.</summary>
public enum ConflictPolicy
{
    /// <summary>Store it, list the conflicts and tell both sides: neither side can veto the other.</summary>
    Notify,

    /// <summary>The ASTM F3548 rule: an operation whose priority is not higher than the other's is refused.</summary>
    Reject,
}

/// <summary>A conflict found for a declaration being written: the other side and where they meet.</summary>
public sealed record DetectedConflict(Declaration Other, VolumeOverlap Overlap);

/// <summary>Which declarations can conflict, and where they do.</summary>
public static class ConflictRules
{
    /// <summary>
    /// Whether two declarations can conflict at all, before any geometry: both live, of different
    /// parties, and either two operations or an operation with another party's exclusive or
    /// protected zone. Zones never conflict with zones, and advisory zones with nothing.
    /// </summary>
    public static bool MayConflict(Declaration a, Declaration b)
    {
        if (!a.IsLive || !b.IsLive || a.Party == b.Party || a.Id == b.Id)
        {
            return false;
        }

        return (a.Kind, b.Kind) switch
        {
            (DeclarationKind.Operation, DeclarationKind.Operation) => true,
            (DeclarationKind.Operation, DeclarationKind.Zone) => IsBinding(b.Rule),
            (DeclarationKind.Zone, DeclarationKind.Operation) => IsBinding(a.Rule),
            _ => false,
        };
    }

    /// <summary>
    /// The overlap of two declarations: the envelope (earliest start, latest end, lowest and highest
    /// altitude) of every pair of their volumes that conflicts under the buffer; null when none does.
    /// Cost: |a.Volumes| x |b.Volumes| exact volume tests.
    /// </summary>
    public static VolumeOverlap? Overlap(Declaration a, Declaration b, Separation buffer)
    {
        VolumeOverlap? envelope = null;
        foreach (var va in a.Volumes)
        {
            foreach (var vb in b.Volumes)
            {
                if (VolumeIntersection.Find(va, vb, buffer) is not { } o)
                {
                    continue;
                }

                envelope = envelope is null
                    ? o
                    : new VolumeOverlap(
                        Min(envelope.TimeStart, o.TimeStart),
                        Max(envelope.TimeEnd, o.TimeEnd),
                        Math.Min(envelope.AltitudeLowerM, o.AltitudeLowerM),
                        Math.Max(envelope.AltitudeUpperM, o.AltitudeUpperM));
            }
        }

        return envelope;
    }

    /// <summary>The exact narrow phase over the broad phase's candidates.</summary>
    public static ImmutableArray<DetectedConflict> Detect(Declaration subject, IEnumerable<Declaration> candidates, Separation buffer)
    {
        var found = ImmutableArray.CreateBuilder<DetectedConflict>();
        foreach (var other in candidates)
        {
            if (MayConflict(subject, other) && Overlap(subject, other, buffer) is { } overlap)
            {
                found.Add(new DetectedConflict(other, overlap));
            }
        }

        found.Sort((x, y) => string.CompareOrdinal(x.Other.Id, y.Other.Id));
        return found.ToImmutable();
    }

    /// <summary>
    /// <see cref="Detect"/> over a broad phase's few candidates, with the same result, after a
    /// first pass that only loads, for every candidate, what the first tests read: its declaration,
    /// party and id, and each volume's outline and bounding cap. Why: the writer's check of the
    /// benchmark's operation against its 7.4 candidates cost about 3 us on a warm cache and about
    /// 15 us with its data out of cache, almost all of it waiting for the chain of objects each
    /// candidate is reached through (declaration, volumes, volume, outline, prepared data, cap).
    /// Tested one by one, each chain waits behind the previous candidate's tests; in a pass that
    /// does nothing else the chains of all candidates are in flight at once. Measured on the
    /// benchmark's candidates, three runs of 1,024 checks interleaved with the one-pass
    /// <see cref="Detect"/> on a shared machine: medians 5.2-8.1 us against 6.7-10.0 us
    /// (docs/performance.md). The all-pairs baseline keeps <see cref="Detect"/>: it streams
    /// through every declaration and rejects almost all of them on time or altitude.
    /// </summary>
    public static ImmutableArray<DetectedConflict> DetectAmong(Declaration subject, IReadOnlyList<Declaration> candidates, Separation buffer)
    {
        Prefetch(candidates);
        var found = ImmutableArray.CreateBuilder<DetectedConflict>();
        for (var i = 0; i < candidates.Count; i++)
        {
            var other = candidates[i];
            if (MayConflict(subject, other) && Overlap(subject, other, buffer) is { } overlap)
            {
                found.Add(new DetectedConflict(other, overlap));
            }
        }

        found.Sort((x, y) => string.CompareOrdinal(x.Other.Id, y.Other.Id));
        return found.ToImmutable();
    }

    // Written by Prefetch so its loads are not optimised away; never read.
    private static double s_prefetched;

    private static void Prefetch(IReadOnlyList<Declaration> candidates)
    {
        var sum = 0.0;
        for (var i = 0; i < candidates.Count; i++)
        {
            var d = candidates[i];
            sum += d.Party.Length + d.Id.Length;
            foreach (var v in d.Volumes)
            {
                sum += v.Outline.Cap.Angle;
            }
        }

        s_prefetched = sum;
    }

    /// <summary>
    /// The conflicting declarations the writer did not show it knows at their current version
    /// (F3548's key). Null <paramref name="known"/> means the writer made no claim: nothing is missing.
    /// </summary>
    public static ImmutableArray<Declaration> MissingAwareness(IReadOnlyList<DetectedConflict> found, IReadOnlyCollection<KnownVersion>? known)
    {
        if (known is null)
        {
            return [];
        }

        var versions = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var k in known)
        {
            versions[k.Id] = Math.Max(k.Version, versions.GetValueOrDefault(k.Id));
        }

        return [.. found
            .Where(c => !versions.TryGetValue(c.Other.Id, out var v) || v != c.Other.Version)
            .Select(c => c.Other)];
    }

    /// <summary>
    /// Under <see cref="ConflictPolicy.Reject"/>, the conflicts that refuse the write: an operation
    /// may not create a conflict with anything of equal or higher priority. Zones are declarations
    /// of areas, not flights, and are never refused (both sides are told).
    /// </summary>
    public static ImmutableArray<DetectedConflict> Blocking(Declaration subject, IReadOnlyList<DetectedConflict> found, ConflictPolicy policy)
    {
        if (policy != ConflictPolicy.Reject || subject.Kind != DeclarationKind.Operation)
        {
            return [];
        }

        return [.. found.Where(c => subject.Priority <= c.Other.Priority)];
    }

    private static bool IsBinding(ZoneRule? rule) => rule is ZoneRule.Exclusive or ZoneRule.Protected;

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}
