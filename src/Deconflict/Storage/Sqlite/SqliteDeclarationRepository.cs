using Deconflict.Core.Geometry;
using Deconflict.Core.Model;
using Deconflict.Core.Strategic;
using Microsoft.Data.Sqlite;

namespace Deconflict.Storage.Sqlite;

/// <summary>
/// Operations and zones in the single writer's open transaction, with the in-memory state that
/// makes its checks fast: the grid of live declarations' boxes, the cache of live declarations,
/// the live count per party and the queue of live ends. All of it is journalled on the shared
/// connection, so a rollback puts it back as it was.
/// </summary>
internal sealed class SqliteDeclarationRepository(SqliteWriteConnection write, SqliteRows rows) : IDeclarationRepository, IDisposable
{
    private const string LiveStates = "('planned', 'active')";

    // The writer is the only one that changes declarations, so it can keep every live one it has
    // seen in memory. Changes made in the open transaction are journalled and undone on rollback,
    // so the cache never holds what was not committed.
    private readonly Dictionary<long, Declaration> _live = [];
    private readonly HashSet<long> _notLive = [];

    // Live declarations per party, for the quota: counted in the database the first time a party
    // is asked about in the session (through the index on kind and party: the party's own rows
    // only), then kept in step by Change. Both are journalled: a rollback forgets a count taken in
    // the transaction and undoes the steps, so the counts never hold what was not committed.
    private readonly Dictionary<string, int> _livePerParty = new(StringComparer.Ordinal);

    // Boxes of every live declaration by seq, each with the declaration itself once it is in
    // _live (null until first read after the grid is loaded), so a hit needs no lookup in _live,
    // whose 100,000 entries are mostly out of cache. Kept equal to _live by Cache and Change, and
    // restored with it on rollback.
    private readonly VolumeGrid<long, Declaration?> _grid = new();

    // The end (ms) of every live declaration, soonest first, for the expiry sweep: replaces the
    // index declarations_live_ends, whose inserts at random positions wrote about one page per
    // submission (counted from the WAL, docs/performance.md). Entries are pushed when a
    // declaration becomes live or changes its end, and never removed inside a transaction: an
    // entry is current while _live holds its seq with that end, so a rollback (which restores
    // _live) makes the old entries current again, and stale ones are dropped from the top when a
    // transaction begins. Structs of two longs, which the collector never traces.
    private readonly PriorityQueue<long, long> _liveEnds = new();

    // The end (ms) of every live declaration that is in the grid but not yet read (so not in
    // _live): the session starts with boxes and ends only, and reads (decodes) a stored
    // declaration the first time it is a candidate, is changed or expires. Decoding every stored
    // outline before the first write made a restart with large stored polygons wait for all of them.
    private readonly Dictionary<long, long> _unreadEnds = [];
    private readonly List<(long Seq, long End)> _endsTaken = [];
    private readonly HashSet<long> _endsSeen = [];
    private RawStatement? _insertDeclaration;
    private RawStatement? _insertVolumeIndex;

    // Reused by every broad-phase query (the repository belongs to the single writer).
    private readonly List<KeyValuePair<long, Declaration?>> _hits = [];
    private bool _gridLoaded;

    /// <summary>When a transaction begins: loads the grid the first time, and drops stale ends (the cache holds only what was committed).</summary>
    internal void Begin()
    {
        LoadGrid();
        TrimLiveEnds();
    }

    public ValueTask<Declaration?> GetAsync(DeclarationKind kind, string id) =>
        new(rows.GetDeclaration(write.Connection, null, StoreRows.Enum(kind), id));

    public ValueTask<bool> IdExistsAsync(string id)
    {
        var cmd = write.Cmd("SELECT EXISTS(SELECT 1 FROM declarations WHERE id = $id)");
        cmd.Parameters.AddWithValue("$id", id);
        return new((long)cmd.ExecuteScalar()! == 1);
    }

    public ValueTask<int> LiveCountAsync(string party)
    {
        if (!_livePerParty.TryGetValue(party, out var count))
        {
            var cmd = write.Cmd($"SELECT COUNT(*) FROM declarations WHERE kind IN ('operation', 'zone') AND party = $party AND state IN {LiveStates}");
            cmd.Parameters.AddWithValue("$party", party);
            count = (int)(long)cmd.ExecuteScalar()!;
            _livePerParty[party] = count;
            write.Journal(() => _livePerParty.Remove(party));
        }

        return new(count);
    }

    public ValueTask<IReadOnlyList<Declaration>> FindCandidatesAsync(IReadOnlyList<VolumeBox> boxes)
    {
        // The broad phase runs on the in-memory grid of live declarations' boxes (loaded from the
        // R*Tree when the session opens, kept in step with every write); the declarations come with
        // the grid's hits (or, the first time, from the database into the cache), so a check costs
        // microseconds, not an SQL query per volume.
        var hits = _hits;
        hits.Clear();
        _grid.Query(boxes, hits);
        var found = new List<Declaration>(hits.Count);
        foreach (var (seq, cached) in hits)
        {
            if ((cached ?? Live(seq)) is { } d)
            {
                found.Add(d);
            }
        }

        return new(found);
    }

    /// <summary>The live declaration at a seq, from the cache or the database; null when not live.</summary>
    private Declaration? Live(long seq)
    {
        if (_live.TryGetValue(seq, out var cached))
        {
            return cached;
        }

        if (_notLive.Contains(seq))
        {
            return null;
        }

        var cmd = write.Cmd($"SELECT {StoreRows.DeclarationColumns} FROM declarations d WHERE d.seq = $seq");
        cmd.Parameters.AddWithValue("$seq", seq);
        using var r = cmd.ExecuteReader();
        if (!r.Read())
        {
            return null;
        }

        var d = rows.ReadDeclaration(r);
        Cache(seq, d);
        return d.IsLive ? d : null;
    }

    private void Cache(long seq, Declaration d)
    {
        if (d.IsLive)
        {
            var end = StoreRows.Ms(d.EndsAt);
            long? queued = _live.TryGetValue(seq, out var before) ? StoreRows.Ms(before.EndsAt)
                : _unreadEnds.Remove(seq, out var unread) ? unread : null;
            if (queued != end)
            {
                _liveEnds.Enqueue(seq, end);
            }

            _live[seq] = d;
            _notLive.Remove(seq);
            _grid.TrySetValue(seq, d);
        }
        else
        {
            _live.Remove(seq);
            _unreadEnds.Remove(seq);
            _notLive.Add(seq);
        }
    }

    /// <summary>Records what the cache and grid held before a change, so a rollback can put them back.</summary>
    private void Change(long seq, Declaration next)
    {
        var before = _live.GetValueOrDefault(seq);
        var wasNotLive = _notLive.Contains(seq);
        long? unreadEnd = _unreadEnds.TryGetValue(seq, out var ue) ? ue : null;
        var boxes = _grid.TryGet(seq, out var b, out var gridded) ? b : null;

        // The grid holds every live declaration (loaded when the session opened) with its boxes.
        var party = next.Party;
        var counted = (boxes is { Count: > 0 }) != next.IsLive && _livePerParty.ContainsKey(party) ? (next.IsLive ? 1 : -1) : 0;
        if (counted != 0)
        {
            _livePerParty[party] += counted;
        }

        write.Journal(() =>
        {
            if (counted != 0 && _livePerParty.TryGetValue(party, out var count))
            {
                _livePerParty[party] = count - counted;
            }

            _grid.Set(seq, boxes ?? [], gridded);
            _live.Remove(seq);
            _notLive.Remove(seq);
            if (unreadEnd is { } end)
            {
                _unreadEnds[seq] = end;
            }

            if (before is not null)
            {
                _live[seq] = before;
            }
            else if (wasNotLive)
            {
                _notLive.Add(seq);
            }
        });
        Cache(seq, next);
        _grid.Set(seq, next.IsLive ? [.. next.Volumes.Select(VolumeBox.Of)] : [], next.IsLive ? next : null);
    }

    public ValueTask InsertAsync(Declaration d)
    {
        _insertDeclaration ??= new RawStatement(write.Connection,
            "INSERT INTO declarations(id, kind, party, version, state, priority, rule, name, volumes, details, starts_at, ends_at, created_at, updated_at, record_index, details_salt) " +
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16) RETURNING seq");
        var seq = _insertDeclaration.Bind(1, d.Id).Bind(2, StoreRows.Enum(d.Kind)).Bind(3, d.Party).Bind(4, d.Version).Bind(5, StoreRows.Enum(d.State))
            .Bind(6, d.Priority).Bind(7, d.Rule is { } rule ? StoreRows.Enum(rule) : null).Bind(8, d.Name).Bind(9, StoreRows.VolumesJson(d.Volumes))
            .Bind(10, d.DetailsJson).Bind(11, StoreRows.Ms(d.StartsAt)).Bind(12, StoreRows.Ms(d.EndsAt)).Bind(13, StoreRows.Ms(d.CreatedAt)).Bind(14, StoreRows.Ms(d.UpdatedAt))
            .Bind(15, write.NextRecordIndex()).Bind(16, d.DetailsSalt).ExecuteReturningInt64();
        IndexVolumes(seq, d);
        rows.Remember(d);
        Change(seq, d);
        return ValueTask.CompletedTask;
    }

    public ValueTask UpdateAsync(Declaration d)
    {
        var cmd = write.Cmd(
            "UPDATE declarations SET kind = $kind, party = $party, version = $version, state = $state, priority = $priority, rule = $rule, name = $name, " +
            "volumes = $volumes, details = $details, starts_at = $starts, ends_at = $ends, created_at = $created, updated_at = $updated, record_index = $ri, details_salt = $salt WHERE id = $id RETURNING seq");
        BindDeclaration(cmd, d);
        cmd.Parameters.AddWithValue("$ri", write.NextRecordIndex());
        var seq = (long)(cmd.ExecuteScalar() ?? throw new InvalidOperationException($"no declaration {d.Id} to update"));
        var delete = write.Cmd("DELETE FROM volume_index WHERE id IN (SELECT id FROM volume_index WHERE declaration = $seq)");
        delete.Parameters.Clear();
        delete.Parameters.AddWithValue("$seq", seq);
        delete.ExecuteNonQuery();
        IndexVolumes(seq, d);
        rows.Remember(d);
        Change(seq, d);
        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<Declaration>> EndedByAsync(DateTimeOffset now, int limit)
    {
        // Soonest end first, as the index gave them. Everything taken off the queue goes back: a
        // read changes nothing, and a rollback of what the caller does next needs the entries.
        // A declaration changed back and forth in rolled-back transactions can have two current
        // entries with the same end, hence the seen set.
        var cutoff = StoreRows.Ms(now);
        var list = new List<Declaration>();
        _endsTaken.Clear();
        _endsSeen.Clear();
        while (list.Count < limit && _liveEnds.TryPeek(out var seq, out var end) && end <= cutoff)
        {
            _liveEnds.Dequeue();
            _endsTaken.Add((seq, end));
            // A stored declaration not read since the start is read (decoded) now, as it ends.
            if (IsCurrentEnd(seq, end) && _endsSeen.Add(seq) && (_live.GetValueOrDefault(seq) ?? Live(seq)) is { } d)
            {
                list.Add(d);
            }
        }

        foreach (var (seq, end) in _endsTaken)
        {
            _liveEnds.Enqueue(seq, end);
        }

        return new(list);
    }

    private bool IsCurrentEnd(long seq, long end) =>
        _live.TryGetValue(seq, out var d) ? StoreRows.Ms(d.EndsAt) == end : _unreadEnds.TryGetValue(seq, out var unread) && unread == end;

    /// <summary>
    /// Between transactions (the cache holds only what was committed): drops stale entries from the
    /// top of the live-end queue, and rebuilds it when stale ones deeper in (changed ends) make up
    /// more than half of it. O(log n) a stale entry; a rebuild is O(n), after at least n changes.
    /// </summary>
    private void TrimLiveEnds()
    {
        while (_liveEnds.TryPeek(out var seq, out var end) && !IsCurrentEnd(seq, end))
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

    private static readonly DateTimeOffset IndexEpoch = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Index time unit: days since 2020 (float32 resolution about 30 s at 2030, rounded outward).</summary>
    internal static double IndexDays(DateTimeOffset t) => (t - IndexEpoch).TotalDays;

    /// <summary>Index altitude unit: tens of kilometres.</summary>
    internal static double IndexAltitude(double metres) => metres / 10_000.0;

    /// <summary>
    /// Fills the grid with the boxes of every live declaration from the R*Tree and the ends of live
    /// declarations from their rows, once per session: two scans, neither of which reads a volume.
    /// The float32 boxes were rounded outward, so they still contain their volumes. A stored declaration is read and its outlines decoded only when it is first
    /// needed (a candidate of a check, changed, or ending), so the first write after a start waits
    /// for no outline but its own candidates'; the store's warm-up decodes the rest beside it.
    /// </summary>
    private void LoadGrid()
    {
        if (_gridLoaded)
        {
            return;
        }

        var cmd = write.Cmd(
            "SELECT v.declaration, v.min_lng, v.max_lng, v.min_lat, v.max_lat, v.min_alt, v.max_alt, v.min_t, v.max_t " +
            $"FROM volume_index v JOIN declarations d ON d.seq = v.declaration WHERE d.state IN {LiveStates} ORDER BY v.declaration");
        var boxes = new List<VolumeBox>();
        long current = -1;
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                var seq = r.GetInt64(0);
                if (seq != current && boxes.Count > 0)
                {
                    _grid.Set(current, [.. boxes], null);
                    boxes.Clear();
                }

                current = seq;
                boxes.Add(new VolumeBox(
                    new GeoBox(r.GetDouble(3), r.GetDouble(1), r.GetDouble(4), r.GetDouble(2)),
                    r.GetDouble(5) * 10_000.0,
                    r.GetDouble(6) * 10_000.0,
                    IndexEpoch.AddDays(r.GetDouble(7)),
                    IndexEpoch.AddDays(r.GetDouble(8))));
            }
        }

        if (boxes.Count > 0)
        {
            _grid.Set(current, [.. boxes], null);
        }

        // ends_at is the end of the last volume (Declaration.EndsAt), written with the row.
        using (var r = write.Cmd($"SELECT seq, ends_at FROM declarations WHERE state IN {LiveStates}").ExecuteReader())
        {
            while (r.Read())
            {
                var seq = r.GetInt64(0);
                var end = r.GetInt64(1);
                if (!_live.ContainsKey(seq) && !_notLive.Contains(seq))
                {
                    _unreadEnds[seq] = end;
                    _liveEnds.Enqueue(seq, end);
                }
            }
        }

        _gridLoaded = true;
    }

    private void IndexVolumes(long seq, Declaration d)
    {
        _insertVolumeIndex ??= new RawStatement(write.Connection,
            "INSERT INTO volume_index(min_lng, max_lng, min_lat, max_lat, min_alt, max_alt, min_t, max_t, declaration) " +
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
        foreach (var v in d.Volumes)
        {
            var bounds = v.Outline.Bounds;
            foreach (var (west, east) in bounds.LongitudeRanges())
            {
                _insertVolumeIndex.Bind(1, west).Bind(2, east).Bind(3, bounds.South).Bind(4, bounds.North)
                    .Bind(5, IndexAltitude(v.AltitudeLowerM)).Bind(6, IndexAltitude(v.AltitudeUpperM)).Bind(7, IndexDays(v.TimeStart)).Bind(8, IndexDays(v.TimeEnd))
                    .Bind(9, seq).Execute();
            }
        }
    }

    private static void BindDeclaration(SqliteCommand cmd, Declaration d)
    {
        cmd.Parameters.Clear();
        cmd.Parameters.AddWithValue("$id", d.Id);
        cmd.Parameters.AddWithValue("$kind", StoreRows.Enum(d.Kind));
        cmd.Parameters.AddWithValue("$party", d.Party);
        cmd.Parameters.AddWithValue("$version", d.Version);
        cmd.Parameters.AddWithValue("$state", StoreRows.Enum(d.State));
        cmd.Parameters.AddWithValue("$priority", d.Priority);
        cmd.Parameters.AddWithValue("$rule", d.Rule is { } rule ? StoreRows.Enum(rule) : DBNull.Value);
        cmd.Parameters.AddWithValue("$name", (object?)d.Name ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$volumes", StoreRows.VolumesJson(d.Volumes));
        cmd.Parameters.AddWithValue("$details", (object?)d.DetailsJson ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$salt", (object?)d.DetailsSalt ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$starts", StoreRows.Ms(d.StartsAt));
        cmd.Parameters.AddWithValue("$ends", StoreRows.Ms(d.EndsAt));
        cmd.Parameters.AddWithValue("$created", StoreRows.Ms(d.CreatedAt));
        cmd.Parameters.AddWithValue("$updated", StoreRows.Ms(d.UpdatedAt));
    }

    public void Dispose()
    {
        _insertDeclaration?.Dispose();
        _insertVolumeIndex?.Dispose();
    }
}
