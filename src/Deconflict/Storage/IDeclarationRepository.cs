using Deconflict.Core.Model;
using Deconflict.Core.Strategic;

namespace Deconflict.Storage;

/// <summary>Operations and zones, as the open write transaction stands, with the broad phase of the strategic check.</summary>
public interface IDeclarationRepository
{
    ValueTask<Declaration?> GetAsync(DeclarationKind kind, string id);

    /// <summary>How many live (planned or active) declarations, of both kinds, the party holds.</summary>
    ValueTask<int> LiveCountAsync(string party);

    /// <summary>Whether an id is taken by any declaration, of either kind.</summary>
    ValueTask<bool> IdExistsAsync(string id);

    /// <summary>Broad phase: live declarations with a volume whose box meets any of the boxes. A superset of the true conflicts.</summary>
    ValueTask<IReadOnlyList<Declaration>> FindCandidatesAsync(IReadOnlyList<VolumeBox> boxes);

    ValueTask InsertAsync(Declaration declaration);

    /// <summary>Replaces the stored declaration (same id) and its index entries.</summary>
    ValueTask UpdateAsync(Declaration declaration);

    /// <summary>Live declarations whose last volume ended at or before <paramref name="now"/>, soonest first.</summary>
    ValueTask<IReadOnlyList<Declaration>> EndedByAsync(DateTimeOffset now, int limit);
}
