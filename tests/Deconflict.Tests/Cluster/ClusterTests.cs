using System.Collections.Concurrent;
using System.Diagnostics;
using Deconflict.Tests.Infrastructure;

namespace Deconflict.Tests.Cluster;

/// <summary>
/// Issue 18: three server processes on one PostgreSQL database and one NATS server. Any node takes
/// any write; every node's event stream carries every event in the one record order; two
/// overlapping operations submitted at the same instant on two nodes end with exactly one conflict.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterTests
{
    private static readonly string[] Parties = ["blue", "red", "green", "white"];

    [Fact]
    public async Task Concurrent_writes_of_several_parties_over_every_node_reach_every_nodes_stream_in_one_order()
    {
        await using var database = await PostgresDatabase.CreateAsync();
        await using var cluster = await ClusterNodes.StartAsync(3, database.ConnectionString);
        var clock = Stopwatch.StartNew();

        // The admin's stream on each node, from the first event: it sees every event.
        var streams = new List<EventCollector>();
        foreach (var node in cluster.Nodes)
        {
            streams.Add(await EventCollector.ConnectAsync(node.Admin(), clock));
        }

        try
        {
            // Each party is created on a different node; each writes through every node at once.
            var tokens = new Dictionary<string, string>();
            for (var p = 0; p < Parties.Length; p++)
            {
                tokens[Parties[p]] = await cluster.AddPartyAsync(Parties[p], node: p % cluster.Nodes.Count);
            }

            var acknowledged = new ConcurrentDictionary<string, (string Party, long Version)>();
            var writers = new List<Task>();
            for (var p = 0; p < Parties.Length; p++)
            {
                foreach (var node in cluster.Nodes)
                {
                    var (party, client, seed) = (Parties[p], node.Client(tokens[Parties[p]]), (p * 10) + node.Index);
                    writers.Add(Task.Run(async () =>
                    {
                        var random = new Random(seed);
                        for (var i = 0; i < 5; i++)
                        {
                            // Squares scattered over one region, so some overlap and open conflicts.
                            var created = await client.Post("v1/operations", Bodies.Operation(Bodies.Square(35 + random.NextDouble(), 36 + random.NextDouble(), halfDeg: 0.1)));
                            Assert.True(created.Status == 201, $"{party} on {node}: {created.Status} {created.Body?.ToJsonString()}");
                            var id = created.Body!["operation"]!["id"]!.GetValue<string>();
                            acknowledged[id] = (party, 1);
                            if (i % 2 == 0)
                            {
                                var moved = await client.Send(HttpMethod.Put, $"v1/operations/{id}", Bodies.Operation(Bodies.Square(35 + random.NextDouble(), 36 + random.NextDouble(), halfDeg: 0.1)), ifMatch: "\"1\"");
                                Assert.True(moved.Status == 200, $"{party} on {node}: {moved.Status} {moved.Body?.ToJsonString()}");
                                acknowledged[id] = (party, 2);
                            }
                        }
                    }));
                }
            }

            await Task.WhenAll(writers);
            Assert.Equal(Parties.Length * cluster.Nodes.Count * 5, acknowledged.Count);

            // Every node's stream reaches the record's last event; the streams are then the same,
            // event by event: ids 0, 1, 2... without a gap, the same types and the same payloads.
            var size = await cluster.SettledLastEventAsync();
            foreach (var stream in streams)
            {
                await stream.UntilIdAsync(size - 1, TimeSpan.FromSeconds(30));
            }

            var reference = streams[0].Events;
            Assert.Equal(Enumerable.Range(0, (int)size).Select(i => (long)i), reference.Select(e => e.Id));
            for (var n = 1; n < streams.Count; n++)
            {
                var other = streams[n].Events;
                Assert.Equal(reference.Select(e => e.Id), other.Select(e => e.Id));
                Assert.Equal(reference.Select(e => e.Type), other.Select(e => e.Type));
                Assert.Equal(reference.Select(e => e.Data.ToJsonString()), other.Select(e => e.Data.ToJsonString()));
            }

            // Each acknowledged version is on the streams exactly once, and the record holds it.
            var versions = reference.Where(e => e.Type == "operation")
                .Select(e => (Id: e.Data["operation"]!["id"]!.GetValue<string>(), Version: e.Data["operation"]!["version"]!.GetValue<long>()))
                .ToList();
            Assert.Equal(versions.Count, versions.Distinct().Count());
            Assert.Equal(
                acknowledged.SelectMany(a => Enumerable.Range(1, (int)a.Value.Version).Select(v => (a.Key, (long)v))).Order(),
                versions.Order());
            foreach (var (id, (party, version)) in acknowledged)
            {
                var stored = await cluster[0].Client(tokens[party]).Get($"v1/operations/{id}");
                Assert.Equal(200, stored.Status);
                Assert.Equal(version, stored.Body!["version"]!.GetValue<long>());
            }
        }
        finally
        {
            foreach (var s in streams)
            {
                await s.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Overlapping_operations_submitted_at_the_same_instant_on_two_nodes_make_exactly_one_conflict()
    {
        await using var database = await PostgresDatabase.CreateAsync();
        await using var cluster = await ClusterNodes.StartAsync(3, database.ConnectionString);
        var blueToken = await cluster.AddPartyAsync("blue", node: 0);
        var redToken = await cluster.AddPartyAsync("red", node: 1);
        var blue = cluster[0].Client(blueToken);
        var red = cluster[1].Client(redToken);
        var blueElsewhere = cluster[2].Client(blueToken);

        for (var round = 0; round < 10; round++)
        {
            // Each round in a place of its own, two degrees of latitude from the last, so rounds
            // never overlap each other. Both bodies are ready before either is sent.
            var lat = -40 + (round * 2.0);
            var blueBody = Bodies.Operation(Bodies.Square(lat, 20, halfDeg: 0.2)).ToJsonString();
            var redBody = Bodies.Operation(Bodies.Square(lat + 0.1, 20.1, halfDeg: 0.2)).ToJsonString();
            var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var blueWrite = Task.Run(async () => { await go.Task; return await blue.Post("v1/operations", blueBody); });
            var redWrite = Task.Run(async () => { await go.Task; return await red.Post("v1/operations", redBody); });
            go.SetResult();
            var (b, r) = (await blueWrite, await redWrite);
            Assert.True(b.Status == 201, $"round {round}, blue on node 0: {b.Status} {b.Body?.ToJsonString()}");
            Assert.True(r.Status == 201, $"round {round}, red on node 1: {r.Status} {r.Body?.ToJsonString()}");
            var blueId = b.Body!["operation"]!["id"]!.GetValue<string>();
            var redId = r.Body!["operation"]!["id"]!.GetValue<string>();

            // The one committed second found the first: one conflict between the two, in exactly
            // one of the answers (never neither, never one in each).
            var answered = b.Body["conflicts"]!.AsArray().Concat(r.Body["conflicts"]!.AsArray()).Select(c => c!).ToList();
            var conflict = Assert.Single(answered);
            Assert.Equal(new[] { blueId, redId }.Order(), new[] { conflict["a"]!["id"]!.GetValue<string>(), conflict["b"]!["id"]!.GetValue<string>() }.Order());
            var conflictId = conflict["id"]!.GetValue<string>();

            // Every node and both sides see that one conflict, and no other, between the two.
            foreach (var viewer in new[] { blue, red, blueElsewhere })
            {
                var all = (await viewer.Get("v1/conflicts?limit=1000")).Body!["items"]!.AsArray()
                    .Where(c => new[] { c!["a"]!["id"]!.GetValue<string>(), c["b"]!["id"]!.GetValue<string>() }.Intersect([blueId, redId]).Any())
                    .ToList();
                Assert.Equal(conflictId, Assert.Single(all)!["id"]!.GetValue<string>());
                Assert.Equal("open", all[0]!["state"]!.GetValue<string>());
            }
        }

        var total = (await blue.Get("v1/conflicts?limit=1000")).Body!["items"]!.AsArray();
        Assert.Equal(10, total.Count);
    }
}
