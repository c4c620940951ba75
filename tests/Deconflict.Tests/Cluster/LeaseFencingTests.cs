using Deconflict.Alerts;
using Deconflict.Cluster;
using Deconflict.Core.Model;
using Deconflict.Core.Tactical;
using Deconflict.Service;
using Deconflict.Storage;
using Deconflict.Storage.Postgres;
using Deconflict.Storage.Sqlite;
using Deconflict.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Deconflict.Tests.Cluster;

/// <summary>
/// The lease's epoch fences the background duties' writes (docs/cluster.md): two nodes, each a
/// <see cref="PostgresCluster"/>, a store and a writer, on one fresh PostgreSQL database. The node
/// that lost the lease is seen by its duties through a <see cref="FakeCluster"/> that still says it
/// holds the lease at its old epoch, as a node does that has not noticed yet (a pause, a partition).
/// </summary>
public sealed class LeaseFencingTests : IAsyncLifetime
{
    private static readonly TimeSpan Failover = TimeSpan.FromSeconds(10);
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 9, 0, 0, TimeSpan.Zero);

    private static readonly DeconflictOptions Manual = new()
    {
        Tactical = new TacticalOptions { CycleInterval = TimeSpan.FromHours(1), MinCycleGap = TimeSpan.FromHours(1) },
    };

    private readonly RecordingLogger<PostgresCluster> _clusterLog = new();
    private readonly List<IAsyncDisposable> _owned = [];
    private PostgresDatabase? _database;

    private string ConnectionString => _database!.ConnectionString;

    public async Task InitializeAsync() => _database = await PostgresDatabase.CreateAsync();

    public async Task DisposeAsync()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }

        await _database!.DisposeAsync();
    }

    [Fact]
    public async Task A_duty_write_of_a_node_that_lost_the_lease_is_refused_and_changes_nothing_while_the_new_holders_commits()
    {
        var (alpha, bravo, staleEpoch) = await TakeOverAsync();
        var a = Node(alpha.Store);
        var b = Node(bravo.Store);

        var e = await Assert.ThrowsAsync<LeaseFencedException>(() => a.Writes.SubmitDuty<bool>(staleEpoch, ctx => WriteParty(ctx, "blue")));
        Assert.Equal((staleEpoch, staleEpoch + 1), (e.HeldEpoch, e.CurrentEpoch));
        Assert.Equal((0L, 0L, 0L), (await CountAsync("parties"), await CountAsync("events"), alpha.Store.LastEventSequence()));

        // The new holder's duty write commits; so does the old node's own work (not a duty's).
        Assert.True((await b.Writes.SubmitDuty<bool>(bravo.Cluster.Epoch, ctx => WriteParty(ctx, "red"))).Value);
        Assert.True((await a.Writes.Submit<bool>(null, ctx => WriteParty(ctx, "green"))).Value);
        Assert.Equal(["green", "red"], alpha.Store.ListParties().Select(p => p.Id));
        Assert.Equal((2L, 2L), (await CountAsync("events"), bravo.Store.LastEventSequence()));
    }

    [Fact]
    public async Task Tactical_detection_fenced_out_warns_once_raises_nothing_and_when_it_holds_the_lease_again_continues_the_alert_the_new_holder_raised()
    {
        var (alpha, bravo, staleEpoch) = await TakeOverAsync();
        var clock = new FakeTimeProvider(T0);
        var stale = new FakeCluster { HoldsLease = true, Epoch = staleEpoch };
        var log = new RecordingLogger<TacticalService>();
        var a = new TacticalService(Node(alpha.Store, clock).Writes, alpha.Store, Manual, clock, stale, log);
        var b = new TacticalService(Node(bravo.Store, clock).Writes, bravo.Store, Manual, clock, bravo.Cluster, NullLogger<TacticalService>.Instance);

        // Head-on at FL300, 18 km apart at 400 m/s, heard by both nodes.
        foreach (var node in new[] { a, b })
        {
            node.Report("blue", [new TrackReport("BLUE-1", T0, 35, 37.9, 9144, new Enu(200, 0, 0))]);
            node.Report("red", [new TrackReport("RED-7", T0, 35, 38.1, 9144, new Enu(-200, 0, 0))]);
        }

        // The old holder's cycle decides to raise the alert, but its write is refused.
        Assert.Null(await a.GatedCycleAsync());
        Assert.Equal((0L, 0L), (await CountAsync("alerts"), await CountAsync("events")));
        Assert.Single(Warnings(log));
        Assert.Contains($"under lease epoch {staleEpoch} was refused", Warnings(log)[0], StringComparison.Ordinal);

        // It does not try again under that epoch, nor warn again.
        Assert.Null(await a.GatedCycleAsync());
        Assert.Single(Warnings(log));

        // The new holder raises it.
        Assert.Equal(1, (await b.GatedCycleAsync())!.Decisions);
        Assert.Equal((1L, 2L), (await CountAsync("alerts"), await CountAsync("events")));

        // The old node takes the lease again after the holder stops: it continues that alert.
        await bravo.Cluster.StopAsync(CancellationToken.None);
        await PostgresClusterTests.Until(() => alpha.Cluster.HoldsLease, Failover, "the first node holding the lease again", () => _clusterLog.Text);
        Assert.Equal(staleEpoch + 2, alpha.Cluster.Epoch);
        stale.Epoch = alpha.Cluster.Epoch;
        var cycle = await a.GatedCycleAsync();
        Assert.Equal((2, 1, 0), (cycle!.Tracks, cycle.Predictions, cycle.Decisions));
        Assert.Equal(1, a.ActiveAlerts);
        Assert.Equal((1L, 2L), (await CountAsync("alerts"), await CountAsync("events")));
        Assert.Single(Warnings(log));
    }

    [Fact]
    public async Task Taking_the_lease_increments_the_epoch_in_the_database_and_a_node_keeps_it_while_it_holds_the_lease()
    {
        var (alpha, bravo, staleEpoch) = await TakeOverAsync();

        Assert.Equal(staleEpoch + 1, bravo.Cluster.Epoch);
        Assert.Equal(bravo.Cluster.Epoch, await EpochAsync());
        Assert.False(alpha.Cluster.HoldsLease);

        // Checks while holding it do not move it.
        await Task.Delay(bravo.Cluster.Interval * 2);
        Assert.True(bravo.Cluster.HoldsLease);
        Assert.Equal(bravo.Cluster.Epoch, await EpochAsync());
    }

    [Fact]
    public async Task On_SQLite_one_node_writes_alone_and_a_duty_write_of_any_epoch_commits()
    {
        var directory = Directory.CreateTempSubdirectory("deconflict-fencing-");
        try
        {
            await using (var store = new SqliteStore(Path.Combine(directory.FullName, "deconflict.db")))
            {
                store.Migrate();
                await using var writes = new WriteQueue(store, TimeProvider.System, new EventHub(), new DeconflictOptions(), NullLogger<WriteQueue>.Instance);
                Assert.True((await writes.SubmitDuty<bool>(new SingleNode().Epoch, ctx => WriteParty(ctx, "blue"))).Value);
                Assert.True((await writes.SubmitDuty<bool>(41, ctx => WriteParty(ctx, "red"))).Value);
                Assert.Equal(["blue", "red"], store.ListParties().Select(p => p.Id));
                Assert.Equal(2, store.LastEventSequence());
            }

            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>
    /// Node alpha takes the lease; node bravo starts, alpha's lease session is ended as a partition
    /// would, and bravo takes the lease over. Returns the nodes and the epoch alpha held.
    /// </summary>
    private async Task<((PostgresCluster Cluster, PostgresStore Store) Alpha, (PostgresCluster Cluster, PostgresStore Store) Bravo, long Stale)> TakeOverAsync()
    {
        var alpha = await StartAsync("alpha");
        await PostgresClusterTests.Until(() => alpha.Cluster.HoldsLease, Failover, "the first node holding the lease", () => _clusterLog.Text);
        var stale = alpha.Cluster.Epoch;
        Assert.True(stale >= 1, $"epoch {stale}");
        var bravo = await StartAsync("bravo");

        Assert.Equal(1L, await ScalarAsync(
            $"SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND application_name = '{PostgresCluster.ApplicationPrefix}{alpha.Cluster.NodeId}'"));
        await PostgresClusterTests.Until(() => bravo.Cluster.HoldsLease, Failover, "the second node taking the lease over", () => _clusterLog.Text);
        return (alpha, bravo, stale);
    }

    private async Task<(PostgresCluster Cluster, PostgresStore Store)> StartAsync(string name)
    {
        var store = new PostgresStore(ConnectionString);
        _owned.Add(store);
        store.Migrate();
        var cluster = new PostgresCluster(ConnectionString, name + "-" + Guid.NewGuid().ToString("N")[..8], new HealthWarnings(), _clusterLog);
        _owned.Add(new Stops(cluster));
        await cluster.StartAsync(CancellationToken.None);
        return (cluster, store);
    }

    private (WriteQueue Writes, EventHub Hub) Node(IDeconflictStore store, TimeProvider? time = null)
    {
        var hub = new EventHub();
        var writes = new WriteQueue(store, time ?? TimeProvider.System, hub, Manual, NullLogger<WriteQueue>.Instance);
        _owned.Add(writes);
        return (writes, hub);
    }

    private static async ValueTask<Outcome<bool>> WriteParty(WriteContext ctx, string id)
    {
        await ctx.Store.Parties.InsertAsync(new Party(id, id, PartyRole.Party, ctx.Now));
        await ctx.EmitAsync(new DomainEvent("party", null, [], $$"""{"party":"{{id}}"}"""));
        return true;
    }

    private static List<string> Warnings<T>(RecordingLogger<T> log) =>
        log.Text.Split(Environment.NewLine).Where(l => l.Contains(" Warning: ", StringComparison.Ordinal)).ToList();

    private async Task<long> CountAsync(string table) => (long)(await ScalarAsync($"SELECT count(*) FROM {table}"))!;

    private async Task<long> EpochAsync() => (long)(await ScalarAsync("SELECT lease_epoch FROM record_state"))!;

    private async Task<object?> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    /// <summary>Stops and disposes a node's lease at the end of the test (stopping it twice is harmless).</summary>
    private sealed class Stops(PostgresCluster cluster) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await cluster.StopAsync(CancellationToken.None);
            cluster.Dispose();
        }
    }
}
