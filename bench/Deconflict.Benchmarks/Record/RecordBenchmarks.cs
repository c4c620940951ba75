using BenchmarkDotNet.Attributes;
using Deconflict.Core.Model;
using Deconflict.Core.Record;
using Deconflict.Service;
using Deconflict.Storage;
using Deconflict.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Deconflict.Benchmarks.Record;

/// <summary>
/// Appends to the record in process, as the writer does: each invocation is one transaction of
/// 1,000 events (row, entry, leaf and Merkle nodes) committed durably (synchronous=FULL).
/// Results are per append.
/// </summary>
[MemoryDiagnoser]
public class RecordAppendBenchmarks : IDisposable
{
    public const int Batch = 1_000;
    private string _directory = null!;
    private SqliteStore _store = null!;
    private IWriteSession _session = null!;
    private readonly RecordLog _log = new();
    private DomainEvent _event = null!;
    private DateTimeOffset _time;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "deconflict-bench", Guid.NewGuid().ToString("N"));
        _store = new SqliteStore(Path.Combine(_directory, "record.db"));
        _store.Migrate();
        _session = _store.OpenWriteSession();
        _event = RecordSeed.ConflictEvent(0);
        _time = DateTimeOffset.UtcNow;
    }

    [Benchmark(OperationsPerInvoke = Batch, Description = "append one event to the record (batches of 1,000, durable commit)")]
    public async Task AppendBatch()
    {
        await _session.BeginAsync();
        await _log.BeginAsync(_session.Record);
        for (var i = 0; i < Batch; i++)
        {
            await _log.AppendAsync(_session.Record, _event, _time);
        }

        await _session.CommitAsync();
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _session?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
        GC.SuppressFinalize(this);
    }
}

/// <summary>
/// Inclusion and consistency proofs through the store (a fresh pooled connection and read
/// transaction per proof, as the endpoint does) on a record of 10,000,000 leaves. The tree is
/// built once into a cached file in the temp directory (about two minutes): only its nodes, which
/// are all a proof reads.
/// </summary>
public class RecordProofBenchmarks : IDisposable
{
    public const long Leaves = 10_000_000;
    private SqliteStore _store = null!;
    private (long A, long B)[] _pairs = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        // Named by schema version: a tree cached by an older build has another key layout.
        var path = Path.Combine(Path.GetTempPath(), "deconflict-bench", $"record-{Leaves}-schema{SqliteSchema.Migrations.Count}.db");
        RecordSeed.EnsureTree(path, Leaves);
        _store = new SqliteStore(path);
        var rnd = new Random(9162);
        _pairs = [.. Enumerable.Range(0, 4096).Select(_ => (rnd.NextInt64(0, Leaves), rnd.NextInt64(1, Leaves + 1)))];
    }

    [Benchmark(Description = "inclusion proof at 10,000,000 leaves")]
    public int Inclusion()
    {
        var (a, _) = _pairs[_next++ % _pairs.Length];
        return _store.InclusionProof(a, Leaves).Count;
    }

    [Benchmark(Description = "consistency proof to 10,000,000 leaves")]
    public int Consistency()
    {
        var (_, b) = _pairs[_next++ % _pairs.Length];
        return _store.ConsistencyProof(b, Leaves).Count;
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _store?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        GC.SuppressFinalize(this);
    }
}

/// <summary>Building records for the benchmarks.</summary>
public static class RecordSeed
{
    /// <summary>A realistic event: a conflict opened between two parties (about 700 bytes of payload).</summary>
    public static DomainEvent ConflictEvent(long n) => new(
        EventTypes.Conflict,
        "red",
        [],
        "{\"action\":\"opened\",\"conflict\":{\"id\":\"cf-0196f1c2a3b47c1d9e8f7a6b5c4d3e2f\",\"state\":\"open\",\"version\":1," +
        "\"a\":{\"kind\":\"operation\",\"id\":\"op-0196f1c2a3b47c1d9e8f7a6b5c4d" + (n % 10_000).ToString("D4", System.Globalization.CultureInfo.InvariantCulture) + "\",\"party\":\"red\",\"version\":1}," +
        "\"b\":{\"kind\":\"operation\",\"id\":\"op-0196f1c2a3b47c1d9e8f7a6b5c4d3e2f\",\"party\":\"blue\",\"version\":3}," +
        "\"overlap\":{\"time_start\":\"2026-11-26T09:00:00Z\",\"time_end\":\"2026-11-26T11:00:00Z\",\"altitude_lower_m\":4572,\"altitude_upper_m\":7620}," +
        "\"acknowledged_by\":{},\"accepted_by\":{},\"created_at\":\"2026-11-26T08:12:44.512Z\",\"updated_at\":\"2026-11-26T08:12:44.512Z\"}}");

    /// <summary>The entry of an operation as the server writes it when the operation is created.</summary>
    public static DomainEvent OperationEvent(Declaration d) => new(
        EventTypes.Operation,
        d.Party,
        [],
        System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object> { ["action"] = "created", ["operation"] = Api.DeclarationView.ForEntry(d) }, Api.Json.Options));

    /// <summary>The entry of a party as the server writes it when the party is created (the party's row names it).</summary>
    public static DomainEvent PartyEvent(Party p) => new(
        EventTypes.Party,
        null,
        [],
        System.Text.Json.JsonSerializer.Serialize(new { action = "created", party = Api.PartyView.Of(p, null) }, Api.Json.Options));

    /// <summary>The entry of a token as the server writes it when the token is issued (the token's row names it).</summary>
    public static DomainEvent TokenEvent(AccessToken t) =>
        new(Parties.TokenEvents.Type(t), null, [Parties.TokenEvents.Audience(t)], Parties.TokenEvents.Payload("token-issued", t));

    /// <summary>
    /// Writes <paramref name="count"/> events through the writer's session, in durable batches of
    /// 10,000: the conflict notice's payload under a type that states no served object (type
    /// "load-notice"), so that a server started on the record finds nothing served missing.
    /// </summary>
    public static async Task AppendEventsAsync(IDeconflictStore store, long count)
    {
        await using var session = store.OpenWriteSession();
        var log = new RecordLog();
        var time = DateTimeOffset.UtcNow;
        for (long done = 0; done < count;)
        {
            await session.BeginAsync();
            await log.BeginAsync(session.Record);
            for (var i = 0; i < 10_000 && done < count; i++, done++)
            {
                await log.AppendAsync(session.Record, ConflictEvent(done) with { Type = "load-notice" }, time);
            }

            await session.CommitAsync();
        }
    }

    /// <summary>Builds (once) a database holding only the Merkle nodes of a record of that many leaves.</summary>
    public static void EnsureTree(string path, long leaves)
    {
        if (File.Exists(path + ".done"))
        {
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.Delete(path);
        var store = new SqliteStore(path);
        store.Migrate();
        using var c = new SqliteConnection($"Data Source={path};Pooling=False");
        c.Open();
        using (var pragma = c.CreateCommand())
        {
            pragma.CommandText = "PRAGMA synchronous=OFF; PRAGMA cache_size=-1048576;";
            pragma.ExecuteNonQuery();
        }

        using var tx = c.BeginTransaction();
        using var insert = c.CreateCommand();
        insert.Transaction = tx;
        insert.CommandText = "INSERT INTO record_nodes(id, hash) VALUES ($id, $hash)";
        var id = insert.Parameters.Add("$id", SqliteType.Integer);
        var hash = insert.Parameters.Add("$hash", SqliteType.Blob);
        var tree = new MemoryMerkleNodes();
        Span<byte> leaf = stackalloc byte[8];
        for (long i = 0; i < leaves; i++)
        {
            BitConverter.TryWriteBytes(leaf, i);
            foreach (var (level, index, h) in tree.Append(MerkleTree.LeafHash(leaf)))
            {
                id.Value = SqliteRecordTree.NodeId(level, index);
                hash.Value = h;
                insert.ExecuteNonQuery();
            }
        }

        tx.Commit();
        File.WriteAllText(path + ".done", leaves.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}
