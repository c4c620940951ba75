using System.Collections.Immutable;
using Deconflict.Core.Geometry;
using Deconflict.Core.Model;
using Deconflict.Core.Record;
using Deconflict.Core.Strategic;
using Deconflict.Core.Volumes;
using Deconflict.Storage;
using Deconflict.Storage.Postgres;
using Deconflict.Storage.Sqlite;
using Deconflict.Tests.Infrastructure;
using Npgsql;

namespace Deconflict.Tests.Storage;

/// <summary>What only the PostgreSQL store has to show: its migrations, several nodes writing to one database, its notifications and its faults.</summary>
public sealed class PostgresStoreTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private PostgresDatabase? _database;

    private string ConnectionString => _database!.ConnectionString;

    public async Task InitializeAsync() => _database = await PostgresDatabase.CreateAsync();

    public async Task DisposeAsync() => await _database!.DisposeAsync();

    [Fact]
    public async Task A_database_with_a_newer_schema_is_refused_in_one_sentence()
    {
        await using (var store = new PostgresStore(ConnectionString))
        {
            store.Migrate();
        }

        Execute("INSERT INTO schema_version(version, applied_at) VALUES (999, 0)");

        await using var newer = new PostgresStore(ConnectionString);
        var e = Assert.Throws<StartRefusedException>(newer.Migrate);
        var database = new NpgsqlConnectionStringBuilder(ConnectionString).Database;
        Assert.Equal(
            $"The PostgreSQL database 127.0.0.1:5432/{database} has schema version 999, newer than this build knows ({PostgresSchema.Migrations.Count}): use a newer deconflict.",
            e.Message);
    }

    [Fact]
    public async Task Nodes_migrating_at_once_apply_each_migration_once()
    {
        var stores = Enumerable.Range(0, 4).Select(_ => new PostgresStore(ConnectionString)).ToArray();
        await Task.WhenAll(stores.Select(s => Task.Run(s.Migrate)));
        foreach (var store in stores)
        {
            await store.DisposeAsync();
        }

        Assert.Equal((long)PostgresSchema.Migrations.Count, Scalar("SELECT COUNT(*) FROM schema_version"));
        Assert.Equal(1L, Scalar("SELECT COUNT(*) FROM pg_extension WHERE extname = 'postgis'"));
    }

    [Fact]
    public async Task Two_nodes_writing_overlapping_operations_at_once_record_exactly_one_conflict_each_time_and_one_chain()
    {
        const int Rounds = 12;
        await using var first = new PostgresStore(ConnectionString);
        await using var second = new PostgresStore(ConnectionString);
        first.Migrate();
        second.Migrate();
        await using (var s = first.OpenWriteSession())
        {
            await s.BeginAsync();
            await s.Parties.InsertAsync(new Party("blue", "Blue", PartyRole.Party, T0));
            await s.Parties.InsertAsync(new Party("red", "Red", PartyRole.Party, T0));
            await s.AppendEventAsync(new DomainEvent("party", null, [], "{\"n\":\"parties\"}"), T0);
            await s.CommitAsync();
        }

        // Each round, both nodes submit an operation over the same square at the same moment: the
        // one that takes the head lock second must find the first and record the conflict.
        using var barrier = new Barrier(2);
        var nodes = new[] { (Store: first, Party: "blue"), (Store: second, Party: "red") };
        await Task.WhenAll(nodes.Select(node => Task.Run(async () =>
        {
            await using var s = node.Store.OpenWriteSession();
            for (var round = 0; round < Rounds; round++)
            {
                barrier.SignalAndWait();
                await Submit(s, new Declaration(DeclarationKind.Operation, $"op-{node.Party}-{round}", node.Party, 1, DeclarationState.Planned, 0, null, null,
                    Square(round, round), null, T0, T0));
            }
        })));

        using var reader = Connect();
        for (var round = 0; round < Rounds; round++)
        {
            using var cmd = new NpgsqlCommand("SELECT a_id, b_id FROM conflicts WHERE a_id LIKE $1 ORDER BY seq", reader);
            cmd.Parameters.Add(new NpgsqlParameter { Value = $"op-%-{round}" });
            using var r = cmd.ExecuteReader();
            Assert.True(r.Read(), $"round {round} recorded no conflict");
            var pair = new[] { r.GetString(0), r.GetString(1) }.Order(StringComparer.Ordinal).ToArray();
            Assert.Equal([$"op-blue-{round}", $"op-red-{round}"], pair);
            Assert.False(r.Read(), $"round {round} recorded two conflicts");
        }

        // One log: 1 + 2 events a round (each operation) + 1 a round (the conflict), numbered
        // without gaps, and every prefix's root is the root of a tree built from the leaves.
        const long Size = 1 + (3 * Rounds);
        Assert.Equal(Size, first.LastEventSequence());
        var leaves = second.ReadRecord(0, long.MaxValue);
        Assert.Equal(Enumerable.Range(0, (int)Size).Select(i => (long)i), leaves.Select(l => l.Index));
        var tree = new MemoryMerkleNodes();
        foreach (var leaf in leaves)
        {
            Assert.Equal(leaf.Index, RecordEntry.Parse(leaf.Entry)!.Index);
            Assert.Equal(MerkleTree.LeafHash(leaf.Entry), leaf.LeafHash);
            tree.Append(leaf.LeafHash);
            Assert.Equal(tree.Root(), first.RecordRoot(tree.Size));
        }

        Assert.True(MerkleTree.VerifyConsistency(5, Size, tree.Root(5), tree.Root(), second.ConsistencyProof(5, Size)));
    }

    [Fact]
    public async Task Commits_notify_the_last_event_and_revoked_tokens_and_rollbacks_notify_nothing()
    {
        await using var store = new PostgresStore(ConnectionString);
        store.Migrate();
        await using var listener = Connect();
        var heard = new List<(string Channel, string Payload)>();
        listener.Notification += (_, n) => heard.Add((n.Channel, n.Payload));
        using (var listen = new NpgsqlCommand("LISTEN deconflict_events; LISTEN deconflict_tokens", listener))
        {
            listen.ExecuteNonQuery();
        }

        await using (var s = store.OpenWriteSession())
        {
            await s.BeginAsync();
            await s.Parties.InsertAsync(new Party("blue", "Blue", PartyRole.Party, T0));
            await s.Parties.InsertTokenAsync(new AccessToken("tk-1", "blue", new byte[32], T0, null));
            await s.Parties.InsertTokenAsync(new AccessToken("tk-2", "blue", [.. Enumerable.Repeat((byte)1, 32)], T0, null));
            for (var i = 0; i < 3; i++)
            {
                await s.AppendEventAsync(new DomainEvent("party", null, [], "{}"), T0);
            }

            await s.CommitAsync();

            // Undone: a whole transaction, and a revocation rolled back to its savepoint.
            await s.BeginAsync();
            await s.Parties.RevokeTokenAsync("tk-1", T0);
            await s.AppendEventAsync(new DomainEvent("token", null, ["blue"], "{}"), T0);
            await s.RollbackAsync();
            await s.BeginAsync();
            await s.SavepointAsync();
            await s.Parties.RevokeTokenAsync("tk-1", T0);
            await s.RollbackToSavepointAsync();
            await s.ReleaseSavepointAsync();
            await s.Parties.RevokeTokenAsync("tk-2", T0);
            await s.AppendEventAsync(new DomainEvent("token", null, ["blue"], "{}"), T0);
            await s.CommitAsync();

            // A transaction that appends nothing notifies nothing.
            await s.BeginAsync();
            await s.Parties.InsertAsync(new Party("red", "Red", PartyRole.Party, T0));
            await s.CommitAsync();
        }

        // Sent last, after every write above: when it arrives, everything before it has.
        Execute("NOTIFY deconflict_events, 'end'");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!heard.Contains(("deconflict_events", "end")) && DateTime.UtcNow < deadline)
        {
            await listener.WaitAsync(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(
            [("deconflict_events", "3"), ("deconflict_tokens", "tk-2"), ("deconflict_events", "4"), ("deconflict_events", "end")],
            heard);
    }

    [Fact]
    public async Task Reads_inside_a_snapshot_do_not_see_what_another_node_commits_meanwhile()
    {
        await using var checking = new PostgresStore(ConnectionString);
        checking.Migrate();
        await using var other = new PostgresStore(ConnectionString);
        await using var s = other.OpenWriteSession();
        await s.BeginAsync();
        await s.Parties.InsertAsync(new Party("blue", "Blue", PartyRole.Party, T0));
        await s.CommitAsync();
        await Submit(s, Operation("op-before", Square(10, 10)));

        // The record check at a node's start reads the record's size, then every served row: a row
        // another node commits in between must not be seen without its entry.
        using (checking.Snapshot())
        {
            Assert.Equal(1, checking.LastEventSequence());
            await Submit(s, Operation("op-during", Square(20, 20)));
            Assert.Equal(1, checking.LastEventSequence());
            Assert.Equal(["op-before"], checking.CheckRows().Select(r => r.Id).Where(id => id.StartsWith("op-", StringComparison.Ordinal)));
            Assert.Null(checking.GetDeclaration(DeclarationKind.Operation, "op-during"));
        }

        Assert.Equal(2, checking.LastEventSequence());
        Assert.NotNull(checking.GetDeclaration(DeclarationKind.Operation, "op-during"));
    }

    [Fact]
    public async Task The_writer_recovers_by_itself_when_its_connections_are_cut()
    {
        await using var store = new PostgresStore(ConnectionString);
        store.Migrate();
        await using var s = store.OpenWriteSession();
        await s.BeginAsync();
        await s.Parties.InsertAsync(new Party("blue", "Blue", PartyRole.Party, T0));
        await s.CommitAsync();
        Assert.Equal("Blue", store.GetParty("blue")!.Name);

        // As when PostgreSQL restarts: every connection of the pool dies under it.
        var database = new NpgsqlConnectionStringBuilder(ConnectionString).Database;
        await using (var admin = new NpgsqlConnection(Environment.GetEnvironmentVariable("DECONFLICT_TEST_POSTGRES") is { Length: > 0 } set ? set : PostgresDatabase.DefaultServer))
        {
            await admin.OpenAsync();
            await using var kill = new NpgsqlCommand("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", admin);
            kill.Parameters.Add(new NpgsqlParameter { Value = database });
            await kill.ExecuteNonQueryAsync();
        }

        // A batch may meet a dead connection: that is a storage fault (503), never anything else,
        // and the next batch connects afresh.
        var faults = 0;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await s.BeginAsync();
                await s.Parties.InsertAsync(new Party($"red{attempt}", "Red", PartyRole.Party, T0));
                await s.AppendEventAsync(new DomainEvent("party", null, [], "{}"), T0);
                await s.CommitAsync();
                break;
            }
            catch (Exception e) when (attempt < 3)
            {
                Assert.True(StorageFault.Is(e), e.ToString());
                faults++;
                await s.RollbackAsync();
            }
        }

        Assert.True(faults <= 1, $"{faults} batches failed after the cut");
        Assert.Equal(1, store.LastEventSequence());
        Assert.Equal(2, store.ListParties().Count);
    }

    [Fact]
    public async Task An_unreachable_server_is_a_storage_fault_and_refuses_the_start_in_one_line()
    {
        await using var store = new PostgresStore("Host=127.0.0.1;Port=1;Username=nobody;Password=secret;Database=nowhere");
        var refused = Assert.Throws<StartRefusedException>(store.Migrate);
        Assert.Equal("The PostgreSQL database 127.0.0.1:1/nowhere cannot be used: the PostgreSQL server cannot be reached.", refused.Message);

        var read = Assert.ThrowsAny<Exception>(() => store.GetParty("blue"));
        Assert.True(StorageFault.Is(read));
        Assert.Equal("the PostgreSQL server cannot be reached", StorageFault.Describe(read));

        await using var s = store.OpenWriteSession();
        var write = await Assert.ThrowsAnyAsync<Exception>(async () => await s.BeginAsync());
        Assert.True(StorageFault.Is(write));
        await s.RollbackAsync();
    }

    [Fact]
    public async Task Taking_the_lease_waits_for_an_open_write_transaction_and_the_next_one_reads_the_new_epoch()
    {
        await using var store = new PostgresStore(ConnectionString);
        store.Migrate();
        await using var s = store.OpenWriteSession();
        await s.BeginAsync();
        Assert.Equal(0L, s.LeaseEpoch);

        // What a node runs as it takes the lease: it queues on the head lock the transaction holds.
        var taking = Task.Run(() => Scalar(Deconflict.Cluster.PostgresCluster.EpochSql));
        await Task.Delay(300);
        Assert.False(taking.IsCompleted);
        Assert.Equal(0L, s.LeaseEpoch);
        await s.CommitAsync();

        Assert.Equal(1L, await taking);
        await s.BeginAsync();
        Assert.Equal(1L, s.LeaseEpoch);
        await s.RollbackAsync();
    }

    [Fact]
    public void A_malformed_connection_string_refuses_the_start_in_one_line()
    {
        var e = Assert.Throws<StartRefusedException>(() => new PostgresStore("Host=127.0.0.1;Port=notaport"));
        Assert.StartsWith("The PostgreSQL connection string is not valid: ", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public async Task The_broad_phase_on_PostGIS_gives_what_the_writers_grid_gives_across_the_antimeridian_and_at_touching_edges()
    {
        await using var store = new PostgresStore(ConnectionString);
        store.Migrate();
        var edge = T0.AddHours(1);
        await using (var s = store.OpenWriteSession())
        {
            await s.BeginAsync();
            await s.Parties.InsertAsync(new Party("blue", "Blue", PartyRole.Party, T0));
            await s.Declarations.InsertAsync(Operation("op-east", Square(10, 179.9)));
            await s.Declarations.InsertAsync(Operation("op-west", Square(10, -179.9)));
            await s.Declarations.InsertAsync(Operation("op-across", Polygon([new(9.95, 179.97), new(9.95, -179.97), new(10.05, -179.97), new(10.05, 179.97)])));
            await s.Declarations.InsertAsync(Operation("op-touching", Square(20, 20, lower: 5000, upper: 6000, start: edge, end: edge.AddHours(1))));
            await s.CommitAsync();
        }

        var grid = new VolumeGrid<string, string>();
        foreach (var id in new[] { "op-east", "op-west", "op-across", "op-touching" })
        {
            grid.Set(id, [.. store.GetDeclaration(DeclarationKind.Operation, id)!.Volumes.Select(VolumeBox.Of)], id);
        }

        VolumeBox[] queries =
        [
            new(new GeoBox(9.99, 179.99, 10.01, -179.99), 0, 10_000, T0, edge),
            new(new GeoBox(9.99, 179.9, 10.01, 179.99), 0, 10_000, T0, edge),
            new(new GeoBox(9.99, -179.99, 10.01, -179.8), 0, 10_000, T0, edge),
            new(new GeoBox(19.9, 19.9, 20.1, 20.1), 0, 5000, T0, edge),
            new(new GeoBox(19.9, 19.9, 20.1, 20.1), 0, 4990, T0, edge),
            new(new GeoBox(19.9, 19.9, 20.1, 20.1), 0, 5000, T0, edge.AddMinutes(-1)),
            new(new GeoBox(19.9, 20.06, 20.1, 20.1), 0, 5000, T0, edge),
        ];
        foreach (var query in queries)
        {
            var expected = new List<string>();
            grid.Query(query, expected);
            Assert.Equal(expected.Order(StringComparer.Ordinal), store.FindCandidates([query]).Select(d => d.Id).Order(StringComparer.Ordinal));
        }

        // In seq order, as SQLite's reader gives them.
        Assert.Equal(["op-across"], store.FindCandidates([queries[0]]).Select(d => d.Id));
        Assert.Equal(["op-east", "op-across"], store.FindCandidates([queries[1]]).Select(d => d.Id));
        Assert.Equal(["op-west", "op-across"], store.FindCandidates([queries[2]]).Select(d => d.Id));
        Assert.Equal(["op-touching"], store.FindCandidates([queries[3]]).Select(d => d.Id));
        Assert.Empty(store.FindCandidates([queries[4]]));
        Assert.Empty(store.FindCandidates([queries[5]]));
        Assert.Empty(store.FindCandidates([queries[6]]));
        Assert.Equal(["op-east", "op-across", "op-touching"], store.FindCandidates([queries[1], queries[3]]).Select(d => d.Id));
    }

    private static async Task Submit(IWriteSession s, Declaration d)
    {
        await s.BeginAsync();
        var candidates = await s.Declarations.FindCandidatesAsync([.. d.Volumes.Select(VolumeBox.Of)]);
        await s.Declarations.InsertAsync(d);
        await s.AppendEventAsync(new DomainEvent("operation", d.Party, [], $"{{\"id\":\"{d.Id}\"}}"), T0);
        foreach (var other in candidates)
        {
            var id = Guid.CreateVersion7().ToString();
            await s.Conflicts.InsertAsync(new Conflict(id, 1, ConflictState.Open, ConflictRef.Of(d), ConflictRef.Of(other), new VolumeOverlap(T0, T0.AddHours(1), 1000, 5000),
                ImmutableSortedDictionary<string, DateTimeOffset>.Empty, ImmutableSortedDictionary<string, DateTimeOffset>.Empty, T0, T0, null));
            await s.AppendEventAsync(new DomainEvent("conflict", null, [d.Party, other.Party], $"{{\"id\":\"{id}\"}}"), T0);
        }

        await s.CommitAsync();
    }

    private static Declaration Operation(string id, ImmutableArray<Volume4D> volumes) =>
        new(DeclarationKind.Operation, id, "blue", 1, DeclarationState.Planned, 0, null, null, volumes, null, T0, T0);

    private static ImmutableArray<Volume4D> Polygon(GeoPoint[] vertices)
    {
        var outline = OutlineFactory.Polygon(vertices, new GeometryLimits());
        return [new Volume4D(outline.Outline ?? throw new InvalidOperationException(outline.Error), 1000, 5000, T0, T0.AddHours(1))];
    }

    private static ImmutableArray<Volume4D> Square(double lat, double lng, double half = 0.05, double lower = 1000, double upper = 5000, DateTimeOffset? start = null, DateTimeOffset? end = null)
    {
        var outline = OutlineFactory.Polygon([new(lat - half, lng - half), new(lat - half, lng + half), new(lat + half, lng + half), new(lat + half, lng - half)], new GeometryLimits());
        return [new Volume4D(outline.Outline ?? throw new InvalidOperationException(outline.Error), lower, upper, start ?? T0, end ?? T0.AddHours(1))];
    }

    private NpgsqlConnection Connect()
    {
        var c = new NpgsqlConnection(ConnectionString);
        c.Open();
        return c;
    }

    private void Execute(string sql)
    {
        using var c = Connect();
        using var cmd = new NpgsqlCommand(sql, c);
        cmd.ExecuteNonQuery();
    }

    private object? Scalar(string sql)
    {
        using var c = Connect();
        using var cmd = new NpgsqlCommand(sql, c);
        return cmd.ExecuteScalar();
    }
}
