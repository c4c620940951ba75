using Deconflict.Core.Model;

namespace Deconflict.Storage;

/// <summary>
/// Strategic conflicts, as the open write transaction stands. Each stored conflict has a key, the
/// store's number for its row (fixed for its life), as declarations do.
/// </summary>
public interface IConflictRepository
{
    ValueTask<Conflict?> GetAsync(string id);

    /// <summary>The conflict stored under <paramref name="key"/>; null when none is.</summary>
    ValueTask<Conflict?> GetByKeyAsync(long key);

    /// <summary>Conflicts not resolved that involve the declaration, oldest first.</summary>
    ValueTask<IReadOnlyList<Conflict>> LiveOfAsync(string declarationId);

    /// <summary>Stores a new conflict; gives its key.</summary>
    ValueTask<long> InsertAsync(Conflict conflict);

    /// <summary>Replaces the stored conflict (same id) with its next version; gives its key.</summary>
    ValueTask<long> UpdateAsync(Conflict conflict);

    /// <summary>Every conflict not resolved: its key and the ids of its two declarations, what an index of them starts from.</summary>
    ValueTask<IReadOnlyList<(long Key, string A, string B)>> LiveSidesAsync();
}
