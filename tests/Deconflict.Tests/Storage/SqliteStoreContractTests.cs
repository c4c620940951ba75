using Deconflict.Core.Model;
using Deconflict.Core.Record;
using Deconflict.Record;
using Deconflict.Storage;
using Deconflict.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Deconflict.Tests.Storage;

/// <summary>The store contract on the embedded default: a real SQLite file per test.</summary>
public sealed class SqliteStoreContractTests : StoreContract
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "deconflict-tests", Guid.NewGuid().ToString("N"));

    protected override Task<IDeconflictStore> CreateEmptyStoreAsync()
    {
        Directory.CreateDirectory(_directory);
        return Task.FromResult<IDeconflictStore>(new SqliteStore(Path.Combine(_directory, "store.db")));
    }

    protected override Task DeleteStoreAsync()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public void A_database_from_a_newer_build_is_refused()
    {
        var path = Path.Combine(_directory, "store.db");
        using (var c = new SqliteConnection($"Data Source={path}"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "INSERT INTO schema_migrations(version, applied_at) VALUES (999, 0)";
            cmd.ExecuteNonQuery();
        }

        var e = Assert.Throws<InvalidOperationException>(() => new SqliteStore(path).Migrate());
        Assert.Contains("schema version 999", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Migrations_are_stamped_with_the_service_clock()
    {
        var path = Path.Combine(_directory, "clocked.db");
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2031, 2, 3, 4, 5, 6, 789, TimeSpan.Zero));
        new SqliteStore(path, clock).Migrate();

        using var c = new SqliteConnection($"Data Source={path}");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*), MIN(applied_at), MAX(applied_at) FROM schema_migrations";
        using var r = cmd.ExecuteReader();
        Assert.True(r.Read());
        Assert.Equal(SqliteSchema.Migrations.Count, r.GetInt64(0));
        Assert.Equal(clock.GetUtcNow().ToUnixTimeMilliseconds(), r.GetInt64(1));
        Assert.Equal(clock.GetUtcNow().ToUnixTimeMilliseconds(), r.GetInt64(2));
    }

    [Fact]
    public async Task Migration_5_moves_the_record_nodes_to_completion_order_keeping_every_hash_and_proof()
    {
        // A file from before the record (schema 1) with 1,003 events, a size that is not a power
        // of two, so the tree has a ragged right edge; migration 2 enters them into the record
        // under the first key layout, migration 5 moves the keys.
        const int Events = 1_003;
        var path = Path.Combine(_directory, "old.db");
        await using var store = new SqliteStore(path);
        store.MigrateTo(1);
        using (var c = new SqliteConnection($"Data Source={path}"))
        {
            c.Open();
            using var tx = c.BeginTransaction();
            using var insert = c.CreateCommand();
            insert.Transaction = tx;
            insert.CommandText = "INSERT INTO events(seq, time, type, actor, audience, payload) VALUES ($seq, $time, 'operation', 'blue', $audience, $payload)";
            for (var seq = 1; seq <= Events; seq++)
            {
                insert.Parameters.Clear();
                insert.Parameters.AddWithValue("$seq", seq);
                insert.Parameters.AddWithValue("$time", 1_790_000_000_000L + seq);
                insert.Parameters.AddWithValue("$audience", seq % 3 == 0 ? "[\"blue\",\"red\"]" : DBNull.Value);
                insert.Parameters.AddWithValue("$payload", $"{{\"n\":{seq}}}");
                insert.ExecuteNonQuery();
            }

            tx.Commit();
        }

        store.MigrateTo(4);
        var interiorBefore = NodeCount(path, $"id >= {SqliteRecordTree.Migration2NodeId(1, 0)}");
        Assert.Equal(Events - long.PopCount(Events), interiorBefore);

        store.Migrate();
        var leaves = store.ReadRecord(0, Events);
        Assert.Equal(Events, leaves.Count);
        var tree = new MemoryMerkleNodes();
        foreach (var leaf in leaves)
        {
            Assert.Equal(MerkleTree.LeafHash(leaf.Entry), leaf.LeafHash);
            tree.Append(leaf.LeafHash);
        }

        // Same rows, each node under its new key with its hash, and the proofs read from the
        // moved table equal those of the tree rebuilt from the entries.
        Assert.Equal(2 * Events - long.PopCount(Events), NodeCount(path, "1"));
        Assert.Equal(interiorBefore, NodeCount(path, "id % 64 <> 0"));
        Assert.Equal(tree.Root(), store.RecordRoot(Events));
        Assert.Equal(tree.Root(517), store.RecordRoot(517));
        foreach (var index in new long[] { 0, 1, 511, 512, 1000, Events - 1 })
        {
            Assert.Equal(MerkleTree.InclusionProof(index, Events, tree), store.InclusionProof(index, Events));
        }

        Assert.Equal(MerkleTree.ConsistencyProof(517, Events, tree), store.ConsistencyProof(517, Events));

        // The writer's frontier loads from the moved keys and the next append extends the same tree.
        await using (var s = store.OpenWriteSession())
        {
            await s.BeginAsync();
            var (size, root) = (await s.RecordHeadAsync());
            Assert.Equal(Events, size);
            Assert.Equal(tree.Root(), root);
            var appended = await s.AppendEventAsync(new DomainEvent("operation", "blue", [], "{\"n\":\"after\"}"), DateTimeOffset.UnixEpoch);
            await s.CommitAsync();
            Assert.Equal(Events + 1, appended.Sequence);
        }

        var last = store.ReadRecord(Events, Events + 1).Single();
        tree.Append(last.LeafHash);
        Assert.Equal(tree.Root(), store.RecordRoot(Events + 1));
        Assert.Equal(MerkleTree.InclusionProof(Events, Events + 1, tree), store.InclusionProof(Events, Events + 1));
    }

    [Fact]
    public async Task Migrations_9_to_11_state_the_rows_of_an_old_database_in_the_record()
    {
        // A file of schema 8 holding a party with no created entry, its token, an admin token, its
        // witness key and its escalation contacts: migrations 9 to 11 append one entry stating each
        // and bind the row to it. The payloads are the bytes those migrations have always written.
        var path = Path.Combine(_directory, "schema8.db");
        await using (var old = new SqliteStore(path))
        {
            old.MigrateTo(8);
        }

        using (var c = new SqliteConnection($"Data Source={path}"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = """
                INSERT INTO parties(id, name, role, created_at) VALUES ('blue', 'Équipe "bleue"', 'party', 1790000000000);
                INSERT INTO tokens(id, party, secret_hash, created_at, revoked_at) VALUES ('tok-blue', 'blue', x'00ff10', 1790000001000, NULL);
                INSERT INTO tokens(id, party, secret_hash, created_at, revoked_at) VALUES ('tok-admin', NULL, x'abcd', 1790000002000, 1790000003000);
                INSERT INTO party_keys(party, public_key, registered_at) VALUES ('blue', x'0102030405', 1790000004000);
                INSERT INTO escalation_contacts(party, level, url) VALUES ('blue', 2, 'https://b.example/2'), ('blue', 1, 'https://b.example/z'), ('blue', 1, 'https://b.example/a');
                """;
            cmd.ExecuteNonQuery();
        }

        // Opened without the builders of the stated entries, the store refuses the migration and
        // leaves the file at schema 8.
        var refused = Assert.Throws<InvalidOperationException>(() => new SqliteStore(path).Migrate());
        Assert.Contains("rows written before the record stated them", refused.Message, StringComparison.Ordinal);

        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2031, 2, 3, 4, 5, 6, 789, TimeSpan.Zero));
        await using var store = new SqliteStore(path, clock, StatedEvents.Instance);
        store.Migrate();

        var entries = store.ReadRecord(0, long.MaxValue).Select(l => RecordEntry.Parse(l.Entry)!).ToList();
        Assert.Equal(
            [
                """0 party [blue] {"action":"token-stated","party":"blue","token_id":"tok-blue","token":{"id":"tok-blue","party":"blue","secret_sha256":"00ff10","created_at":"2026-09-21T14:13:21Z"}}""",
                """1 admin-token [admin] {"action":"stated","token_id":"tok-admin","token":{"id":"tok-admin","secret_sha256":"abcd","created_at":"2026-09-21T14:13:22Z","revoked_at":"2026-09-21T14:13:23Z"}}""",
                """2 party [] {"action":"stated","party":{"id":"blue","name":"Équipe \"bleue\"","role":"party","created_at":"2026-09-21T14:13:20Z"}}""",
                """3 party [] {"action":"key-stated","party":"blue","key":{"party":"blue","public_key":"AQIDBAU=","registered_at":"2026-09-21T14:13:24Z"}}""",
                """4 party [blue] {"action":"escalation-contacts-stated","party":"blue","escalation_contacts":{"party":"blue","contacts":[{"level":1,"url":"https://b.example/a"},{"level":1,"url":"https://b.example/z"},{"level":2,"url":"https://b.example/2"}]}}""",
            ],
            entries.Select(e => $"{e.Index} {e.Type} [{string.Join(",", e.Parties)}] {e.PayloadJson}"));
        Assert.All(entries, e => Assert.Equal(clock.GetUtcNow(), e.Time));

        using var check = new SqliteConnection($"Data Source={path}");
        check.Open();
        using var bound = check.CreateCommand();
        bound.CommandText = """
            SELECT 'token ' || id || ' ' || record_index FROM tokens
            UNION ALL SELECT 'party ' || id || ' ' || record_index FROM parties
            UNION ALL SELECT 'key ' || party || ' ' || record_index FROM party_keys
            UNION ALL SELECT 'contacts ' || party || ' ' || record_index FROM escalation_contact_sets
            ORDER BY 1
            """;
        using var r = bound.ExecuteReader();
        var rows = new List<string>();
        while (r.Read())
        {
            rows.Add(r.GetString(0));
        }

        Assert.Equal(["contacts blue 4", "key blue 3", "party blue 2", "token tok-admin 1", "token tok-blue 0"], rows);

        // And the start check holds every stated row to its entry.
        using var key = RecordKey.LoadOrCreate(path);
        var result = new RecordCheck(store, key, RecordAnchor.Load(path)).Run(full: true);
        Assert.Null(result.Failure);
        Assert.Equal(5, result.EntriesChecked);
        Assert.Equal(5, result.RowsChecked);
    }

    private static long NodeCount(string path, string where)
    {
        using var c = new SqliteConnection($"Data Source={path}");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT COUNT(*) FROM record_nodes WHERE {where}";
        return (long)cmd.ExecuteScalar()!;
    }

    [Fact]
    public void The_file_is_in_WAL_mode()
    {
        using var c = new SqliteConnection($"Data Source={Path.Combine(_directory, "store.db")}");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", (string)cmd.ExecuteScalar()!);
    }

    [Fact]
    public async Task Under_writes_without_a_pause_the_wal_starts_again_instead_of_growing()
    {
        // The checkpointer runs every 20 ms and asks at 256 frames (1 MB). The writer commits
        // without a pause, so the background checkpoints never catch up by themselves: without
        // the writer's part the WAL would hold every frame written, at least 100 MB here. With it,
        // the WAL holds at most the frames of about one checkpoint period past the 1 MB.
        var path = Path.Combine(_directory, "busy.db");
        await using var store = new SqliteStore(path) { WalRestartFrames = 256, CheckpointInterval = TimeSpan.FromMilliseconds(20) };
        store.Migrate();
        var payload = "{\"filler\":\"" + new string('x', 3000) + "\"}";
        long largest = 0;
        long written = 0;
        await using (var s = store.OpenWriteSession())
        {
            while (written < 100 * 1024 * 1024)
            {
                await s.BeginAsync();
                for (var i = 0; i < 10; i++)
                {
                    await s.AppendEventAsync(new DomainEvent("filler", null, [], payload), T0);
                }

                await s.CommitAsync();

                // Each commit writes at least its ten events' bytes (payload and entry) to the WAL.
                written += 10 * 2 * payload.Length;
                largest = Math.Max(largest, new FileInfo(path + "-wal").Length);
            }
        }

        Assert.True(largest < 16 * 1024 * 1024, $"the WAL reached {largest} bytes after {written} written");
        Assert.Equal(store.LastEventSequence(), store.ReadRecord(0, long.MaxValue).Count);
    }
}
