using Deconflict.Core.Model;
using Deconflict.Core.Strategic;
using Deconflict.Storage;

namespace Deconflict.Declarations;

/// <summary>
/// The writer's index of the live declarations, for a store that one process writes alone
/// (<see cref="IDeconflictStore.SoleWriter"/>): nobody else changes the declarations, so what the
/// writer decides on can stay in memory from one transaction to the next. It answers the strategic
/// broad phase from a grid of the live declarations' boxes, the quota from a count per party and
/// the expiry sweep from a queue of ends; it writes through the store's repository and reads a
/// stored declaration from it the first time it needs one. Every change made in the open
/// transaction adds its undo step to the writer's journal, so a rollback puts it back as it was.
/// </summary>
/// <remarks>
/// <para>
/// Why: with 100,000 stored, the grid answers a check in microseconds where a query per volume
/// of the store's R*Tree took a third of the writer's time, and the queue of ends replaces a
/// database index whose inserts at random positions wrote about one page per submission
/// (docs/performance.md, "Measurements behind the code"). The store's own answers to the same
/// questions stay (a writer beside others, as on PostgreSQL, uses them), and the tests hold the
/// two to the same results.
/// </para>
/// <para>
/// The index starts with boxes and ends only (<see cref="IDeclarationRepository.LiveBoxesAsync"/>):
/// a stored declaration is read, and its outlines decoded, the first time it is a candidate, is
/// changed or ends, so a restart with large stored polygons does not wait for all of them. Not
/// thread-safe: it belongs to the single writer.
/// </para>
/// </remarks>
internal sealed class LiveDeclarations(IDeclarationRepository store, UndoJournal journal) : IDeclarationRepository
{
    // Every live declaration read so far, by key, and keys read and found not live.
    private readonly Dictionary<long, Declaration> _live = [];
    private readonly HashSet<long> _notLive = [];

    // Live declarations per party, for the quota: counted by the store the first time a party is
    // asked about, then kept in step by Changed. Both are journalled.
    private readonly Dictionary<string, int> _livePerParty = new(StringComparer.Ordinal);

    // Boxes of every live declaration by key, each with the declaration itself once it is in
    // _live (null until first read), so a hit needs no lookup in _live, whose 100,000 entries are
    // mostly out of cache.
    private readonly VolumeGrid<long, Declaration?> _grid = new();

    // The end (ms) of every live declaration, soonest first. Entries are pushed when a
    // declaration becomes live or changes its end and never removed inside a transaction: an
    // entry is current while _live (or _unreadEnds) holds its key with that end, so a rollback
    // (which restores _live) makes the old entries current again, and stale ones are dropped from
    // the top when a transaction begins. Structs of two longs, which the collector never traces.
    private readonly PriorityQueue<long, long> _liveEnds = new();

    // The end (ms) of every live declaration in the grid but not yet read (so not in _live).
    private readonly Dictionary<long, long> _unreadEnds = [];
    private readonly List<(long Key, long End)> _endsTaken = [];
    private readonly HashSet<long> _endsSeen = [];

    // Reused by every broad-phase query.
    private readonly List<KeyValuePair<long, Declaration?>> _hits = [];
    private bool _loaded;

    /// <summary>When a transaction begins: loads the index the first time, and drops stale ends (the index holds only what was committed).</summary>
    public async ValueTask BeginAsync()
    {
        if (!_loaded)
        {
            foreach (var entry in await store.LiveBoxesAsync())
            {
                _grid.Set(entry.Key, entry.Boxes, null);
                var end = StoreRows.Ms(entry.EndsAt);
                _unreadEnds[entry.Key] = end;
                _liveEnds.Enqueue(entry.Key, end);
            }

            _loaded = true;
        }

        TrimLiveEnds();
    }

    public ValueTask<Declaration?> GetAsync(DeclarationKind kind, string id) => store.GetAsync(kind, id);

    public ValueTask<Declaration?> GetByKeyAsync(long key) => store.GetByKeyAsync(key);

    public ValueTask<bool> IdExistsAsync(string id) => store.IdExistsAsync(id);

    public ValueTask<IReadOnlyList<LiveDeclarationBoxes>> LiveBoxesAsync() => store.LiveBoxesAsync();

    public async ValueTask<int> LiveCountAsync(string party)
    {
        if (!_livePerParty.TryGetValue(party, out var count))
        {
            count = await store.LiveCountAsync(party);
            _livePerParty[party] = count;
            journal.Add(() => _livePerParty.Remove(party));
        }

        return count;
    }

    public async ValueTask<IReadOnlyList<Declaration>> FindCandidatesAsync(IReadOnlyList<VolumeBox> boxes)
    {
        var hits = _hits;
        hits.Clear();
        _grid.Query(boxes, hits);
        var found = new List<Declaration>(hits.Count);
        foreach (var (key, cached) in hits)
        {
            if ((cached ?? await LiveAsync(key)) is { } d)
            {
                found.Add(d);
            }
        }

        return found;
    }

    public async ValueTask<long> InsertAsync(Declaration declaration)
    {
        var key = await store.InsertAsync(declaration);
        Changed(key, declaration);
        return key;
    }

    public async ValueTask<long> UpdateAsync(Declaration declaration)
    {
        var key = await store.UpdateAsync(declaration);
        Changed(key, declaration);
        return key;
    }

    public async ValueTask<IReadOnlyList<Declaration>> EndedByAsync(DateTimeOffset now, int limit)
    {
        // Soonest end first. Everything taken off the queue goes back: a read changes nothing, and
        // a rollback of what the caller does next needs the entries. A declaration changed back
        // and forth in rolled-back transactions can have two current entries with the same end,
        // hence the seen set.
        var cutoff = StoreRows.Ms(now);
        var list = new List<Declaration>();
        _endsTaken.Clear();
        _endsSeen.Clear();
        while (list.Count < limit && _liveEnds.TryPeek(out var key, out var end) && end <= cutoff)
        {
            _liveEnds.Dequeue();
            _endsTaken.Add((key, end));

            // A stored declaration not read since the start is read (decoded) now, as it ends.
            if (IsCurrentEnd(key, end) && _endsSeen.Add(key) && (_live.GetValueOrDefault(key) ?? await LiveAsync(key)) is { } d)
            {
                list.Add(d);
            }
        }

        foreach (var (key, end) in _endsTaken)
        {
            _liveEnds.Enqueue(key, end);
        }

        return list;
    }

    /// <summary>The live declaration under a key, from the index or the store; null when not live.</summary>
    private async ValueTask<Declaration?> LiveAsync(long key)
    {
        if (_live.TryGetValue(key, out var cached))
        {
            return cached;
        }

        if (_notLive.Contains(key) || await store.GetByKeyAsync(key) is not { } d)
        {
            return null;
        }

        Cache(key, d);
        return d.IsLive ? d : null;
    }

    private void Cache(long key, Declaration d)
    {
        if (d.IsLive)
        {
            var end = StoreRows.Ms(d.EndsAt);
            long? queued = _live.TryGetValue(key, out var before) ? StoreRows.Ms(before.EndsAt)
                : _unreadEnds.Remove(key, out var unread) ? unread : null;
            if (queued != end)
            {
                _liveEnds.Enqueue(key, end);
            }

            _live[key] = d;
            _notLive.Remove(key);
            _grid.TrySetValue(key, d);
        }
        else
        {
            _live.Remove(key);
            _unreadEnds.Remove(key);
            _notLive.Add(key);
        }
    }

    /// <summary>Takes the declaration as just written, journalling what the index held before so a rollback can put it back.</summary>
    private void Changed(long key, Declaration next)
    {
        var before = _live.GetValueOrDefault(key);
        var wasNotLive = _notLive.Contains(key);
        long? unreadEnd = _unreadEnds.TryGetValue(key, out var ue) ? ue : null;
        var boxes = _grid.TryGet(key, out var b, out var gridded) ? b : null;

        // The grid holds every live declaration (loaded when the index started) with its boxes.
        var party = next.Party;
        var counted = (boxes is { Count: > 0 }) != next.IsLive && _livePerParty.ContainsKey(party) ? (next.IsLive ? 1 : -1) : 0;
        if (counted != 0)
        {
            _livePerParty[party] += counted;
        }

        journal.Add(() =>
        {
            if (counted != 0 && _livePerParty.TryGetValue(party, out var count))
            {
                _livePerParty[party] = count - counted;
            }

            _grid.Set(key, boxes ?? [], gridded);
            _live.Remove(key);
            _notLive.Remove(key);
            if (unreadEnd is { } end)
            {
                _unreadEnds[key] = end;
            }

            if (before is not null)
            {
                _live[key] = before;
            }
            else if (wasNotLive)
            {
                _notLive.Add(key);
            }
        });
        Cache(key, next);
        _grid.Set(key, next.IsLive ? [.. next.Volumes.Select(VolumeBox.Of)] : [], next.IsLive ? next : null);
    }

    private bool IsCurrentEnd(long key, long end) =>
        _live.TryGetValue(key, out var d) ? StoreRows.Ms(d.EndsAt) == end : _unreadEnds.TryGetValue(key, out var unread) && unread == end;

    /// <summary>
    /// Between transactions (the index holds only what was committed): drops stale entries from
    /// the top of the queue of ends, and rebuilds it when stale ones deeper in (changed ends) make
    /// up more than half of it. O(log n) a stale entry; a rebuild is O(n), after at least n changes.
    /// </summary>
    private void TrimLiveEnds()
    {
        while (_liveEnds.TryPeek(out var key, out var end) && !IsCurrentEnd(key, end))
        {
            _liveEnds.Dequeue();
        }

        if (_liveEnds.Count > (2 * (_live.Count + _unreadEnds.Count)) + 1024)
        {
            _liveEnds.Clear();
            _liveEnds.EnqueueRange(_live.Select(kv => (kv.Key, StoreRows.Ms(kv.Value.EndsAt))));
            _liveEnds.EnqueueRange(_unreadEnds.Select(kv => (kv.Key, kv.Value)));
        }
    }

}
