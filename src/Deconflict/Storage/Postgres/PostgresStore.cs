using Deconflict.Core.Line;
using Deconflict.Core.Model;
using Deconflict.Core.Record;
using Deconflict.Core.Strategic;
using Deconflict.Core.Tactical;
using Deconflict.Storage.Sqlite;
using Npgsql;
using Sql = Deconflict.Storage.Postgres.PostgresSql;

namespace Deconflict.Storage.Postgres;

/// <summary>
/// The store on PostgreSQL + PostGIS, shared by every node of a cluster. Readers take pooled
/// connections and each statement reads the last committed state; each node's single writer runs
/// its transactions one after the other with every other node's, under the record head lock
/// (<see cref="PostgresWriteSession"/>). Commits are durable when they return (PostgreSQL's
/// synchronous_commit, on by default).
/// </summary>
public sealed class PostgresStore : IDeconflictStore, IRecordCheckSource
{
    private readonly NpgsqlDataSource _source;
    private readonly StoreRows _rows = new();
    private readonly TimeProvider _time;
    private int _writeSessionOpen;

    /// <param name="connectionString">An Npgsql connection string. Unless it sets them, connecting and each command time out after 3 and 10 seconds, so that a database that is down fails requests fast (503) instead of holding them.</param>
    /// <param name="time">The service's clock, which stamps applied migrations (the system clock by default).</param>
    public PostgresStore(string connectionString, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException)
        {
            throw new StartRefusedException($"The PostgreSQL connection string is not valid: {FirstLine(e.Message)}", e);
        }

        if (!Has(connectionString, "Timeout"))
        {
            builder.Timeout = 3;
        }

        if (!Has(connectionString, "Command Timeout", "CommandTimeout"))
        {
            builder.CommandTimeout = 10;
        }

        // The writer and the readers run the same few dozen statements over and over: prepared
        // once per connection, each runs without being planned again.
        if (!Has(connectionString, "Max Auto Prepare", "MaxAutoPrepare"))
        {
            builder.MaxAutoPrepare = 64;
        }

        ConnectionString = builder.ConnectionString;
        Where = $"{builder.Host}:{builder.Port}/{builder.Database}";
        CheckCommand = $"deconflict record check --store \"Host={builder.Host};Port={builder.Port};Database={builder.Database};Username={builder.Username}\" --full";
        _source = NpgsqlDataSource.Create(builder);
    }

    /// <summary>The connection string with the store's defaults (timeouts) filled in.</summary>
    public string ConnectionString { get; }

    /// <summary>The database as people name it: host:port/database, without credentials.</summary>
    public string Where { get; }

    public TimeProvider Time => _time;

    public string CheckCommand { get; }

    /// <summary>
    /// An exported snapshot (pg_export_snapshot) held open by <see cref="Snapshot"/>: every read
    /// joins it while it is set. Only the record check sets it, before the node serves anything.
    /// </summary>
    private volatile string? _snapshot;

    public IDisposable Snapshot()
    {
        var c = _source.OpenConnection();
        try
        {
            Sql.Execute(c, null, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
            _snapshot = (string)Sql.Scalar(c, null, "SELECT pg_export_snapshot()")!;
            return new SnapshotHold(this, c);
        }
        catch
        {
            c.Dispose();
            throw;
        }
    }

    /// <summary>A pooled connection; inside <see cref="Snapshot"/>, in a read-only transaction on its snapshot.</summary>
    private NpgsqlConnection Open()
    {
        var c = _source.OpenConnection();
        if (_snapshot is { } id)
        {
            try
            {
                Sql.Execute(c, null, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");

                // The id is the server's own (hex digits and dashes); SET takes no parameter.
                Sql.Execute(c, null, $"SET TRANSACTION SNAPSHOT '{id}'");
            }
            catch
            {
                c.Dispose();
                throw;
            }
        }

        return c;
    }

    /// <summary>Ends the snapshot: the exporting transaction is rolled back with its connection.</summary>
    private sealed class SnapshotHold(PostgresStore store, NpgsqlConnection connection) : IDisposable
    {
        public void Dispose()
        {
            store._snapshot = null;
            connection.Dispose();
        }
    }

    // Any number of nodes write the one database.
    public bool SoleWriter => false;

    public void Migrate()
    {
        try
        {
            MigrateTo(PostgresSchema.Migrations.Count);
        }
        catch (Exception e) when (StorageFault.Is(e))
        {
            throw new StartRefusedException($"The PostgreSQL database {Where} cannot be used: {StorageFault.Describe(e)}.", e);
        }
    }

    /// <summary>Applies the migrations up to <paramref name="version"/>, all in one transaction under the migration lock.</summary>
    internal void MigrateTo(int version)
    {
        using var c = _source.OpenConnection();
        using var tx = c.BeginTransaction();

        // Several nodes starting together: one migrates, the others wait here and find it done.
        Sql.Execute(c, tx, "SELECT pg_advisory_xact_lock($1)", PostgresSchema.MigrationLock);
        Sql.Execute(c, tx, "CREATE TABLE IF NOT EXISTS schema_version(version integer PRIMARY KEY, applied_at bigint NOT NULL)");
        var current = (int)Sql.Scalar(c, tx, "SELECT COALESCE(MAX(version), 0) FROM schema_version")!;
        if (current > PostgresSchema.Migrations.Count)
        {
            throw new StartRefusedException(
                $"The PostgreSQL database {Where} has schema version {current}, newer than this build knows ({PostgresSchema.Migrations.Count}): use a newer deconflict.");
        }

        for (var v = current + 1; v <= version; v++)
        {
            using (var cmd = new NpgsqlCommand(PostgresSchema.Migrations[v - 1], c, tx) { CommandTimeout = 0 })
            {
                cmd.ExecuteNonQuery();
            }

            Sql.Execute(c, tx, "INSERT INTO schema_version(version, applied_at) VALUES ($1, $2)", v, StoreRows.Ms(_time.GetUtcNow()));
        }

        tx.Commit();

        // Types created by a migration (float8range) are known to connections opened after it.
        c.ReloadTypes();
    }

    /// <summary>Decodes the volumes of every live declaration on all cores (see <see cref="SqliteStore.WarmUp"/>).</summary>
    public int WarmUp(CancellationToken ct = default)
    {
        var rows = new List<(string Id, long Version, string Volumes)>();
        using (var c = Open())
        using (var cmd = Sql.Command(c, null, "SELECT id, version, volumes FROM declarations WHERE state IN ('planned', 'active') ORDER BY starts_at"))
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                rows.Add((r.GetString(0), r.GetInt64(1), r.GetString(2)));
            }
        }

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

        return new PostgresWriteSession(_source, _rows, () => Volatile.Write(ref _writeSessionOpen, 0));
    }

    public Party? GetParty(string id) => One(StoreRows.ReadParty, "SELECT id, name, role, created_at FROM parties WHERE id = $1", id);

    public IReadOnlyList<Party> ListParties() => List(StoreRows.ReadParty, "SELECT id, name, role, created_at FROM parties ORDER BY id");

    public AccessToken? FindToken(byte[] secretHash) => One(StoreRows.ReadToken, $"SELECT {StoreRows.TokenColumns} FROM tokens WHERE secret_hash = $1", secretHash);

    public IReadOnlyList<AccessToken> TokensOf(string party) =>
        List(StoreRows.ReadToken, $"SELECT {StoreRows.TokenColumns} FROM tokens WHERE party = $1 ORDER BY seq", party);

    public bool AnyAdminToken() => (bool)Scalar("SELECT EXISTS(SELECT 1 FROM tokens WHERE party IS NULL AND revoked_at IS NULL)")!;

    public Declaration? GetDeclaration(DeclarationKind kind, string id) =>
        One(r => _rows.ReadDeclaration(r), $"SELECT {StoreRows.DeclarationColumns} FROM declarations d WHERE d.id = $1 AND d.kind = $2", id, StoreRows.Enum(kind));

    public Page<Declaration> ListDeclarations(DeclarationQuery q)
    {
        var args = new List<object?> { StoreRows.Enum(q.Kind), q.After ?? 0L, q.Limit + 1 };
        var where = new List<string> { "d.kind = $1", "d.seq > $2" };
        string Arg(object? value)
        {
            args.Add(value);
            return "$" + args.Count;
        }

        if (q.Party is not null)
        {
            where.Add($"d.party = {Arg(q.Party)}");
        }

        if (q.State is { } state)
        {
            where.Add($"d.state = {Arg(StoreRows.Enum(state))}");
        }

        // The time filter is half-open like the volumes: [start, end) meets [starts_at, ends_at).
        if (q.Start is { } start)
        {
            where.Add($"d.ends_at > {Arg(StoreRows.Ms(start))}");
        }

        if (q.End is { } end)
        {
            where.Add($"d.starts_at < {Arg(StoreRows.Ms(end))}");
        }

        if (q.Area is { } area)
        {
            var boxes = area.LongitudeRanges().Select(r => $"v.area && ST_MakeEnvelope({Arg(r.West)}, {Arg(area.South)}, {Arg(r.East)}, {Arg(area.North)}, 4326)");
            where.Add($"d.seq IN (SELECT v.declaration FROM volume_index v WHERE {string.Join(" OR ", boxes)})");
        }

        using var c = Open();
        return Sql.Page(c, r => _rows.ReadDeclaration(r), q.Limit,
            $"SELECT {StoreRows.DeclarationColumns} FROM declarations d WHERE {string.Join(" AND ", where)} ORDER BY d.seq LIMIT $3", [.. args]);
    }

    public IReadOnlyList<Declaration> FindCandidates(IReadOnlyList<VolumeBox> boxes)
    {
        // One statement, so the index and the rows are one snapshot.
        using var c = Open();
        return PostgresVolumeIndex.Candidates(c, null, boxes, r => _rows.ReadDeclaration(r));
    }

    public Conflict? GetConflict(string id) => One(StoreRows.ReadConflict, $"SELECT {StoreRows.ConflictColumns} FROM conflicts WHERE id = $1", id);

    public Page<Conflict> ListConflicts(ConflictQuery q)
    {
        var where = new List<string> { "seq > $1" };
        var args = new List<object?> { q.After ?? 0L, q.Limit + 1 };
        if (q.VisibleTo is not null)
        {
            args.Add(q.VisibleTo);
            where.Add($"(a_party = ${args.Count} OR b_party = ${args.Count})");
        }

        if (q.State is { } state)
        {
            args.Add(StoreRows.Enum(state));
            where.Add($"state = ${args.Count}");
        }

        using var c = Open();
        return Sql.Page(c, StoreRows.ReadConflict, q.Limit,
            $"SELECT {StoreRows.ConflictColumns} FROM conflicts WHERE {string.Join(" AND ", where)} ORDER BY seq LIMIT $2", [.. args]);
    }

    public IReadOnlyList<StoredEvent> ReadEvents(long afterSequence, Caller viewer, int limit)
    {
        using var c = Open();
        return EventReads.Read(c, afterSequence, viewer, limit);
    }

    public long LastEventSequence() => (long)Scalar("SELECT COALESCE(MAX(seq), 0) FROM events")!;

    public IReadOnlyList<RecordLeaf> ReadRecord(long start, long end) =>
        List(r =>
        {
            var entry = (byte[])r.GetValue(1);
            var leaf = (byte[])r.GetValue(2);
            var verified = StoreRows.Verified(entry, leaf);
            return new RecordLeaf(r.GetInt64(0) - 1, leaf, entry, verified?.Parties ?? StoreRows.NoParty, r.GetBoolean(3)) { Damaged = verified is null };
        },
        "SELECT e.seq, e.entry, n.hash, rv.entry_index IS NOT NULL FROM events e " +
        "JOIN record_nodes n ON n.id = (e.seq - 1) * 64 LEFT JOIN record_reveals rv ON rv.entry_index = e.seq - 1 " +
        "WHERE e.seq > $1 AND e.seq <= $2 ORDER BY e.seq",
        start, end);

    public byte[] RecordRoot(long size) => WithTree(t => MerkleTree.Root(size, t));

    public IReadOnlyList<byte[]> InclusionProof(long index, long size) => WithTree(t => MerkleTree.InclusionProof(index, size, t));

    public IReadOnlyList<byte[]> ConsistencyProof(long from, long to) => WithTree(t => MerkleTree.ConsistencyProof(from, to, t));

    public IEnumerable<(long Index, byte[]? Entry)> CheckEntries(long start, long end)
    {
        using var c = Open();
        foreach (var entry in CheckReads.Entries(c, start, end))
        {
            yield return entry;
        }
    }

    public IEnumerable<(long Id, byte[] Hash)> CheckNodes(long start, long end)
    {
        using var c = Open();
        foreach (var node in CheckReads.NodesCompletedBy(c, start, end))
        {
            yield return node;
        }
    }

    public IEnumerable<ServedRow> CheckRows()
    {
        using var c = Open();
        foreach (var row in CheckReads.Rows(c, CheckSql.Postgres))
        {
            yield return row;
        }
    }

    public IReadOnlyList<(string? Message, long? RecordIndex, string Party)> RecipientMismatches()
    {
        using var c = Open();
        return [.. CheckReads.RecipientMismatches(c, CheckSql.Postgres)];
    }

    public IReadOnlyList<RecordHead> HeadsFrom(long size)
    {
        using var c = Open();
        return CheckReads.Heads(c, size);
    }

    public RecordHead? LatestHead() => One(ReadHead, "SELECT size, root, time, signature FROM record_heads ORDER BY size DESC LIMIT 1");

    public RecordHead? GetHead(long size) => One(ReadHead, "SELECT size, root, time, signature FROM record_heads WHERE size = $1", size);

    public IReadOnlyList<Cosignature> CosignaturesOf(long size) =>
        List(ReadCosignature, "SELECT party, size, root, time, signature FROM record_cosignatures WHERE size = $1 ORDER BY party", size);

    public Cosignature? LastCosignature(string party) =>
        One(ReadCosignature, "SELECT party, size, root, time, signature FROM record_cosignatures WHERE party = $1 ORDER BY size DESC LIMIT 1", party);

    public byte[]? PartyKey(string party) => Scalar("SELECT public_key FROM party_keys WHERE party = $1", party) as byte[];

    public LineMessage? GetMessage(string id) => One(LineRows.Read, $"SELECT {LineRows.Columns} FROM line_messages WHERE id = $1", id);

    public IReadOnlyList<(int Level, string Url)> EscalationContacts(string party) =>
        List(r => (r.GetInt32(0), r.GetString(1)), "SELECT level, url FROM escalation_contacts WHERE party = $1 ORDER BY level, url", party);

    public Page<LineMessage> ListMessages(string? party, bool inbox, int limit, long? after)
    {
        var sql = party is null
            ? $"SELECT {LineRows.Columns} FROM line_messages WHERE seq > $2 ORDER BY seq LIMIT $3"
            : inbox
                ? "SELECT m.seq, m.doc, m.record_index FROM line_recipients r JOIN line_messages m ON m.seq = r.message_seq WHERE r.party = $1 AND r.message_seq > $2 ORDER BY r.message_seq LIMIT $3"
                : $"SELECT {LineRows.Columns} FROM line_messages WHERE sender = $1 AND seq > $2 ORDER BY seq LIMIT $3";
        using var c = Open();
        return party is null
            ? Sql.Page(c, LineRows.Read, limit, sql.Replace("$2", "$1", StringComparison.Ordinal).Replace("$3", "$2", StringComparison.Ordinal), after ?? 0L, limit + 1)
            : Sql.Page(c, LineRows.Read, limit, sql, party, after ?? 0L, limit + 1);
    }

    public TrackAlert? GetAlert(string id) => One(AlertRows.Read, $"SELECT {AlertRows.Columns} FROM alerts WHERE id = $1", id);

    public Page<TrackAlert> ListAlerts(string? party, AlertState? state, int limit, long? after)
    {
        var where = new List<string> { "seq > $1" };
        var args = new List<object?> { after ?? 0L, limit + 1 };
        if (party is not null)
        {
            args.Add(party);
            where.Add($"(a_party = ${args.Count} OR b_party = ${args.Count})");
        }

        if (state is { } st)
        {
            args.Add(st == AlertState.Active ? "active" : "cleared");
            where.Add($"state = ${args.Count}");
        }

        using var c = Open();
        return Sql.Page(c, AlertRows.Read, limit, $"SELECT {AlertRows.Columns} FROM alerts WHERE {string.Join(" AND ", where)} ORDER BY seq LIMIT $2", [.. args]);
    }

    public IReadOnlyList<TrackAlert> ActiveAlerts() => List(AlertRows.Read, $"SELECT {AlertRows.Columns} FROM alerts WHERE state = 'active' ORDER BY seq");

    public async ValueTask DisposeAsync() => await _source.DisposeAsync();

    internal static RecordHead ReadHead(NpgsqlDataReader r) =>
        new(r.GetInt64(0), (byte[])r.GetValue(1), StoreRows.Time(r.GetInt64(2)), (byte[])r.GetValue(3));

    private static Cosignature ReadCosignature(NpgsqlDataReader r) =>
        new(r.GetString(0), r.GetInt64(1), (byte[])r.GetValue(2), StoreRows.Time(r.GetInt64(3)), (byte[])r.GetValue(4));

    // The nodes a proof reads are written once and never change, so they need no snapshot.
    public T WithTree<T>(Func<IMerkleNodes, T> read)
    {
        using var c = Open();
        using var tree = new PostgresRecordTree.Reader(c);
        return read(tree);
    }

    private T? One<T>(Func<NpgsqlDataReader, T> read, string sql, params object?[] args)
        where T : class
    {
        using var c = Open();
        return Sql.One(c, null, read, sql, args);
    }

    private List<T> List<T>(Func<NpgsqlDataReader, T> read, string sql, params object?[] args)
    {
        using var c = Open();
        return Sql.List(c, null, read, sql, args);
    }

    private object? Scalar(string sql, params object?[] args)
    {
        using var c = Open();
        return Sql.Scalar(c, null, sql, args);
    }

    private static bool Has(string connectionString, params string[] keys) =>
        connectionString.Split(';').Select(part => part.Split('=', 2)[0].Trim()).Any(k => keys.Any(key => string.Equals(k, key, StringComparison.OrdinalIgnoreCase)));

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();
}
