using Deconflict.Core.Geometry;
using Deconflict.Core.Line;
using Deconflict.Core.Model;
using Deconflict.Core.Record;
using Deconflict.Core.Strategic;
using Deconflict.Core.Tactical;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Deconflict.Storage.Sqlite;

/// <summary>
/// The single writer's connection. Transactions and savepoints are plain SQL (BEGIN IMMEDIATE takes
/// the write lock up front, so a batch never fails half-way on a lock). Statements are prepared once
/// and reused: the writer runs the same few statements thousands of times a second.
/// </summary>
internal sealed class SqliteWriteSession(SqliteConnection connection, SqliteRows rows, WalRestart walRestart, Action onDispose) : IWriteSession
{
    private const string LiveStates = "('planned', 'active')";
    private readonly Dictionary<string, SqliteCommand> _prepared = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RawStatement> _control = new(StringComparer.Ordinal);

    // The writer is the only one that changes declarations, so it can keep every live one it has
    // seen in memory. Changes made in the open transaction are journalled and undone on rollback,
    // so the cache never holds what was not committed.
    private readonly Dictionary<long, Declaration> _live = [];
    private readonly HashSet<long> _notLive = [];
    // Undo steps for the in-memory state changed in the open transaction, newest last.
    private readonly List<Action> _journal = [];

    // Live declarations per party, for the quota: counted in the database the first time a party
    // is asked about in the session (through the index on kind and party: the party's own rows
    // only), then kept in step by Change. Both are journalled: a rollback forgets a count taken in
    // the transaction and undoes the steps, so the counts never hold what was not committed.
    private readonly Dictionary<string, int> _livePerParty = new(StringComparer.Ordinal);

    // Live (not resolved) conflicts by the declarations on either side. Only the writer asks which
    // conflicts a declaration has, so this replaces two database indexes that cost two random
    // B-tree writes per conflict (docs/performance.md).
    private readonly LiveConflictIndex _liveConflicts = new();
    private readonly List<long> _conflictSeqs = [];
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
    private readonly SqliteRecordTree.Appender _record = new(connection);
    private bool _recordLoaded;
    private RawStatement? _insertEvent;
    private RawStatement? _insertDeclaration;
    private RawStatement? _insertVolumeIndex;
    private RawStatement? _insertConflict;
    private readonly RecordSalts _salts = new();

    // Reused by every broad-phase query (the session belongs to the single writer).
    private readonly List<KeyValuePair<long, Declaration?>> _hits = [];
    private bool _gridLoaded;
    private int _savepointMark;
    private bool _disposed;

    /// <summary>The writer's connection, for tests that set its limits (PRAGMA max_page_count makes a full disk).</summary>
    internal SqliteConnection Connection => connection;

    public void Begin()
    {
        LoadGrid();
        _journal.Clear();
        TrimLiveEnds();
        if (walRestart.Take())
        {
            // Copies the frames the background checkpoint has not yet, so this transaction begins
            // with the WAL wholly in the database and its first write starts the WAL again. Between
            // batches, so no answer waits for it. Busy (a reader's snapshot, or the background
            // checkpoint itself) leaves the WAL as it is; the checkpointer asks again.
            try
            {
                _ = Control("PRAGMA wal_checkpoint(PASSIVE)").ExecuteReturningInt64();
            }
            catch (SqliteException)
            {
            }
        }

        Run("BEGIN IMMEDIATE");
    }

    public void Commit()
    {
        Run("COMMIT");
        _journal.Clear();
    }

    public void Rollback()
    {
        Undo(0);

        // SQLite may already have rolled the transaction back itself (a full disk, an I/O error).
        if (raw.sqlite3_get_autocommit(connection.Handle) == 0)
        {
            Run("ROLLBACK");
        }
    }

    // total_changes counts every row changed by INSERT, UPDATE or DELETE on this connection (not
    // those a rollback undoes, which never happen between two reads of this counter); the journal
    // only grows within a transaction, and every in-memory change adds a step to it.
    public long Changes => ((long)_journal.Count << 32) | (uint)raw.sqlite3_total_changes(connection.Handle);

    public void Savepoint()
    {
        _savepointMark = _journal.Count;
        Run("SAVEPOINT request");
    }

    public void RollbackToSavepoint()
    {
        Undo(_savepointMark);
        Run("ROLLBACK TO request");
    }

    public void ReleaseSavepoint() => Run("RELEASE request");

    public Party? GetParty(string id) => SqliteRows.GetParty(connection, null, id);

    public void InsertParty(Party party)
    {
        var cmd = Cmd("INSERT INTO parties(id, name, role, created_at, record_index) VALUES ($id, $name, $role, $at, $ri)");
        cmd.Parameters.AddWithValue("$id", party.Id);
        cmd.Parameters.AddWithValue("$name", party.Name);
        cmd.Parameters.AddWithValue("$role", StoreRows.Enum(party.Role));
        cmd.Parameters.AddWithValue("$at", StoreRows.Ms(party.CreatedAt));
        cmd.Parameters.AddWithValue("$ri", NextRecordIndex());
        cmd.ExecuteNonQuery();
    }

    public void InsertToken(AccessToken token)
    {
        var cmd = Cmd("INSERT INTO tokens(id, party, secret_hash, created_at, revoked_at, record_index) VALUES ($id, $party, $hash, $at, NULL, $ri)");
        cmd.Parameters.AddWithValue("$id", token.Id);
        cmd.Parameters.AddWithValue("$party", (object?)token.PartyId ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$hash", token.SecretHash);
        cmd.Parameters.AddWithValue("$at", StoreRows.Ms(token.CreatedAt));
        cmd.Parameters.AddWithValue("$ri", NextRecordIndex());
        cmd.ExecuteNonQuery();
    }

    public AccessToken? GetToken(string tokenId)
    {
        var cmd = Cmd($"SELECT {StoreRows.TokenColumns} FROM tokens WHERE id = $id");
        cmd.Parameters.AddWithValue("$id", tokenId);
        using var r = cmd.ExecuteReader();
        return r.Read() ? StoreRows.ReadToken(r) : null;
    }

    public IReadOnlyList<AccessToken> TokensOf(string party) => SqliteRows.TokensOf(connection, null, party);

    public int LiveDeclarations(string party)
    {
        if (!_livePerParty.TryGetValue(party, out var count))
        {
            var cmd = Cmd($"SELECT COUNT(*) FROM declarations WHERE kind IN ('operation', 'zone') AND party = $party AND state IN {LiveStates}");
            cmd.Parameters.AddWithValue("$party", party);
            count = (int)(long)cmd.ExecuteScalar()!;
            _livePerParty[party] = count;
            _journal.Add(() => _livePerParty.Remove(party));
        }

        return count;
    }

    public void RevokeToken(string tokenId, DateTimeOffset at)
    {
        // A token revoked again keeps its first revocation time, and names the new entry.
        var cmd = Cmd("UPDATE tokens SET revoked_at = COALESCE(revoked_at, $at), record_index = $ri WHERE id = $id");
        cmd.Parameters.AddWithValue("$id", tokenId);
        cmd.Parameters.AddWithValue("$at", StoreRows.Ms(at));
        cmd.Parameters.AddWithValue("$ri", NextRecordIndex());
        cmd.ExecuteNonQuery();
    }

    public Declaration? GetDeclaration(DeclarationKind kind, string id) =>
        rows.GetDeclaration(connection, null, StoreRows.Enum(kind), id);

    public bool DeclarationIdExists(string id)
    {
        var cmd = Cmd("SELECT EXISTS(SELECT 1 FROM declarations WHERE id = $id)");
        cmd.Parameters.AddWithValue("$id", id);
        return (long)cmd.ExecuteScalar()! == 1;
    }

    public IReadOnlyList<Declaration> FindCandidates(IReadOnlyList<VolumeBox> boxes)
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

        return found;
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

        var cmd = Cmd($"SELECT {StoreRows.DeclarationColumns} FROM declarations d WHERE d.seq = $seq");
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

        _journal.Add(() =>
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

    /// <summary>Files a conflict (its row seq) as live or not under both of its declarations, journalled.</summary>
    private void TrackConflict(Conflict c, long seq)
    {
        TrackConflict(c.A.Id, seq, c.IsLive);
        TrackConflict(c.B.Id, seq, c.IsLive);
    }

    private void TrackConflict(string declarationId, long seq, bool live)
    {
        var changed = live ? _liveConflicts.Add(declarationId, seq) : _liveConflicts.Remove(declarationId, seq);
        if (changed)
        {
            _journal.Add(live ? () => _liveConflicts.Remove(declarationId, seq) : () => _liveConflicts.Add(declarationId, seq));
        }
    }

    private void Undo(int mark)
    {
        for (var i = _journal.Count - 1; i >= mark; i--)
        {
            _journal[i]();
        }

        _journal.RemoveRange(mark, _journal.Count - mark);
    }

    public void InsertDeclaration(Declaration d)
    {
        _insertDeclaration ??= new RawStatement(connection,
            "INSERT INTO declarations(id, kind, party, version, state, priority, rule, name, volumes, details, starts_at, ends_at, created_at, updated_at, record_index, details_salt) " +
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16) RETURNING seq");
        var seq = _insertDeclaration.Bind(1, d.Id).Bind(2, StoreRows.Enum(d.Kind)).Bind(3, d.Party).Bind(4, d.Version).Bind(5, StoreRows.Enum(d.State))
            .Bind(6, d.Priority).Bind(7, d.Rule is { } rule ? StoreRows.Enum(rule) : null).Bind(8, d.Name).Bind(9, StoreRows.VolumesJson(d.Volumes))
            .Bind(10, d.DetailsJson).Bind(11, StoreRows.Ms(d.StartsAt)).Bind(12, StoreRows.Ms(d.EndsAt)).Bind(13, StoreRows.Ms(d.CreatedAt)).Bind(14, StoreRows.Ms(d.UpdatedAt))
            .Bind(15, NextRecordIndex()).Bind(16, d.DetailsSalt).ExecuteReturningInt64();
        IndexVolumes(seq, d);
        rows.Remember(d);
        Change(seq, d);
    }

    public void UpdateDeclaration(Declaration d)
    {
        var cmd = Cmd(
            "UPDATE declarations SET kind = $kind, party = $party, version = $version, state = $state, priority = $priority, rule = $rule, name = $name, " +
            "volumes = $volumes, details = $details, starts_at = $starts, ends_at = $ends, created_at = $created, updated_at = $updated, record_index = $ri, details_salt = $salt WHERE id = $id RETURNING seq");
        BindDeclaration(cmd, d);
        cmd.Parameters.AddWithValue("$ri", NextRecordIndex());
        var seq = (long)(cmd.ExecuteScalar() ?? throw new InvalidOperationException($"no declaration {d.Id} to update"));
        var delete = Cmd("DELETE FROM volume_index WHERE id IN (SELECT id FROM volume_index WHERE declaration = $seq)");
        delete.Parameters.Clear();
        delete.Parameters.AddWithValue("$seq", seq);
        delete.ExecuteNonQuery();
        IndexVolumes(seq, d);
        rows.Remember(d);
        Change(seq, d);
    }

    public IReadOnlyList<Declaration> DeclarationsEndedBy(DateTimeOffset now, int limit)
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

        return list;
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

    public Conflict? GetConflict(string id) => SqliteRows.GetConflict(connection, null, id);

    public IReadOnlyList<Conflict> LiveConflictsOf(string declarationId)
    {
        var seqs = _conflictSeqs;
        seqs.Clear();
        _liveConflicts.Collect(declarationId, seqs);
        if (seqs.Count == 0)
        {
            return [];
        }

        // The index keys on a hash of the id, so a conflict of another declaration may come along:
        // only those naming this one are kept. Conflict ids are time-ordered (UUID v7), so ordinal
        // order is creation order.
        var list = new List<Conflict>(seqs.Count);
        var read = Cmd($"SELECT {StoreRows.ConflictColumns} FROM conflicts WHERE seq = $seq");
        var seqParameter = read.Parameters.Add("$seq", SqliteType.Integer);
        foreach (var seq in seqs)
        {
            seqParameter.Value = seq;
            using var r = read.ExecuteReader();
            var c = r.Read() ? StoreRows.ReadConflict(r) : throw new InvalidOperationException($"live conflict at seq {seq} is not in the database");
            if (c.A.Id == declarationId || c.B.Id == declarationId)
            {
                list.Add(c);
            }
        }

        list.Sort((x, y) => string.CompareOrdinal(x.Id, y.Id));
        return list;
    }

    public void InsertConflict(Conflict c)
    {
        _insertConflict ??= new RawStatement(connection,
            "INSERT INTO conflicts(id, version, state, a_kind, a_id, a_party, a_version, b_kind, b_id, b_party, b_version, time_start, time_end, " +
            "altitude_lower_m, altitude_upper_m, acknowledged_by, accepted_by, created_at, updated_at, resolved_at, record_index) VALUES (?1, ?2, ?3, " +
            "?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21) RETURNING seq");
        var seq = _insertConflict.Bind(1, c.Id).Bind(2, c.Version).Bind(3, StoreRows.Enum(c.State))
            .Bind(4, StoreRows.Enum(c.A.Kind)).Bind(5, c.A.Id).Bind(6, c.A.Party).Bind(7, c.A.Version)
            .Bind(8, StoreRows.Enum(c.B.Kind)).Bind(9, c.B.Id).Bind(10, c.B.Party).Bind(11, c.B.Version)
            .Bind(12, StoreRows.Text(c.Overlap.TimeStart)).Bind(13, StoreRows.Text(c.Overlap.TimeEnd)).Bind(14, c.Overlap.AltitudeLowerM).Bind(15, c.Overlap.AltitudeUpperM)
            .Bind(16, StoreRows.TimesJson(c.AcknowledgedBy)).Bind(17, StoreRows.TimesJson(c.AcceptedBy)).Bind(18, StoreRows.Ms(c.CreatedAt)).Bind(19, StoreRows.Ms(c.UpdatedAt))
            .Bind(20, c.ResolvedAt is { } resolved ? StoreRows.Ms(resolved) : null).Bind(21, NextRecordIndex())
            .ExecuteReturningInt64();
        TrackConflict(c, seq);
    }

    public void UpdateConflict(Conflict c)
    {
        var cmd = Cmd(
            "UPDATE conflicts SET version = $version, state = $state, a_kind = $a_kind, a_id = $a_id, a_party = $a_party, a_version = $a_version, " +
            "b_kind = $b_kind, b_id = $b_id, b_party = $b_party, b_version = $b_version, time_start = $t0, time_end = $t1, altitude_lower_m = $lo, " +
            "altitude_upper_m = $hi, acknowledged_by = $acks, accepted_by = $accepts, created_at = $created, updated_at = $updated, resolved_at = $resolved, record_index = $ri " +
            "WHERE id = $id RETURNING seq");
        BindConflict(cmd, c);
        cmd.Parameters.AddWithValue("$ri", NextRecordIndex());
        var seq = (long)(cmd.ExecuteScalar() ?? throw new InvalidOperationException($"no conflict {c.Id} to update"));
        TrackConflict(c, seq);
    }

    /// <summary>
    /// Appends the event and its record entry in this transaction: the event row (the entry's exact
    /// bytes, nothing else), then the leaf and the Merkle nodes it completes. The event's sequence is its
    /// record index + 1. A failure anywhere undoes all of it with the write that emitted it.
    /// </summary>
    public StoredEvent AppendEvent(DomainEvent e, DateTimeOffset time)
    {
        LoadRecord();
        var ms = StoreRows.Ms(time);
        var stored = new StoredEvent(_record.Size + 1, StoreRows.Time(ms), e.Type, e.Actor, e.IsPublic ? [] : e.Audience, e.PayloadJson);
        var entry = StoreRows.Entry(stored, _salts.Next()).Canonical();
        _insertEvent ??= new RawStatement(connection, "INSERT INTO events(seq, entry) VALUES (?1, ?2)");
        _insertEvent.Bind(1, stored.Sequence).Bind(2, entry).Execute();
        _journal.Add(_record.Append(MerkleTree.LeafHash(entry)));
        return stored;
    }

    /// <summary>
    /// The index the next appended entry gets: a row written now names the entry its caller emits
    /// next, about it (every write stores the object and then emits its event; the start check,
    /// RecordCheck, holds each row to that entry).
    /// </summary>
    private long NextRecordIndex()
    {
        LoadRecord();
        return _record.Size;
    }


    /// <summary>The record's size and root as this transaction stands.</summary>
    public (long Size, byte[] Root) RecordHead()
    {
        LoadRecord();
        return (_record.Size, _record.Root());
    }

    public byte[] RecordRoot(long size)
    {
        using var tree = new SqliteRecordTree.Reader(connection);
        return MerkleTree.Root(size, tree);
    }

    // One node writes alone: no other node can take the lease over.
    public long? LeaseEpoch() => null;

    public RecordHead? LatestHead()
    {
        var cmd = Cmd("SELECT size, root, time, signature FROM record_heads ORDER BY size DESC LIMIT 1");
        using var r = cmd.ExecuteReader();
        return r.Read() ? new RecordHead(r.GetInt64(0), (byte[])r.GetValue(1), StoreRows.Time(r.GetInt64(2)), (byte[])r.GetValue(3)) : null;
    }

    public void InsertHead(RecordHead head)
    {
        var cmd = Cmd("INSERT INTO record_heads(size, root, time, signature) VALUES ($size, $root, $time, $signature)");
        cmd.Parameters.AddWithValue("$size", head.Size);
        cmd.Parameters.AddWithValue("$root", head.RootHash);
        cmd.Parameters.AddWithValue("$time", StoreRows.Ms(head.Time));
        cmd.Parameters.AddWithValue("$signature", head.Signature);
        cmd.ExecuteNonQuery();
    }

    public void InsertCosignature(Cosignature cosignature)
    {
        var cmd = Cmd("INSERT INTO record_cosignatures(party, size, root, time, signature) VALUES ($party, $size, $root, $time, $signature)");
        cmd.Parameters.AddWithValue("$party", cosignature.Party);
        cmd.Parameters.AddWithValue("$size", cosignature.Size);
        cmd.Parameters.AddWithValue("$root", cosignature.RootHash);
        cmd.Parameters.AddWithValue("$time", StoreRows.Ms(cosignature.Time));
        cmd.Parameters.AddWithValue("$signature", cosignature.Signature);
        cmd.ExecuteNonQuery();
    }

    public void SetPartyKey(string party, byte[] publicKey, DateTimeOffset at)
    {
        var cmd = Cmd("INSERT INTO party_keys(party, public_key, registered_at, record_index) VALUES ($party, $key, $at, $ri) " +
            "ON CONFLICT(party) DO UPDATE SET public_key = excluded.public_key, registered_at = excluded.registered_at, record_index = excluded.record_index");
        cmd.Parameters.AddWithValue("$party", party);
        cmd.Parameters.AddWithValue("$key", publicKey);
        cmd.Parameters.AddWithValue("$at", StoreRows.Ms(at));
        cmd.Parameters.AddWithValue("$ri", NextRecordIndex());
        cmd.ExecuteNonQuery();
    }

    public bool RevealEntry(long index, string? by, DateTimeOffset at)
    {
        var cmd = Cmd("INSERT INTO record_reveals(entry_index, revealed_by, revealed_at) VALUES ($index, $by, $at) ON CONFLICT(entry_index) DO NOTHING");
        cmd.Parameters.AddWithValue("$index", index);
        cmd.Parameters.AddWithValue("$by", (object?)by ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$at", StoreRows.Ms(at));
        return cmd.ExecuteNonQuery() == 1;
    }

    public void InsertMessage(LineMessage message, string? idempotencyKey)
    {
        var cmd = Cmd("INSERT INTO line_messages(id, sender, version, doc, next_due_at, idempotency_key, notice_for, created_at, record_index) " +
            "VALUES ($id, $sender, $version, $doc, $due, $key, $notice, $at, $ri) RETURNING seq");
        cmd.Parameters.AddWithValue("$ri", NextRecordIndex());
        cmd.Parameters.AddWithValue("$notice", (object?)message.NoticeFor ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$id", message.Id);
        cmd.Parameters.AddWithValue("$sender", message.From);
        cmd.Parameters.AddWithValue("$version", message.Version);
        cmd.Parameters.AddWithValue("$doc", LineRows.Serialize(message));
        cmd.Parameters.AddWithValue("$due", LineRows.Due(message));
        cmd.Parameters.AddWithValue("$key", (object?)idempotencyKey ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$at", StoreRows.Ms(message.SentAt));
        var seq = (long)cmd.ExecuteScalar()!;
        var recipient = Cmd("INSERT INTO line_recipients(party, message_seq) VALUES ($party, $seq)");
        foreach (var party in message.To)
        {
            recipient.Parameters.Clear();
            recipient.Parameters.AddWithValue("$party", party);
            recipient.Parameters.AddWithValue("$seq", seq);
            recipient.ExecuteNonQuery();
        }
    }

    public void UpdateMessage(LineMessage message)
    {
        var cmd = Cmd("UPDATE line_messages SET version = $version, doc = $doc, next_due_at = $due, record_index = $ri WHERE id = $id");
        cmd.Parameters.AddWithValue("$ri", NextRecordIndex());
        cmd.Parameters.AddWithValue("$id", message.Id);
        cmd.Parameters.AddWithValue("$version", message.Version);
        cmd.Parameters.AddWithValue("$doc", LineRows.Serialize(message));
        cmd.Parameters.AddWithValue("$due", LineRows.Due(message));
        if (cmd.ExecuteNonQuery() != 1)
        {
            throw new InvalidOperationException($"No line message {message.Id} to update.");
        }
    }

    LineMessage? IWriteSession.GetMessage(string id)
    {
        var cmd = Cmd($"SELECT {LineRows.Columns} FROM line_messages WHERE id = $id");
        cmd.Parameters.AddWithValue("$id", id);
        return LineRows.ReadOne(cmd);
    }

    public void SetEscalationContacts(string party, IReadOnlyList<(int Level, string Url)> contacts)
    {
        var delete = Cmd("DELETE FROM escalation_contacts WHERE party = $party");
        delete.Parameters.AddWithValue("$party", party);
        delete.ExecuteNonQuery();
        var insert = Cmd("INSERT OR IGNORE INTO escalation_contacts(party, level, url) VALUES ($party, $level, $url)");
        foreach (var (level, url) in contacts)
        {
            insert.Parameters.Clear();
            insert.Parameters.AddWithValue("$party", party);
            insert.Parameters.AddWithValue("$level", level);
            insert.Parameters.AddWithValue("$url", url);
            insert.ExecuteNonQuery();
        }

        // The set (even empty) names the entry its caller emits next, stating it.
        var bind = Cmd("INSERT INTO escalation_contact_sets(party, record_index) VALUES ($party, $ri) ON CONFLICT(party) DO UPDATE SET record_index = excluded.record_index");
        bind.Parameters.AddWithValue("$party", party);
        bind.Parameters.AddWithValue("$ri", NextRecordIndex());
        bind.ExecuteNonQuery();
    }

    public LineMessage? NoticeOf(string conflictId)
    {
        var cmd = Cmd($"SELECT {LineRows.Columns} FROM line_messages WHERE notice_for = $conflict");
        cmd.Parameters.AddWithValue("$conflict", conflictId);
        return LineRows.ReadOne(cmd);
    }

    public LineMessage? FindMessage(string sender, string idempotencyKey)
    {
        var cmd = Cmd($"SELECT {LineRows.Columns} FROM line_messages WHERE sender = $sender AND idempotency_key = $key");
        cmd.Parameters.AddWithValue("$sender", sender);
        cmd.Parameters.AddWithValue("$key", idempotencyKey);
        return LineRows.ReadOne(cmd);
    }

    public IReadOnlyList<LineMessage> MessagesDueBy(DateTimeOffset now, int limit)
    {
        var cmd = Cmd($"SELECT {LineRows.Columns} FROM line_messages WHERE next_due_at IS NOT NULL AND next_due_at <= $now ORDER BY next_due_at LIMIT $limit");
        cmd.Parameters.AddWithValue("$now", StoreRows.Ms(now));
        cmd.Parameters.AddWithValue("$limit", limit);
        using var r = cmd.ExecuteReader();
        var list = new List<LineMessage>();
        while (r.Read())
        {
            list.Add(LineRows.Read(r));
        }

        return list;
    }

    TrackAlert? IWriteSession.GetAlert(string id)
    {
        var cmd = Cmd($"SELECT {AlertRows.Columns} FROM alerts WHERE id = $id");
        cmd.Parameters.AddWithValue("$id", id);
        return AlertRows.ReadOne(cmd);
    }

    public void InsertAlert(TrackAlert alert)
    {
        var cmd = Cmd("INSERT INTO alerts(id, a_party, b_party, state, version, doc, record_index) VALUES ($id, $a, $b, $state, $version, $doc, $ri)");
        AlertRows.Bind(cmd, alert, "$");
        cmd.Parameters.AddWithValue("$ri", NextRecordIndex());
        cmd.ExecuteNonQuery();
    }

    public void UpdateAlert(TrackAlert alert)
    {
        var cmd = Cmd("UPDATE alerts SET state = $state, version = $version, doc = $doc, record_index = $ri WHERE id = $id AND a_party = $a AND b_party = $b");
        AlertRows.Bind(cmd, alert, "$");
        cmd.Parameters.AddWithValue("$ri", NextRecordIndex());
        if (cmd.ExecuteNonQuery() != 1)
        {
            throw new InvalidOperationException($"No alert {alert.Id} between {alert.A.Party} and {alert.B.Party} to update.");
        }
    }

    private void LoadRecord()
    {
        if (_recordLoaded)
        {
            return;
        }

        var cmd = Cmd("SELECT COALESCE(MAX(seq), 0) FROM events");
        _record.Load(connection, (long)cmd.ExecuteScalar()!);
        _recordLoaded = true;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var cmd in _prepared.Values)
        {
            cmd.Dispose();
        }

        foreach (var statement in _control.Values)
        {
            statement.Dispose();
        }

        _insertEvent?.Dispose();
        _insertDeclaration?.Dispose();
        _insertVolumeIndex?.Dispose();
        _insertConflict?.Dispose();
        _record.Dispose();

        connection.Dispose();
        onDispose();
    }

    private static readonly DateTimeOffset IndexEpoch = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Index time unit: days since 2020 (float32 resolution about 30 s at 2030, rounded outward).</summary>
    internal static double IndexDays(DateTimeOffset t) => (t - IndexEpoch).TotalDays;

    /// <summary>Index altitude unit: tens of kilometres.</summary>
    internal static double IndexAltitude(double metres) => metres / 10_000.0;

    /// <summary>
    /// Fills the grid with the boxes of every live declaration from the R*Tree, the ends of live
    /// declarations from their rows, and the map of live conflicts, once per session: three scans,
    /// none of which reads a volume. The float32 boxes were rounded outward, so they still contain
    /// their volumes. A stored declaration is read and its outlines decoded only when it is first
    /// needed (a candidate of a check, changed, or ending), so the first write after a start waits
    /// for no outline but its own candidates'; the store's warm-up decodes the rest beside it.
    /// </summary>
    private void LoadGrid()
    {
        if (_gridLoaded)
        {
            return;
        }

        var cmd = Cmd(
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
        using (var r = Cmd($"SELECT seq, ends_at FROM declarations WHERE state IN {LiveStates}").ExecuteReader())
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

        using (var r = Cmd("SELECT seq, a_id, b_id FROM conflicts WHERE state <> 'resolved'").ExecuteReader())
        {
            while (r.Read())
            {
                _liveConflicts.Add(r.GetString(1), r.GetInt64(0));
                _liveConflicts.Add(r.GetString(2), r.GetInt64(0));
            }
        }

        _gridLoaded = true;
    }

    private void IndexVolumes(long seq, Declaration d)
    {
        _insertVolumeIndex ??= new RawStatement(connection,
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

    private static void BindConflict(SqliteCommand cmd, Conflict c)
    {
        cmd.Parameters.Clear();
        cmd.Parameters.AddWithValue("$id", c.Id);
        cmd.Parameters.AddWithValue("$version", c.Version);
        cmd.Parameters.AddWithValue("$state", StoreRows.Enum(c.State));
        BindRef(cmd, "a", c.A);
        BindRef(cmd, "b", c.B);
        cmd.Parameters.AddWithValue("$t0", StoreRows.Text(c.Overlap.TimeStart));
        cmd.Parameters.AddWithValue("$t1", StoreRows.Text(c.Overlap.TimeEnd));
        cmd.Parameters.AddWithValue("$lo", c.Overlap.AltitudeLowerM);
        cmd.Parameters.AddWithValue("$hi", c.Overlap.AltitudeUpperM);
        cmd.Parameters.AddWithValue("$acks", StoreRows.TimesJson(c.AcknowledgedBy));
        cmd.Parameters.AddWithValue("$accepts", StoreRows.TimesJson(c.AcceptedBy));
        cmd.Parameters.AddWithValue("$created", StoreRows.Ms(c.CreatedAt));
        cmd.Parameters.AddWithValue("$updated", StoreRows.Ms(c.UpdatedAt));
        cmd.Parameters.AddWithValue("$resolved", c.ResolvedAt is { } r ? StoreRows.Ms(r) : DBNull.Value);
    }

    private static void BindRef(SqliteCommand cmd, string side, ConflictRef r)
    {
        cmd.Parameters.AddWithValue($"${side}_kind", StoreRows.Enum(r.Kind));
        cmd.Parameters.AddWithValue($"${side}_id", r.Id);
        cmd.Parameters.AddWithValue($"${side}_party", r.Party);
        cmd.Parameters.AddWithValue($"${side}_version", r.Version);
    }

    private SqliteCommand Cmd(string sql)
    {
        if (!_prepared.TryGetValue(sql, out var cmd))
        {
            cmd = connection.CreateCommand();
            cmd.CommandText = sql;
            _prepared.Add(sql, cmd);
        }

        cmd.Parameters.Clear();
        return cmd;
    }

    /// <summary>
    /// Runs a transaction-control statement (BEGIN, COMMIT, SAVEPOINT...), prepared once. Two of
    /// them run per request and two per batch: through Microsoft.Data.Sqlite each execution
    /// re-enumerated its statements, 5% of the writer's time (dotnet-trace, docs/performance.md).
    /// </summary>
    private void Run(string sql) => Control(sql).Execute();

    private RawStatement Control(string sql)
    {
        if (!_control.TryGetValue(sql, out var statement))
        {
            _control.Add(sql, statement = new RawStatement(connection, sql));
        }

        return statement;
    }
}
