using System.Diagnostics;
using Deconflict.Cluster;
using Deconflict.Service;
using Microsoft.Extensions.Logging.Abstractions;

namespace Deconflict.Tests.Cluster;

/// <summary>
/// The lease of the background duties on a real PostgreSQL: two nodes on one fresh database, one
/// holding the lease at a time, the other taking it within the issue's 10 s when the holder's
/// session ends (terminated by the server, or closed as the holder's process ends).
/// </summary>
public sealed class PostgresClusterTests
{
    private static readonly TimeSpan Failover = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Of_two_nodes_exactly_one_holds_the_lease_and_both_count_two_live_nodes()
    {
        await using var db = await ClusterTestDatabase.CreateAsync();
        await using var nodes = await Nodes.StartAsync(db, "alpha", "bravo");
        var (a, b) = (nodes[0], nodes[1]);

        await Until(() => (a.HoldsLease || b.HoldsLease) && a.LiveNodes == 2 && b.LiveNodes == 2, Failover, "a holder and two live nodes", nodes.Log);

        // Three seconds of checks (three of each node's rounds): never both, never neither.
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(3))
        {
            Assert.True(a.HoldsLease ^ b.HoldsLease, $"alpha holds: {a.HoldsLease}, bravo holds: {b.HoldsLease}");
            await Task.Delay(20);
        }

        // The server agrees: one session holds the lock, and it is the holder's.
        var holder = a.HoldsLease ? a : b;
        Assert.Equal(
            PostgresCluster.ApplicationPrefix + holder.NodeId,
            await db.ScalarAsync($"SELECT string_agg(a.application_name, ',') FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND l.objid = {PostgresCluster.LeaseKey & 0xffffffff}"));
    }

    [Fact]
    public async Task When_the_holders_session_is_terminated_the_other_node_takes_the_lease_within_10_s()
    {
        await using var db = await ClusterTestDatabase.CreateAsync();
        var warnings = new HealthWarnings();
        await using var nodes = await Nodes.StartAsync(db, warnings, "alpha", "bravo");
        var (a, b) = (nodes[0], nodes[1]);
        await Until(() => a.HoldsLease || b.HoldsLease, Failover, "a holder", nodes.Log);
        var (holder, other) = a.HoldsLease ? (a, b) : (b, a);

        Assert.Equal(1, await db.TerminateAsync(PostgresCluster.ApplicationPrefix + holder.NodeId));

        // The server tells the session it ends it: the holder lets go at once, before the other
        // node's next round could take the lease (at most a second away).
        await Until(() => !holder.HoldsLease, TimeSpan.FromMilliseconds(500), "the terminated node letting go", nodes.Log);
        var taken = await Until(() => other.HoldsLease, Failover, "the other node holding the lease", nodes.Log);
        Assert.True(taken < Failover, $"taken over after {taken}");
        Assert.False(holder.HoldsLease);

        // The terminated node connects again and is a live node again, without the lease.
        await Until(() => holder.LiveNodes == 2 && other.LiveNodes == 2, Failover, "two live nodes again", nodes.Log);
        Assert.False(holder.HoldsLease);
        Assert.True(other.HoldsLease);
        Assert.Empty(warnings.Current);
    }

    [Fact]
    public async Task When_the_holder_stops_the_other_node_takes_the_lease_within_10_s_and_counts_one_live_node()
    {
        await using var db = await ClusterTestDatabase.CreateAsync();
        await using var nodes = await Nodes.StartAsync(db, "alpha", "bravo");
        var (a, b) = (nodes[0], nodes[1]);
        await Until(() => (a.HoldsLease || b.HoldsLease) && a.LiveNodes == 2 && b.LiveNodes == 2, Failover, "a holder and two live nodes", nodes.Log);
        var (holder, other) = a.HoldsLease ? (a, b) : (b, a);

        // Disposed without stopping, as a process that ends: its socket closes with it.
        holder.Dispose();
        var taken = await Until(() => other.HoldsLease, Failover, "the other node holding the lease", nodes.Log);
        Assert.True(taken < Failover, $"taken over after {taken}");
        await Until(() => other.LiveNodes == 1, Failover, "one live node", nodes.Log);
        Assert.True(other.HoldsLease);
    }

    [Fact]
    public async Task A_node_that_cannot_reach_the_database_holds_no_lease_and_warns()
    {
        var warnings = new HealthWarnings();
        using var node = new PostgresCluster("Host=127.0.0.1;Port=1;Username=nobody;Password=x;Database=none", "lonely", warnings, NullLogger<PostgresCluster>.Instance);
        await node.StartAsync(CancellationToken.None);
        await Until(() => warnings.Current.Count == 1, Failover, "a warning");

        Assert.False(node.HoldsLease);
        Assert.Equal(1, node.LiveNodes);
        Assert.StartsWith("the lease connection to the database failed (", warnings.Current[0], StringComparison.Ordinal);
        await node.StopAsync(CancellationToken.None);
    }

    [Theory]
    [InlineData("", "must have 1 to 40 characters")]
    [InlineData("node one", "may hold only letters, digits, '.', '_' and '-'")]
    [InlineData("nœud", "may hold only letters, digits, '.', '_' and '-'")]
    [InlineData("a-node-id-of-forty-one-characters-is-long", "must have 1 to 40 characters")]
    public void A_configured_node_id_that_cannot_name_a_session_is_refused_in_one_line(string id, string problem)
    {
        var e = Assert.Throws<ArgumentException>(() => new PostgresCluster("Host=127.0.0.1", id, new HealthWarnings(), NullLogger<PostgresCluster>.Instance));
        Assert.Equal($"The node id '{id}' {problem}. (Parameter 'nodeId')", e.Message);
    }

    [Fact]
    public void A_node_without_a_configured_id_makes_one_of_its_host_process_and_a_random_part()
    {
        var first = PostgresCluster.NewNodeId();
        var second = PostgresCluster.NewNodeId();
        Assert.NotEqual(first, second);
        Assert.Null(PostgresCluster.NodeIdProblem(first));
        Assert.Contains($"-{Environment.ProcessId}-", first, StringComparison.Ordinal);
        Assert.Matches("-[0-9a-f]{8}$", first);
    }

    [Theory]
    [InlineData(0.3, 1)]
    [InlineData(0, 1)]
    [InlineData(-5, 1)]
    [InlineData(999.2, 1000)]
    [InlineData(1000, 1000)]
    public void A_wait_on_a_connection_is_never_given_the_0_that_means_forever(double milliseconds, int expected) =>
        Assert.Equal(expected, PostgresCluster.WaitMilliseconds(TimeSpan.FromMilliseconds(milliseconds)));

    /// <summary>Waits until <paramref name="condition"/> holds; returns how long that took.</summary>
    internal static async Task<TimeSpan> Until(Func<bool> condition, TimeSpan timeout, string what, Func<string>? log = null)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < timeout, $"no {what} within {timeout.TotalSeconds} s{(log is null ? "" : Environment.NewLine + log())}");
            await Task.Delay(10);
        }

        return watch.Elapsed;
    }

    /// <summary>Started nodes, stopped and disposed at the end of the test.</summary>
    private sealed class Nodes : List<PostgresCluster>, IAsyncDisposable
    {
        private readonly List<RecordingLogger<PostgresCluster>> _logs = [];

        /// <summary>What the nodes logged, each line with its node's index.</summary>
        public string Log() => string.Join(Environment.NewLine, _logs.Select((l, i) => $"[{i}]{Environment.NewLine}{l.Text}"));

        public static Task<Nodes> StartAsync(ClusterTestDatabase db, params string[] ids) => StartAsync(db, new HealthWarnings(), ids);

        public static async Task<Nodes> StartAsync(ClusterTestDatabase db, HealthWarnings warnings, params string[] ids)
        {
            var nodes = new Nodes();
            foreach (var id in ids)
            {
                var log = new RecordingLogger<PostgresCluster>();
                var node = new PostgresCluster(db.ConnectionString, id + "-" + Guid.NewGuid().ToString("N")[..8], warnings, log);
                nodes._logs.Add(log);
                nodes.Add(node);
                await node.StartAsync(CancellationToken.None);
            }

            return nodes;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var node in this)
            {
                await node.StopAsync(CancellationToken.None);
                node.Dispose();
            }
        }
    }
}
