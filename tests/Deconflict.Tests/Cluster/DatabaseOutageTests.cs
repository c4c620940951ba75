using System.Collections.Concurrent;
using System.Diagnostics;
using Deconflict.Tests.Infrastructure;

namespace Deconflict.Tests.Cluster;

/// <summary>
/// Issue 18: PostgreSQL itself killed under load and started again. While it is down every write
/// fails fast with 503 problem+json; afterwards the nodes write again by themselves (nobody
/// restarts them) and every write acknowledged before, during or after the outage is there.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class DatabaseOutageTests
{
    /// <summary>"Fast": a write must not wait for the database to come back.</summary>
    private static readonly TimeSpan FailFast = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(8);

    [Fact]
    public async Task Writes_answer_503_at_once_while_the_database_is_down_and_succeed_again_after_it_restarts_with_nothing_lost()
    {
        await using var postgres = await PrivatePostgres.StartAsync();
        await using var database = await postgres.CreateDatabaseAsync();
        await using var cluster = await ClusterNodes.StartAsync(2, database.ConnectionString);
        var tokens = new Dictionary<string, string> { ["blue"] = await cluster.AddPartyAsync("blue", node: 0), ["red"] = await cluster.AddPartyAsync("red", node: 1) };
        var clock = Stopwatch.StartNew();
        var acknowledged = new ConcurrentDictionary<string, string>();
        var attempts = new ConcurrentQueue<Attempt>();
        using var stop = new CancellationTokenSource();

        // Each party writes through each node, one write after another.
        var writers = tokens.Keys.SelectMany(party => cluster.Nodes.Select(node => Task.Run(async () =>
        {
            var client = node.Client(tokens[party]);
            var random = new Random(HashCode.Combine(party, node.Index));
            while (!stop.IsCancellationRequested)
            {
                var started = clock.Elapsed;
                var body = Bodies.Operation(Bodies.Square(-50 + (random.NextDouble() * 20), 100 + (random.NextDouble() * 20), halfDeg: 0.05));
                var r = await client.Post("v1/operations", body);
                attempts.Enqueue(new Attempt(party, node.Index, started, clock.Elapsed, r.Status, r.Response.Content.Headers.ContentType?.MediaType, r.Body?["code"]?.GetValue<string>()));
                if (r.Status == 201)
                {
                    acknowledged[r.Body!["operation"]!["id"]!.GetValue<string>()] = party;
                }

                await Task.Delay(50);
            }
        }))).ToList();

        try
        {
            await Task.Delay(TimeSpan.FromSeconds(3));
            postgres.Kill();
            var downAt = clock.Elapsed;
            await Task.Delay(Outage);
            var upAt = clock.Elapsed;
            await postgres.RestartAsync();

            // Nobody touches the nodes: each party's writes through each node succeed again.
            var recovered = Stopwatch.StartNew();
            while (!tokens.Keys.All(p => cluster.Nodes.All(n => attempts.Any(a => a.Party == p && a.Node == n.Index && a.Started > upAt && a.Status == 201))))
            {
                Assert.True(recovered.Elapsed < TimeSpan.FromSeconds(60), "the nodes did not write again within 60 s of the database's restart:\n" + cluster.Output());
                await Task.Delay(100);
            }

            await Task.Delay(1000);
            await stop.CancelAsync();
            await Task.WhenAll(writers);

            // While it was down: every write answered within the bound, and each that was answered
            // before the database came back was a 503 storage-unavailable problem.
            var during = attempts.Where(a => a.Started >= downAt && a.Started < upAt).ToList();
            Assert.All(during, a => Assert.True(a.Ended - a.Started < FailFast, $"a write during the outage took {(a.Ended - a.Started).TotalSeconds:F1} s ({a.Status})"));
            var refused = during.Where(a => a.Ended < upAt).ToList();
            Assert.All(refused, a => Assert.True(a.Status == 503 && a.MediaType == "application/problem+json" && a.Code == "storage-unavailable", $"a write during the outage was answered {a.Status} {a.MediaType} {a.Code}"));

            // Every writer met the outage several times (it did not stall on one write).
            Assert.All(tokens.Keys, p => Assert.All(cluster.Nodes, n => Assert.True(refused.Count(a => a.Party == p && a.Node == n.Index) >= 3, $"{p} through {n} was refused only {refused.Count(a => a.Party == p && a.Node == n.Index)} times in {Outage.TotalSeconds} s")));

            // Nothing acknowledged is lost, before, during or after the outage, on either node.
            Assert.True(attempts.Count(a => a.Status == 201 && a.Ended < downAt) >= 10, "too few writes before the outage to show anything");
            foreach (var node in cluster.Nodes)
            {
                foreach (var (id, party) in acknowledged)
                {
                    var stored = await node.Client(tokens[party]).Get($"v1/operations/{id}");
                    Assert.True(stored.Status == 200, $"acknowledged operation {id} is missing on {node} ({stored.Status})");
                }

                var listed = (await node.Admin().Get("v1/operations?limit=10000")).Body!["items"]!.AsArray().Select(o => o!["id"]!.GetValue<string>()).ToHashSet();
                Assert.Superset(acknowledged.Keys.ToHashSet(), listed);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(writers);
        }
    }

    private sealed record Attempt(string Party, int Node, TimeSpan Started, TimeSpan Ended, int Status, string? MediaType, string? Code);
}
