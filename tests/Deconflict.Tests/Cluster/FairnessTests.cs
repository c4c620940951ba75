using Deconflict.Api;
using Deconflict.Cluster;
using Deconflict.Service;
using Deconflict.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Deconflict.Tests.Cluster;

/// <summary>
/// A party's request rate and burst, open streams and share of the writer's queue are the
/// cluster's, each node allowing its part over the live nodes (burst and counts rounded up), read
/// again when the live nodes change; on a single node nothing changes.
/// </summary>
public sealed class FairnessTests
{
    // One request replenished every 1,000 s (per node count): nothing comes back during a test.
    private static readonly DeconflictOptions Slow = new() { Quotas = new QuotaOptions { RequestsPerSecond = 0.001, RequestBurst = 10, MaxStreams = 5 } };

    [Fact]
    public void A_party_gets_half_its_burst_on_each_of_two_nodes_and_the_whole_when_one_is_left()
    {
        var cluster = new FakeCluster { LiveNodes = 2 };
        using var limits = new AccessLimits(Slow, cluster);

        var answers = Enumerable.Range(0, 10).Select(_ => limits.Request("red")).ToList();
        Assert.Equal(5, answers.Count(a => a is null));
        var refused = answers.Where(a => a is not null).ToList();
        Assert.Equal(5, refused.Count);
        Assert.All(refused, r => Assert.Equal(RefusalReason.RateLimited, r!.Reason));
        Assert.Equal("Party 'red' is over its request rate (0.001/s, bursts of 10, shared over 2 nodes); retry later.", refused[0]!.Detail);

        // Another party has its own part.
        Assert.Null(limits.Request("blue"));

        // Three nodes: ceil(10 / 3) = 4.
        cluster.LiveNodes = 3;
        Assert.Equal(4, Enumerable.Range(0, 10).Count(_ => limits.Request("red") is null));

        // One node left: the whole burst.
        cluster.LiveNodes = 1;
        Assert.Equal(10, Enumerable.Range(0, 12).Count(_ => limits.Request("red") is null));
    }

    [Fact]
    public void On_a_single_node_a_party_gets_its_whole_burst()
    {
        using var limits = new AccessLimits(Slow, new SingleNode());
        var answers = Enumerable.Range(0, 12).Select(_ => limits.Request("red")).ToList();
        Assert.Equal(10, answers.Count(a => a is null));
        Assert.Equal("Party 'red' is over its request rate (0.001/s, bursts of 10); retry later.", answers[^1]!.Detail);
    }

    [Fact]
    public void A_party_opens_its_share_of_streams_on_each_node_rounded_up_and_more_once_nodes_leave()
    {
        var cluster = new FakeCluster { LiveNodes = 2 };
        using var limits = new AccessLimits(Slow, cluster);

        // ceil(5 / 2) = 3 on this node.
        var open = Enumerable.Range(0, 3).Select(_ => limits.OpenStream("red")).ToList();
        Assert.All(open, o => Assert.True(o.Ok));
        var refused = limits.OpenStream("red");
        Assert.Equal(RefusalReason.QuotaExceeded, refused.Error!.Reason);
        Assert.Equal(3, refused.Error.Facts!["limit"]);
        Assert.Equal("Party 'red' has 3 event streams open on this node, its share of the quota of 5, shared over 2 nodes; close one first.", refused.Error.Detail);

        // A stream that ends gives its place back, once however often it is disposed.
        open[0].Value!.Dispose();
        open[0].Value!.Dispose();
        var again = limits.OpenStream("red");
        Assert.True(again.Ok);
        Assert.False(limits.OpenStream("red").Ok);

        // One node left: the whole quota of 5.
        cluster.LiveNodes = 1;
        Assert.True(limits.OpenStream("red").Ok);
        Assert.True(limits.OpenStream("red").Ok);
        var full = limits.OpenStream("red");
        Assert.Equal("Party 'red' has 5 event streams open, its quota; close one first.", full.Error!.Detail);
        Assert.Equal(5, full.Error.Facts!["limit"]);
    }

    [Theory]
    [InlineData(1, 4)]
    [InlineData(2, 2)]
    [InlineData(3, 2)]
    [InlineData(8, 1)]
    public async Task A_party_queues_its_share_of_the_writer_divided_over_the_live_nodes(int nodes, int queued)
    {
        // 8 in the queue, one party waiting: a share of 8 / (1 + 1) = 4, then ceil(4 / nodes) on each node.
        var directory = Path.Combine(Path.GetTempPath(), "deconflict-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var store = new SqliteStore(Path.Combine(directory, "store.db"));
        store.Migrate();
        try
        {
            await using (var queue = new WriteQueue(store, TimeProvider.System, new EventHub(), new DeconflictOptions { Writer = new WriterOptions { MaxQueued = 8 } }, NullLogger<WriteQueue>.Instance, cluster: new FakeCluster { LiveNodes = nodes }))
            {
                using var holding = new ManualResetEventSlim();
                using var release = new ManualResetEventSlim();
                var holder = queue.Submit<bool>(null, _ =>
                {
                    holding.Set();
                    release.Wait();
                    return new(true);
                });
                holding.Wait();
                var writes = Enumerable.Range(0, 6).Select(_ => queue.Submit<bool>("red", _ => new(true))).ToList();
                var refusedAtOnce = writes.Where(w => w.IsCompleted).ToList();
                release.Set();
                await holder;
                var answers = await Task.WhenAll(writes);
                Assert.Equal(queued, answers.Count(a => a.Ok));
                Assert.Equal(6 - queued, refusedAtOnce.Count);
                Assert.All(answers.Where(a => !a.Ok), a => Assert.Equal(RefusalReason.RateLimited, a.Error!.Reason));
            }
        }
        finally
        {
            await store.DisposeAsync();
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    private sealed class FakeCluster : IClusterState
    {
        public string NodeId => "node-test";

        public bool HoldsLease => true;

        public long Epoch => 0;

        public int LiveNodes { get; set; } = 1;
    }
}
