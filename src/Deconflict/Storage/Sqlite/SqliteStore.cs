using System.Text.Json;
using Deconflict.Core.Line;
using Deconflict.Core.Model;
using Deconflict.Core.Record;
using Deconflict.Core.Strategic;
using Deconflict.Core.Tactical;
using Microsoft.Data.Sqlite;

namespace Deconflict.Storage.Sqlite;

/// <summary>
/// The embedded default store: one SQLite file in WAL mode. Readers take pooled connections and see
/// the last committed snapshot; the single writer holds its own connection. synchronous=FULL makes
/// every commit fsync the WAL before it returns, so an acknowledged write survives a crash or a
/// power cut, not only a killed process.
/// </summary>
public sealed class SqliteStore : IDeconflictStore, IRecordCheckSource
{
    private readonly string _connectionString;
    private readonly SqliteRows _rows = new();
    private readonly TimeProvider _time;
    private readonly IStatedEvents? _stated;
    private int _writeSessionOpen;

    /// <summary>WAL frames at which the checkpointer asks the writer to let the WAL start again (<see cref="WalRestart"/>); smaller in tests.</summary>
    internal long WalRestartFrames { get; init; } = WalRestart.DefaultFrames;

    /// <summary>How often the background checkpoint runs; shorter in tests.</summary>
    internal TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <param name="path">The database file; created with its folder when missing.</param>
    /// <param name="time">The service's clock, which stamps applied migrations (the system clock by default).</param>
    /// <param name="stated">
    /// The entries that migrations 9 to 11 append to state the rows of a database written before
    /// them. The features build those payloads (pinned bytes), so the caller that opens an existing
    /// database hands them in; without them, migrating a database that has such rows is refused.
    /// </param>
    public SqliteStore(string path, TimeProvider? time = null, IStatedEvents? stated = null)
    {
        _time = time ?? TimeProvider.System;
        _stated = stated;
        var full = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = full,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        Path = full;
    }

    public string Path { get; }

    /// <summary>The builders of the stated entries, asked for only when a migration has a row to state.</summary>
    private IStatedEvents Stated => _stated ?? throw new InvalidOperationException(
        $"The database {Path} holds rows written before the record stated them, and this store was opened without the entries that state them.");

    public string CheckCommand => $"deconflict record check --db {Path} --full";

    /// <summary>Nothing to hold: the record check runs while this process alone holds the database (DatabaseLock), before its writer starts.</summary>
    public IDisposable Snapshot() => NoSnapshot.Instance;

    private sealed class NoSnapshot : IDisposable
    {
        public static readonly NoSnapshot Instance = new();

        public void Dispose()
        {
        }
    }

    public void Migrate() => MigrateTo(SqliteSchema.Migrations.Count);

    // One process writes the file (the server holds its DatabaseLock), through one write session at a time.
    public bool SoleWriter => true;

    /// <summary>Applies the migrations up to <paramref name="version"/>; below the latest only in tests of the migrations themselves.</summary>
    internal void MigrateTo(int version)
    {
        using var c = Open();
        Exec(c, null, "PRAGMA journal_mode=WAL;");
        Exec(c, null, "CREATE TABLE IF NOT EXISTS schema_migrations(version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL);");
        long current;
        using (var cmd = SqliteRows.Command(c, null, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"))
        {
            current = (long)cmd.ExecuteScalar()!;
        }

        if (current > SqliteSchema.Migrations.Count)
        {
            throw new InvalidOperationException(
                $"The database {Path} has schema version {current}, newer than this build knows ({SqliteSchema.Migrations.Count}). Use a newer deconflict.");
        }

        for (var v = (int)current + 1; v <= version; v++)
        {
            using var tx = c.BeginTransaction();
            Exec(c, tx, SqliteSchema.Migrations[v - 1]);
            if (v == 2)
            {
                BackfillRecord(c, tx);
            }

            if (v == 7)
            {
                BackfillRecordIndex(c, tx);
            }

            if (v == 9)
            {
                BindTokens(c, tx, StoreRows.Time(StoreRows.Ms(_time.GetUtcNow())));
            }

            if (v == 10)
            {
                BindParties(c, tx, StoreRows.Time(StoreRows.Ms(_time.GetUtcNow())));
            }

            if (v == 11)
            {
                BindEscalationContacts(c, tx, StoreRows.Time(StoreRows.Ms(_time.GetUtcNow())));
            }

            using var record = SqliteRows.Command(c, tx, "INSERT INTO schema_migrations(version, applied_at) VALUES ($v, $t)");
            record.Parameters.AddWithValue("$v", v);
            record.Parameters.AddWithValue("$t", StoreRows.Ms(_time.GetUtcNow()));
            record.ExecuteNonQuery();
            tx.Commit();
        }
    }

    /// <summary>
    /// Enters the events written before the record existed into it, in order, each with its own
    /// fresh salt, in the migration's transaction (all or nothing).
    /// </summary>
    private static void BackfillRecord(SqliteConnection c, SqliteTransaction tx)
    {
        var entries = new List<(long Seq, byte[] Entry)>();
        using (var cmd = SqliteRows.Command(c, tx, $"SELECT {SqliteRows.EventColumns} FROM events ORDER BY seq"))
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                var e = SqliteRows.ReadEvent(r);
                entries.Add((e.Sequence, StoreRows.Entry(e).Canonical()));
            }
        }

        var tree = new MemoryMerkleNodes();
        using var update = SqliteRows.Command(c, tx, "UPDATE events SET entry = $entry WHERE seq = $seq");
        using var insert = SqliteRows.Command(c, tx, "INSERT INTO record_nodes(id, hash) VALUES ($id, $hash)");
        foreach (var (seq, entry) in entries)
        {
            update.Parameters.Clear();
            update.Parameters.AddWithValue("$entry", entry);
            update.Parameters.AddWithValue("$seq", seq);
            update.ExecuteNonQuery();
            foreach (var (level, index, hash) in tree.Append(MerkleTree.LeafHash(entry)))
            {
                insert.Parameters.Clear();
                // Migration 2's key layout, which migration 5 turns into SqliteRecordTree.NodeId.
                insert.Parameters.AddWithValue("$id", SqliteRecordTree.Migration2NodeId(level, index));
                insert.Parameters.AddWithValue("$hash", hash);
                insert.ExecuteNonQuery();
            }
        }
    }

    /// <summary>
    /// Binds the rows of a database written before migration 7 to the latest entry about each
    /// (for an alert, the first of its sides' latest entries), in the migration's transaction. A
    /// message last changed by a receipt or an escalation of that time has no entry that states it
    /// whole: the start check names that entry, and such a database is refused until the message
    /// changes again through a newer build (docs/record.md, "Served state").
    /// </summary>
    private static void BackfillRecordIndex(SqliteConnection c, SqliteTransaction tx)
    {
        var latest = new Dictionary<(string Kind, string Id), long>();
        using (var cmd = SqliteRows.Command(c, tx, "SELECT seq, entry FROM events WHERE entry IS NOT NULL ORDER BY seq"))
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                if (RecordEntry.Parse((byte[])r.GetValue(1)) is not { } entry)
                {
                    continue;
                }

                RecordSubject? subject;
                try
                {
                    subject = RecordSubject.Of(entry);
                }
                catch (JsonException)
                {
                    continue;
                }

                if (subject is null)
                {
                    continue;
                }

                var key = (subject.Kind == RecordSubject.Zone ? RecordSubject.Operation : subject.Kind, subject.Id);
                var index = r.GetInt64(0) - 1;

                // An alert's sides are entered one after the other: its row names the first.
                latest[key] = subject.Kind == RecordSubject.Alert && latest.TryGetValue(key, out var before) && before == index - 1 && subject.Side != null
                    ? before
                    : index;
            }
        }

        foreach (var ((kind, id), index) in latest)
        {
            var table = kind switch
            {
                RecordSubject.Operation => "declarations",
                RecordSubject.Conflict => "conflicts",
                RecordSubject.Message => "line_messages",
                RecordSubject.Alert => "alerts",
                _ => null,
            };
            if (table is null)
            {
                continue;
            }

            using var update = SqliteRows.Command(c, tx, $"UPDATE {table} SET record_index = $index WHERE id = $id");
            update.Parameters.AddWithValue("$index", index);
            update.Parameters.AddWithValue("$id", id);
            update.ExecuteNonQuery();
        }
    }

    /// <summary>
    /// Binds the tokens of a database written before migration 9: their entries named the token,
    /// not its secret's hash, so nothing in the record proves them. Each gets an entry stating it
    /// whole (action "token-stated" to the party concerned, "stated" for an admin token) appended to the record in the
    /// migration's transaction, and names it. From then on the token is as bound as one issued
    /// later: its party and the admin see it in the record, and the start check holds the row to it.
    /// </summary>
    private void BindTokens(SqliteConnection c, SqliteTransaction tx, DateTimeOffset now)
    {
        var tokens = new List<AccessToken>();
        using (var cmd = SqliteRows.Command(c, tx, $"SELECT {StoreRows.TokenColumns} FROM tokens ORDER BY rowid"))
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                tokens.Add(StoreRows.ReadToken(r));
            }
        }

        AppendStated(c, tx, now, [.. tokens.Select(t => (
            Stated.Token(t),
            "UPDATE tokens SET record_index = $index WHERE id = $id", t.Id))]);
    }

    /// <summary>
    /// Binds the parties and witness keys of a database written before migration 10. A party's
    /// <c>created</c> entry states it whole (id, name, role, creation time) and is bound as it is;
    /// a party with none gets an entry stating it (<c>stated</c>). A key's <c>key-registered</c>
    /// entry did not state its registration time, so each key gets an entry stating it whole
    /// (<c>key-stated</c>, public, like the registration), in the migration's transaction.
    /// </summary>
    private void BindParties(SqliteConnection c, SqliteTransaction tx, DateTimeOffset now)
    {
        var created = new Dictionary<string, long>(StringComparer.Ordinal);
        using (var cmd = SqliteRows.Command(c, tx, "SELECT seq, entry FROM events WHERE entry IS NOT NULL ORDER BY seq"))
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                try
                {
                    if (RecordEntry.Parse((byte[])r.GetValue(1)) is { } entry && RecordSubject.Of(entry) is { Kind: RecordSubject.Party } subject)
                    {
                        created[subject.Id] = r.GetInt64(0) - 1;
                    }
                }
                catch (JsonException)
                {
                    // Not a party's entry; the start check names an entry that is not JSON.
                }
            }
        }

        var parties = new List<Party>();
        using (var cmd = SqliteRows.Command(c, tx, "SELECT id, name, role, created_at FROM parties ORDER BY id"))
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                parties.Add(StoreRows.ReadParty(r));
            }
        }

        using (var bind = SqliteRows.Command(c, tx, "UPDATE parties SET record_index = $index WHERE id = $id"))
        {
            foreach (var (id, index) in created)
            {
                bind.Parameters.Clear();
                bind.Parameters.AddWithValue("$index", index);
                bind.Parameters.AddWithValue("$id", id);
                bind.ExecuteNonQuery();
            }
        }

        var stated = new List<(DomainEvent, string, string)>();
        foreach (var p in parties.Where(p => !created.ContainsKey(p.Id)))
        {
            stated.Add((Stated.Party(p), "UPDATE parties SET record_index = $index WHERE id = $id", p.Id));
        }

        using (var cmd = SqliteRows.Command(c, tx, "SELECT party, public_key, registered_at FROM party_keys ORDER BY party"))
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                var key = new StoredPartyKey(r.GetString(0), (byte[])r.GetValue(1), StoreRows.Time(r.GetInt64(2)));
                stated.Add((Stated.PartyKey(key), "UPDATE party_keys SET record_index = $index WHERE party = $id", key.Party));
            }
        }

        AppendStated(c, tx, now, stated);
    }

    /// <summary>
    /// Binds the escalation contacts of a database written before migration 11: their entries
    /// gave the contacts as posted, not the set as stored, so each party with contacts gets an
    /// entry stating its set whole (<c>escalation-contacts-stated</c>, to that party and the admin).
    /// </summary>
    private void BindEscalationContacts(SqliteConnection c, SqliteTransaction tx, DateTimeOffset now)
    {
        var contacts = StoreRows.ContactsByParty(c, tx);

        AppendStated(c, tx, now, [.. contacts.Select(kv => (
            Stated.EscalationContacts(kv.Key, kv.Value),
            "INSERT INTO escalation_contact_sets(party, record_index) VALUES ($id, $index)", kv.Key))]);
    }

    /// <summary>
    /// Appends an entry per event to the record in the migration's transaction (with fresh salts,
    /// at <paramref name="now"/>), and binds each row to its entry with its update (parameters
    /// <c>$index</c> and <c>$id</c>).
    /// </summary>
    private static void AppendStated(SqliteConnection c, SqliteTransaction tx, DateTimeOffset now, List<(DomainEvent Event, string Bind, string Id)> stated)
    {
        if (stated.Count == 0)
        {
            return;
        }

        long size;
        using (var cmd = SqliteRows.Command(c, tx, "SELECT COALESCE(MAX(seq), 0) FROM events"))
        {
            size = (long)cmd.ExecuteScalar()!;
        }

        var tree = new MerkleFrontier();
        using (var reader = new SqliteRecordTree.Reader(c, tx))
        {
            tree.Load(size, reader);
        }

        using var insert = SqliteRows.Command(c, tx, "INSERT INTO events(seq, entry) VALUES ($seq, $entry)");
        using var insertNode = SqliteRows.Command(c, tx, "INSERT INTO record_nodes(id, hash) VALUES ($id, $hash)");
        foreach (var (d, bindSql, id) in stated)
        {
            var e = new StoredEvent(tree.Size + 1, now, d.Type, d.Actor, d.IsPublic ? [] : d.Audience, d.PayloadJson);
            var entry = StoreRows.Entry(e).Canonical();
            insert.Parameters.Clear();
            insert.Parameters.AddWithValue("$seq", e.Sequence);
            insert.Parameters.AddWithValue("$entry", entry);
            insert.ExecuteNonQuery();
            using var bind = SqliteRows.Command(c, tx, bindSql);
            bind.Parameters.AddWithValue("$index", e.Sequence - 1);
            bind.Parameters.AddWithValue("$id", id);
            bind.ExecuteNonQuery();
            foreach (var (level, index, hash) in tree.Append(MerkleTree.LeafHash(entry)).Completed)
            {
                insertNode.Parameters.Clear();
                insertNode.Parameters.AddWithValue("$id", SqliteRecordTree.NodeId(level, index));
                insertNode.Parameters.AddWithValue("$hash", hash);
                insertNode.ExecuteNonQuery();
            }
        }
    }

    /// <summary>
    /// Decodes the volumes of every live declaration on all cores, so that the writer's checks
    /// after a start soon stop paying for it: decoding densifies and prepares each outline (about
    /// 85 us for a 10-vertex polygon), and a check touches about 8 candidates, so a cold cache made
    /// the first minutes after a restart with 100,000 declarations several times slower (measured,
    /// docs/performance.md). Runs beside the writer, which never waits for it (it decodes the
    /// candidates it needs first itself): the cache is concurrent and keyed by version.
    /// </summary>
    public int WarmUp(CancellationToken ct = default)
    {
        var rows = new List<(long Key, string Id, long Version, string Volumes)>();
        using (var c = Open())
        {
            // Decoded in neighbour order (StoreRows.NoteNeighbourKey), so that a check's
            // candidates' outlines sit near each other in memory.
            var keys = new Dictionary<long, long>();
            using (var cmd = SqliteRows.Command(c, null, "SELECT declaration, min_t, min_lat, min_lng FROM volume_index"))
            using (var r = cmd.ExecuteReader())
            {
                while (r.Read())
                {
                    StoreRows.NoteNeighbourKey(keys, r.GetInt64(0), r.GetDouble(1), r.GetDouble(2), r.GetDouble(3));
                }
            }

            using (var cmd = SqliteRows.Command(c, null, "SELECT seq, id, version, volumes FROM declarations WHERE state IN ('planned', 'active')"))
            using (var r = cmd.ExecuteReader())
            {
                while (r.Read())
                {
                    rows.Add((keys.GetValueOrDefault(r.GetInt64(0)), r.GetString(1), r.GetInt64(2), r.GetString(3)));
                }
            }
        }

        rows.Sort((a, b) => a.Key.CompareTo(b.Key));
        Parallel.ForEach(rows, new ParallelOptions { CancellationToken = ct }, row => _rows.Warm(row.Id, row.Version, row.Volumes));
        return rows.Count;
    }

    /// <summary>How many declaration versions have had their volumes decoded (outlines derived) since the store was opened.</summary>
    public long DecodedVolumeSets => _rows.DecodedVolumeSets;

    public IWriteSession OpenWriteSession()
    {
        if (Interlocked.Exchange(ref _writeSessionOpen, 1) == 1)
        {
            throw new InvalidOperationException("A write session is already open: the store has one writer.");
        }

        var connection = Open();

        // Durability and integrity are the writer's business, so only its connection sets them.
        // The writer touches pages all over the file (declarations, index, events): with SQLite's
        // default 2 MB cache, inserts at 100,000 declarations read pages back from the OS on every
        // statement. 256 MB holds the working set of a few hundred thousand declarations.
        //
        // Checkpoints (copying the WAL back into the database file) are taken off the writer:
        // with automatic checkpoints, a third of the writer's time at 1,000 submissions a second
        // went into COMMITs that happened to checkpoint (measured with dotnet-trace). A background
        // thread runs passive checkpoints instead, which never block the writer.
        //
        // SQLite's own automatic checkpoint stays as a backstop at 4 GB of WAL, four times where the
        // checkpointer asks the writer to let the WAL start again (WalRestart.DefaultFrames).
        Exec(connection, null, "PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL; PRAGMA cache_size=-262144; PRAGMA temp_store=MEMORY; PRAGMA wal_autocheckpoint=1048576;");
        var checkpoints = new CancellationTokenSource();
        var walRestart = new WalRestart();
        var checkpointer = new Thread(() => CheckpointLoop(walRestart, checkpoints.Token)) { IsBackground = true, Name = "deconflict-checkpoint" };
        checkpointer.Start();
        return new SqliteWriteSession(connection, _rows, walRestart, () =>
        {
            checkpoints.Cancel();
            checkpointer.Join();
            checkpoints.Dispose();
            Volatile.Write(ref _writeSessionOpen, 0);
        });
    }

    /// <summary>
    /// Copies committed WAL frames into the database file every 200 ms without blocking the writer
    /// (PASSIVE), asks the writer to let the WAL start again once it is large (see
    /// <see cref="WalRestart"/>), and truncates the WAL when the writer closes. A checkpoint never
    /// loses data: the commit was already durable in the WAL.
    /// </summary>
    private void CheckpointLoop(WalRestart walRestart, CancellationToken ct)
    {
        using var c = Open();
        while (!ct.WaitHandle.WaitOne(CheckpointInterval))
        {
            try
            {
                if (CheckpointPassive(c) >= WalRestartFrames)
                {
                    // Once more, so that only the frames committed during this pass are left to
                    // the writer.
                    CheckpointPassive(c);
                    walRestart.Ask();
                }
            }
            catch (SqliteException)
            {
                // Busy or locked: the next round will do it.
            }
        }

        try
        {
            Exec(c, null, "PRAGMA wal_checkpoint(TRUNCATE);");
        }
        catch (SqliteException)
        {
        }
    }

    /// <summary>Runs a passive checkpoint and gives the number of frames in the WAL.</summary>
    private static long CheckpointPassive(SqliteConnection c)
    {
        using var cmd = SqliteRows.Command(c, null, "PRAGMA wal_checkpoint(PASSIVE)");
        using var r = cmd.ExecuteReader();
        return r.Read() ? r.GetInt64(1) : 0;
    }

    public Party? GetParty(string id)
    {
        using var c = Open();
        return SqliteRows.GetParty(c, null, id);
    }

    public IReadOnlyList<Party> ListParties()
    {
        using var c = Open();
        using var cmd = SqliteRows.Command(c, null, "SELECT id, name, role, created_at FROM parties ORDER BY id");
        using var r = cmd.ExecuteReader();
        var list = new List<Party>();
        while (r.Read())
        {
            list.Add(StoreRows.ReadParty(r));
        }

        return list;
    }

    public AccessToken? FindToken(byte[] secretHash)
    {
        using var c = Open();
        using var cmd = SqliteRows.Command(c, null, $"SELECT {StoreRows.TokenColumns} FROM tokens WHERE secret_hash = $h");
        cmd.Parameters.AddWithValue("$h", secretHash);
        using var r = cmd.ExecuteReader();
        return r.Read() ? StoreRows.ReadToken(r) : null;
    }

    public IReadOnlyList<AccessToken> TokensOf(string party)
    {
        using var c = Open();
        return SqliteRows.TokensOf(c, null, party);
    }

    public bool AnyAdminToken()
    {
        using var c = Open();
        using var cmd = SqliteRows.Command(c, null, "SELECT EXISTS(SELECT 1 FROM tokens WHERE party IS NULL AND revoked_at IS NULL)");
        return (long)cmd.ExecuteScalar()! == 1;
    }

    public Declaration? GetDeclaration(DeclarationKind kind, string id)
    {
        using var c = Open();
        return _rows.GetDeclaration(c, null, StoreRows.Enum(kind), id);
    }

    public Page<Declaration> ListDeclarations(DeclarationQuery q)
    {
        using var c = Open();
        var where = new List<string> { "d.kind = $kind", "d.seq > $after" };
        using var cmd = c.CreateCommand();
        cmd.Parameters.AddWithValue("$kind", StoreRows.Enum(q.Kind));
        cmd.Parameters.AddWithValue("$after", q.After ?? 0);
        cmd.Parameters.AddWithValue("$limit", q.Limit + 1);
        if (q.Party is not null)
        {
            where.Add("d.party = $party");
            cmd.Parameters.AddWithValue("$party", q.Party);
        }

        if (q.State is { } state)
        {
            where.Add("d.state = $state");
            cmd.Parameters.AddWithValue("$state", StoreRows.Enum(state));
        }

        // The time filter is half-open like the volumes: [start, end) meets [starts_at, ends_at).
        if (q.Start is { } start)
        {
            where.Add("d.ends_at > $start");
            cmd.Parameters.AddWithValue("$start", StoreRows.Ms(start));
        }

        if (q.End is { } end)
        {
            where.Add("d.starts_at < $end");
            cmd.Parameters.AddWithValue("$end", StoreRows.Ms(end));
        }

        if (q.Area is { } area)
        {
            var ranges = area.LongitudeRanges();
            var parts = new List<string>();
            for (var i = 0; i < ranges.Count; i++)
            {
                parts.Add($"(v.max_lng >= $w{i} AND v.min_lng <= $e{i})");
                cmd.Parameters.AddWithValue($"$w{i}", ranges[i].West);
                cmd.Parameters.AddWithValue($"$e{i}", ranges[i].East);
            }

            where.Add($"d.seq IN (SELECT v.declaration FROM volume_index v WHERE v.max_lat >= $south AND v.min_lat <= $north AND ({string.Join(" OR ", parts)}))");
            cmd.Parameters.AddWithValue("$south", area.South);
            cmd.Parameters.AddWithValue("$north", area.North);
        }

        cmd.CommandText = $"SELECT {StoreRows.DeclarationColumns} FROM declarations d WHERE {string.Join(" AND ", where)} ORDER BY d.seq LIMIT $limit";
        return ReadPage(cmd, _rows.ReadDeclaration, q.Limit);
    }

    public IReadOnlyList<Declaration> FindCandidates(IReadOnlyList<VolumeBox> boxes)
    {
        // One read transaction, so the index and the rows are one snapshot. The R*Tree's boxes were
        // rounded outward and the comparisons are closed, so no candidate the writer's grid would
        // give is missed (extras are dropped by the exact test, as on the writer).
        using var c = Open();
        using var tx = c.BeginTransaction(deferred: true);
        var seqs = SqliteVolumeIndex.Candidates(c, tx, boxes);
        var found = new List<Declaration>(seqs.Count);
        using var read = SqliteRows.Command(c, tx, $"SELECT {StoreRows.DeclarationColumns} FROM declarations d WHERE d.seq = $seq AND d.state IN ('planned', 'active')");
        var seqParameter = read.Parameters.Add("$seq", SqliteType.Integer);
        foreach (var seq in seqs)
        {
            seqParameter.Value = seq;
            using var r = read.ExecuteReader();
            if (r.Read())
            {
                found.Add(_rows.ReadDeclaration(r));
            }
        }

        return found;
    }

    public Conflict? GetConflict(string id)
    {
        using var c = Open();
        return SqliteRows.GetConflict(c, null, id);
    }

    public Page<Conflict> ListConflicts(ConflictQuery q)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        var where = new List<string> { "seq > $after" };
        cmd.Parameters.AddWithValue("$after", q.After ?? 0);
        cmd.Parameters.AddWithValue("$limit", q.Limit + 1);
        if (q.VisibleTo is not null)
        {
            where.Add("(a_party = $party OR b_party = $party)");
            cmd.Parameters.AddWithValue("$party", q.VisibleTo);
        }

        if (q.State is { } state)
        {
            where.Add("state = $state");
            cmd.Parameters.AddWithValue("$state", StoreRows.Enum(state));
        }

        cmd.CommandText = $"SELECT {StoreRows.ConflictColumns} FROM conflicts WHERE {string.Join(" AND ", where)} ORDER BY seq LIMIT $limit";
        return ReadPage(cmd, StoreRows.ReadConflict, q.Limit);
    }

    public IReadOnlyList<StoredEvent> ReadEvents(long afterSequence, Caller viewer, int limit)
    {
        using var c = Open();
        return EventReads.Read(c, afterSequence, viewer, limit);
    }

    public long LastEventSequence()
    {
        using var c = Open();
        using var cmd = SqliteRows.Command(c, null, "SELECT COALESCE(MAX(seq), 0) FROM events");
        return (long)cmd.ExecuteScalar()!;
    }

    public IReadOnlyList<RecordLeaf> ReadRecord(long start, long end)
    {
        using var c = Open();

        // A leaf's node key is SqliteRecordTree.NodeId(0, index) = index * 64.
        using var cmd = SqliteRows.Command(c, null,
            "SELECT e.seq, e.entry, n.hash, rv.entry_index IS NOT NULL FROM events e " +
            "JOIN record_nodes n ON n.id = (e.seq - 1) * 64 LEFT JOIN record_reveals rv ON rv.entry_index = e.seq - 1 " +
            "WHERE e.seq > $start AND e.seq <= $end ORDER BY e.seq");
        cmd.Parameters.AddWithValue("$start", start);
        cmd.Parameters.AddWithValue("$end", end);
        using var r = cmd.ExecuteReader();
        var leaves = new List<RecordLeaf>();
        while (r.Read())
        {
            var entry = (byte[])r.GetValue(1);
            var leaf = (byte[])r.GetValue(2);
            var verified = StoreRows.Verified(entry, leaf);
            leaves.Add(new RecordLeaf(r.GetInt64(0) - 1, leaf, entry, verified?.Parties ?? StoreRows.NoParty, r.GetBoolean(3)) { Damaged = verified is null });
        }

        return leaves;
    }

    public byte[] RecordRoot(long size) => WithTree(t => MerkleTree.Root(size, t));

    public IReadOnlyList<byte[]> InclusionProof(long index, long size) => WithTree(t => MerkleTree.InclusionProof(index, size, t));

    public IReadOnlyList<byte[]> ConsistencyProof(long from, long to) => WithTree(t => MerkleTree.ConsistencyProof(from, to, t));

    /// <summary>Entries [start, end) in order, streamed (the record check); a missing one ends the stream as (index, null).</summary>
    public IEnumerable<(long Index, byte[]? Entry)> CheckEntries(long start, long end)
    {
        using var c = Open();
        foreach (var entry in CheckReads.Entries(c, start, end))
        {
            yield return entry;
        }
    }

    /// <summary>The stored tree nodes completed by leaves [start, end) by key (SqliteRecordTree.NodeId), streamed (the record check).</summary>
    public IEnumerable<(long Id, byte[] Hash)> CheckNodes(long start, long end)
    {
        using var c = Open();
        foreach (var node in CheckReads.NodesCompletedBy(c, start, end))
        {
            yield return node;
        }
    }

    /// <summary>The key of a stored tree node (the record check compares computed nodes by it).</summary>
    internal static long NodeId(int level, long index) => SqliteRecordTree.NodeId(level, index);

    /// <summary>Every served row as stored, with the entry it names, streamed (the record check).</summary>
    public IEnumerable<ServedRow> CheckRows()
    {
        using var c = Open();
        foreach (var row in CheckReads.Rows(c, CheckSql.Sqlite))
        {
            yield return row;
        }
    }

    /// <summary>Inbox rows that disagree with their messages' recipients (the record check).</summary>
    public IReadOnlyList<(string? Message, long? RecordIndex, string Party)> RecipientMismatches()
    {
        using var c = Open();
        return [.. CheckReads.RecipientMismatches(c, CheckSql.Sqlite)];
    }

    /// <summary>The signed heads from that size up, smallest first.</summary>
    public IReadOnlyList<RecordHead> HeadsFrom(long size)
    {
        using var c = Open();
        return CheckReads.Heads(c, size);
    }

    // One read transaction for all the node reads of a proof, so they see one snapshot.
    public T WithTree<T>(Func<IMerkleNodes, T> read)
    {
        using var c = Open();
        using var tx = c.BeginTransaction(deferred: true);
        using var tree = new SqliteRecordTree.Reader(c, tx);
        return read(tree);
    }

    public RecordHead? LatestHead() => ReadHead("SELECT size, root, time, signature FROM record_heads ORDER BY size DESC LIMIT 1", null);

    public RecordHead? GetHead(long size) => ReadHead("SELECT size, root, time, signature FROM record_heads WHERE size = $size", size);

    private RecordHead? ReadHead(string sql, long? size)
    {
        using var c = Open();
        using var cmd = SqliteRows.Command(c, null, sql);
        if (size is { } s)
        {
            cmd.Parameters.AddWithValue("$size", s);
        }

        using var r = cmd.ExecuteReader();
        return r.Read() ? new RecordHead(r.GetInt64(0), (byte[])r.GetValue(1), StoreRows.Time(r.GetInt64(2)), (byte[])r.GetValue(3)) : null;
    }

    public IReadOnlyList<Cosignature> CosignaturesOf(long size) =>
        ReadCosignatures("SELECT party, size, root, time, signature FROM record_cosignatures WHERE size = $arg ORDER BY party", size);

    public Cosignature? LastCosignature(string party) =>
        ReadCosignatures("SELECT party, size, root, time, signature FROM record_cosignatures WHERE party = $arg ORDER BY size DESC LIMIT 1", party).FirstOrDefault();

    private List<Cosignature> ReadCosignatures(string sql, object arg)
    {
        using var c = Open();
        using var cmd = SqliteRows.Command(c, null, sql);
        cmd.Parameters.AddWithValue("$arg", arg);
        using var r = cmd.ExecuteReader();
        var list = new List<Cosignature>();
        while (r.Read())
        {
            list.Add(new Cosignature(r.GetString(0), r.GetInt64(1), (byte[])r.GetValue(2), StoreRows.Time(r.GetInt64(3)), (byte[])r.GetValue(4)));
        }

        return list;
    }

    public byte[]? PartyKey(string party)
    {
        using var c = Open();
        using var cmd = SqliteRows.Command(c, null, "SELECT public_key FROM party_keys WHERE party = $party");
        cmd.Parameters.AddWithValue("$party", party);
        return cmd.ExecuteScalar() as byte[];
    }

    public LineMessage? GetMessage(string id)
    {
        using var c = Open();
        using var cmd = SqliteRows.Command(c, null, $"SELECT {LineRows.Columns} FROM line_messages WHERE id = $id");
        cmd.Parameters.AddWithValue("$id", id);
        return LineRows.ReadOne(cmd);
    }

    public IReadOnlyList<(int Level, string Url)> EscalationContacts(string party)
    {
        using var c = Open();
        using var cmd = SqliteRows.Command(c, null, "SELECT level, url FROM escalation_contacts WHERE party = $party ORDER BY level, url");
        cmd.Parameters.AddWithValue("$party", party);
        using var r = cmd.ExecuteReader();
        var list = new List<(int, string)>();
        while (r.Read())
        {
            list.Add((r.GetInt32(0), r.GetString(1)));
        }

        return list;
    }

    public Page<LineMessage> ListMessages(string? party, bool inbox, int limit, long? after)
    {
        using var c = Open();
        var sql = party is null
            ? $"SELECT {LineRows.Columns} FROM line_messages WHERE seq > $after ORDER BY seq LIMIT $limit"
            : inbox
                ? $"SELECT m.seq, m.doc, m.record_index FROM line_recipients r JOIN line_messages m ON m.seq = r.message_seq WHERE r.party = $party AND r.message_seq > $after ORDER BY r.message_seq LIMIT $limit"
                : $"SELECT {LineRows.Columns} FROM line_messages WHERE sender = $party AND seq > $after ORDER BY seq LIMIT $limit";
        using var cmd = SqliteRows.Command(c, null, sql);
        cmd.Parameters.AddWithValue("$party", (object?)party ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$after", after ?? 0);
        cmd.Parameters.AddWithValue("$limit", limit + 1);
        return ReadPage(cmd, LineRows.Read, limit);
    }

    public TrackAlert? GetAlert(string id)
    {
        using var c = Open();
        using var cmd = SqliteRows.Command(c, null, $"SELECT {AlertRows.Columns} FROM alerts WHERE id = $id");
        cmd.Parameters.AddWithValue("$id", id);
        return AlertRows.ReadOne(cmd);
    }

    public Page<TrackAlert> ListAlerts(string? party, AlertState? state, int limit, long? after)
    {
        using var c = Open();
        var where = new List<string> { "seq > $after" };
        if (party is not null)
        {
            where.Add("(a_party = $party OR b_party = $party)");
        }

        if (state is not null)
        {
            where.Add("state = $state");
        }

        using var cmd = SqliteRows.Command(c, null, $"SELECT {AlertRows.Columns} FROM alerts WHERE {string.Join(" AND ", where)} ORDER BY seq LIMIT $limit");
        cmd.Parameters.AddWithValue("$party", (object?)party ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$state", state is { } st ? (st == AlertState.Active ? "active" : "cleared") : DBNull.Value);
        cmd.Parameters.AddWithValue("$after", after ?? 0);
        cmd.Parameters.AddWithValue("$limit", limit + 1);
        return ReadPage(cmd, AlertRows.Read, limit);
    }

    public IReadOnlyList<TrackAlert> ActiveAlerts()
    {
        using var c = Open();
        using var cmd = SqliteRows.Command(c, null, $"SELECT {AlertRows.Columns} FROM alerts WHERE state = 'active' ORDER BY seq");
        using var r = cmd.ExecuteReader();
        var list = new List<TrackAlert>();
        while (r.Read())
        {
            list.Add(AlertRows.Read(r));
        }

        return list;
    }

    public ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        return ValueTask.CompletedTask;
    }

    internal static void Exec(SqliteConnection c, SqliteTransaction? tx, string sql)
    {
        using var cmd = SqliteRows.Command(c, tx, sql);
        cmd.ExecuteNonQuery();
    }

    /// <summary>
    /// Reads a page whose query asked for limit + 1 rows with seq in column 0: the extra row only
    /// tells that there is more, and the cursor is the seq of the last row returned.
    /// </summary>
    private static Page<T> ReadPage<T>(SqliteCommand cmd, Func<SqliteDataReader, T> read, int limit)
    {
        using var r = cmd.ExecuteReader();
        var items = new List<T>();
        long last = 0;
        while (r.Read())
        {
            if (items.Count == limit)
            {
                return new Page<T>(items, last);
            }

            items.Add(read(r));
            last = r.GetInt64(0);
        }

        return new Page<T>(items, null);
    }

    /// <summary>
    /// A pooled connection. Readers set no PRAGMA: each would run on every open (four statements
    /// per read, measured as a large share of request CPU), and a reader changes nothing. The busy
    /// timeout comes from the connection string (DefaultTimeout).
    /// </summary>
    private SqliteConnection Open()
    {
        var c = new SqliteConnection(_connectionString);
        c.Open();
        return c;
    }
}
