using Deconflict.Core.Model;
using Deconflict.Core.Strategic;

namespace Deconflict.Storage;

/// <summary>
/// Operations and zones, as the open write transaction stands, with the broad phase of the
/// strategic check. Each stored declaration has a key, the store's number for its row (fixed for
/// its life), so a writer that keeps an index of them (Declarations/LiveDeclarations) can hold
/// numbers rather than ids.
/// </summary>
public interface IDeclarationRepository
{
    ValueTask<Declaration?> GetAsync(DeclarationKind kind, string id);

    /// <summary>The declaration stored under <paramref name="key"/>, in whatever state; null when none is.</summary>
    ValueTask<Declaration?> GetByKeyAsync(long key);

    /// <summary>How many live (planned or active) declarations, of both kinds, the party holds.</summary>
    ValueTask<int> LiveCountAsync(string party);

    /// <summary>Whether an id is taken by any declaration, of either kind.</summary>
    ValueTask<bool> IdExistsAsync(string id);

    /// <summary>Broad phase: live declarations with a volume whose box meets any of the boxes. A superset of the true conflicts.</summary>
    ValueTask<IReadOnlyList<Declaration>> FindCandidatesAsync(IReadOnlyList<VolumeBox> boxes);

    /// <summary>Stores a new declaration; gives its key.</summary>
    ValueTask<long> InsertAsync(Declaration declaration);

    /// <summary>Replaces the stored declaration (same id) and its index entries; gives its key.</summary>
    ValueTask<long> UpdateAsync(Declaration declaration);

    /// <summary>Live declarations whose last volume ended at or before <paramref name="now"/>, soonest first.</summary>
    ValueTask<IReadOnlyList<Declaration>> EndedByAsync(DateTimeOffset now, int limit);

    /// <summary>
    /// Every live declaration's key, the boxes of its volumes as the store indexes them (each
    /// containing its volume, perhaps rounded outward) and its end, without reading (decoding) a
    /// volume: what an index of the live declarations starts from.
    /// </summary>
    ValueTask<IReadOnlyList<LiveDeclarationBoxes>> LiveBoxesAsync();
}

/// <summary>A live declaration as an index starts from: its key, its volumes' boxes and its end.</summary>
public sealed record LiveDeclarationBoxes(long Key, VolumeBox[] Boxes, DateTimeOffset EndsAt);
