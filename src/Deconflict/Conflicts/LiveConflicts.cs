using Deconflict.Core.Model;
using Deconflict.Storage;

namespace Deconflict.Conflicts;

/// <summary>
/// The writer's index of the live conflicts by the declarations on either side, for a store that
/// one process writes alone (<see cref="IDeconflictStore.SoleWriter"/>), as
/// <see cref="Declarations.LiveDeclarations"/> is for the declarations. It answers which conflicts
/// a declaration has (<see cref="LiveOfAsync"/>) and writes through the store's repository; every
/// change made in the open transaction adds its undo step to the writer's journal.
/// </summary>
/// <remarks>
/// Why: only the writer asks which conflicts a declaration has, and the index replaces two
/// database indexes on the conflicts' sides that cost two random B-tree writes per conflict
/// (docs/performance.md). Loaded once from the store's live conflicts (one scan). Not
/// thread-safe: it belongs to the single writer.
/// </remarks>
internal sealed class LiveConflicts(IConflictRepository store, UndoJournal journal) : IConflictRepository
{
    private readonly LiveConflictIndex _index = new();
    private readonly List<long> _keys = [];
    private bool _loaded;

    /// <summary>When a transaction begins: loads the index the first time.</summary>
    public async ValueTask BeginAsync()
    {
        if (_loaded)
        {
            return;
        }

        foreach (var (key, a, b) in await store.LiveSidesAsync())
        {
            _index.Add(a, key);
            _index.Add(b, key);
        }

        _loaded = true;
    }

    public ValueTask<Conflict?> GetAsync(string id) => store.GetAsync(id);

    public ValueTask<Conflict?> GetByKeyAsync(long key) => store.GetByKeyAsync(key);

    public ValueTask<IReadOnlyList<(long Key, string A, string B)>> LiveSidesAsync() => store.LiveSidesAsync();

    public async ValueTask<IReadOnlyList<Conflict>> LiveOfAsync(string declarationId)
    {
        var keys = _keys;
        keys.Clear();
        _index.Collect(declarationId, keys);
        if (keys.Count == 0)
        {
            return [];
        }

        // The index keys on a hash of the id, so a conflict of another declaration may come along:
        // only those naming this one are kept. Conflict ids are time-ordered (UUID v7), so ordinal
        // order is creation order.
        var list = new List<Conflict>(keys.Count);
        foreach (var key in keys)
        {
            var c = await store.GetByKeyAsync(key) ?? throw new InvalidOperationException($"The live conflict stored under {key} is not in the store.");
            if (c.A.Id == declarationId || c.B.Id == declarationId)
            {
                list.Add(c);
            }
        }

        list.Sort((x, y) => string.CompareOrdinal(x.Id, y.Id));
        return list;
    }

    public async ValueTask<long> InsertAsync(Conflict conflict)
    {
        var key = await store.InsertAsync(conflict);
        Track(conflict, key);
        return key;
    }

    public async ValueTask<long> UpdateAsync(Conflict conflict)
    {
        var key = await store.UpdateAsync(conflict);
        Track(conflict, key);
        return key;
    }

    /// <summary>Files a conflict as live or not under both of its declarations, journalled.</summary>
    private void Track(Conflict c, long key)
    {
        Track(c.A.Id, key, c.IsLive);
        Track(c.B.Id, key, c.IsLive);
    }

    private void Track(string declarationId, long key, bool live)
    {
        var changed = live ? _index.Add(declarationId, key) : _index.Remove(declarationId, key);
        if (changed)
        {
            journal.Add(live ? () => _index.Remove(declarationId, key) : () => _index.Add(declarationId, key));
        }
    }
}
