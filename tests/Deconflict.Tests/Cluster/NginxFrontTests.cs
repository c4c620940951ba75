using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Deconflict.Tests.Infrastructure;

namespace Deconflict.Tests.Cluster;

/// <summary>
/// The repository's deploy/nginx/deconflict.conf, as written (only its four addresses moved to free
/// ports), in front of three real nodes on one PostgreSQL database and NATS, run with
/// <c>--trusted-proxy 127.0.0.1</c> as README "Several nodes" says. Everything is asserted through
/// nginx's one address: requests are spread over the three nodes (each answer of GET /healthz
/// names the node that served it, its <c>node</c>); a party's POSTs all succeed and are each
/// committed once; an event stream passes each event on as it is committed (no buffering); and
/// after a node is killed with SIGKILL every POST and GET still succeeds and the stream cut with
/// that node resumes on another with Last-Event-ID, missing nothing. That a POST and a GET did meet
/// the dead node, and were passed on, is read from nginx's error log, which records each refused
/// connection with its request and node. Its 11 s wait for the file's fail_timeout keeps the test
/// near 30 s, so it runs in the normal suite.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class NginxFrontTests
{
    /// <summary>How long an event may take from its POST's answer to a stream: generous for a loaded machine, far below a quiet stream's 15 s.</summary>
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task The_repositorys_nginx_file_spreads_requests_over_three_nodes_and_passes_on_what_a_killed_node_refuses()
    {
        await using var database = await PostgresDatabase.CreateAsync();
        await using var cluster = await ClusterNodes.StartAsync(3, database.ConnectionString, null, "--trusted-proxy", "127.0.0.1");
        using var nginx = await NginxProcess.StartAsync([.. cluster.Nodes.Select(n => n.Port)]);
        var clock = Stopwatch.StartNew();
        var streams = new List<EventCollector>();
        EventCollector? resumed = null;
        try
        {
            // 1. Spread: nginx's round robin (one worker, equal weights, every node up) sends 30
            // requests to the three nodes in turn, 10 each; /healthz names the node that answered.
            var nodeIds = new Dictionary<string, ClusterNode>();
            foreach (var node in cluster.Nodes)
            {
                nodeIds[(await node.HealthAsync())!.NodeId!] = node;
            }

            Assert.Equal(3, nodeIds.Count);
            var anonymous = nginx.Client(null);
            var served = new List<string>();
            for (var i = 0; i < 30; i++)
            {
                served.Add(await ServingNodeAsync(anonymous));
            }

            Assert.All(nodeIds.Keys, id => Assert.Equal(10, served.Count(s => s == id)));

            // The party is made through nginx too, by the admin.
            var admin = nginx.Client(ClusterNodes.AdminToken);
            var created = await admin.PostAsJsonAsync("v1/parties", new { id = "blue", name = "BLUE operations centre", role = "party" });
            Assert.True(created.IsSuccessStatusCode, $"creating the party through nginx: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
            var blue = nginx.Client(JsonNode.Parse(await created.Content.ReadAsStringAsync())!["token"]!.GetValue<string>());

            // Three admin streams through nginx, from the first event, opened one after the other
            // with nothing else in between: the round robin puts one on each node, so the kill below
            // cuts exactly one of them.
            for (var i = 0; i < 3; i++)
            {
                streams.Add(await EventCollector.ConnectAsync(nginx.Client(ClusterNodes.AdminToken), clock));
            }

            // 2. A party's POSTs through nginx (three on each node, by the round robin): each is
            // answered 201, and each stream delivers its event within a few seconds of the answer,
            // before the next POST: nothing on the way holds an event back for more to come.
            var acknowledged = new List<string>();
            for (var i = 0; i < 9; i++)
            {
                acknowledged.Add(await SubmitAsync(blue, acknowledged.Count, streams));
            }

            await AssertCommittedOnceAsync(blue, acknowledged);

            // 3. SIGKILL to a node that does not hold the lease (this test is about nginx, not the
            // handover of the background duties, which FailoverTests covers). The stream nginx had
            // on it ends; the two on the other nodes go on.
            var holder = await cluster.LeaseHolderAsync();
            var victim = cluster.Nodes.First(n => n != holder);
            victim.Kill();
            var killedId = nodeIds.Single(p => p.Value == victim).Key;
            var deadline = Stopwatch.StartNew();
            while (!streams.Any(s => s.Ended is not null) && deadline.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(20);
            }

            var cut = streams.Where(s => s.Ended is not null).ToList();
            Assert.True(cut.Count == 1, $"{cut.Count} of the three streams ended with {victim}");
            var moving = cut[0];
            var surviving = streams.Where(s => s != moving).ToList();

            // Right after the kill nginx does not know the node is dead (a stream cut by its node
            // does not count as a failure). POSTs alone, one after the other: the round robin gives
            // one of the first three to the dead node, which refuses the connection, so nginx passes
            // that POST on, unsent, and marks the node failed. Every POST is answered 201, and each
            // stream still open delivers its event.
            for (var i = 0; i < 6; i++)
            {
                acknowledged.Add(await SubmitAsync(blue, acknowledged.Count, surviving));
            }

            Assert.True(RefusedBy(nginx, victim, "POST /v1/operations"), $"no POST was refused by {victim} and passed on:\n{nginx.RecentOutput}");

            // The file leaves a failed node out for 10 s (fail_timeout), then tries it again. After
            // that, GETs alone: the first that nginx gives the dead node is refused and passed on
            // too, and every GET is answered 200, by a live node.
            await Task.Delay(TimeSpan.FromSeconds(11));
            for (var i = 0; i < 9; i++)
            {
                Assert.NotEqual(killedId, await ServingNodeAsync(anonymous));
            }

            Assert.True(RefusedBy(nginx, victim, "GET /healthz"), $"no GET was refused by {victim} and passed on:\n{nginx.RecentOutput}");
            foreach (var id in acknowledged)
            {
                var read = await blue.Get($"v1/operations/{id}");
                Assert.True(read.Status == 200, $"GET of {id} through nginx after the kill: {read.Status} {read.Body?.ToJsonString()}");
            }

            await AssertCommittedOnceAsync(blue, acknowledged);

            // The cut stream reconnects through nginx after the last event it got; a live node
            // resumes it. Up to the last POST's event it then has what a stream that never moved
            // has: every event from the first, once, in order, with the same payloads.
            var lastId = moving.Events is { Count: > 0 } got ? got[^1].Id : -1;
            resumed = await EventCollector.ConnectAsync(nginx.Client(ClusterNodes.AdminToken), clock, lastId.ToString(CultureInfo.InvariantCulture));
            await resumed.UntilAsync(r => r.Any(e => OperationId(e.Event) == acknowledged[^1]), TimeSpan.FromSeconds(30), "the last POST's event on the resumed stream");
            var reference = UpTo(surviving[0].Events, acknowledged[^1]);
            Assert.Equal(Enumerable.Range(0, reference.Count).Select(i => (long)i), reference.Select(e => e.Id));
            var whole = UpTo([.. moving.Events, .. resumed.Events], acknowledged[^1]);
            Assert.Equal(reference.Select(e => e.Id), whole.Select(e => e.Id));
            Assert.Equal(reference.Select(e => e.Data.ToJsonString()), whole.Select(e => e.Data.ToJsonString()));
            Assert.Equal(acknowledged, whole.Where(e => e.Type == "operation").Select(OperationId));
            Assert.True(moving.Events.Count > 0 && resumed.Events.Count > 0, $"the stream moved with {moving.Events.Count} events before the kill and {resumed.Events.Count} after");
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            throw new InvalidOperationException($"{e.Message}\n--- nginx\n{nginx.RecentOutput}\n{cluster.Output()}", e);
        }
        finally
        {
            foreach (var s in streams)
            {
                await s.DisposeAsync();
            }

            if (resumed is not null)
            {
                await resumed.DisposeAsync();
            }
        }
    }

    /// <summary>GET /healthz through nginx, which must answer 200; the id of the node that served it.</summary>
    private static async Task<string> ServingNodeAsync(HttpClient client)
    {
        var health = await client.Get("healthz");
        Assert.True(health.Status == 200, $"GET /healthz through nginx: {health.Status} {health.Body?.ToJsonString()}");
        return NodeHealth.Parse(health.Status, health.Body).NodeId ?? throw new InvalidOperationException("/healthz names no node: " + health.Body?.ToJsonString());
    }

    /// <summary>
    /// POSTs the party's n-th operation (a square of its own, so none conflicts with another) and
    /// waits until each stream has delivered its event within <see cref="Prompt"/>; returns its id.
    /// </summary>
    private static async Task<string> SubmitAsync(HttpClient party, int n, IEnumerable<EventCollector> streams)
    {
        var r = await party.Post("v1/operations", Bodies.Operation(Bodies.Square(30 + n, 30, halfDeg: 0.1)));
        Assert.True(r.Status == 201, $"POST of operation {n} through nginx: {r.Status} {r.Body?.ToJsonString()}");
        var id = r.Body!["operation"]!["id"]!.GetValue<string>();
        foreach (var s in streams)
        {
            await s.UntilAsync(events => events.Any(e => OperationId(e.Event) == id), Prompt, $"the event of {id}");
        }

        return id;
    }

    /// <summary>Lists the party's operations through nginx: exactly the acknowledged ones, each once.</summary>
    private static async Task AssertCommittedOnceAsync(HttpClient party, List<string> acknowledged)
    {
        var page = await party.Get("v1/operations?party=blue&limit=1000");
        Assert.True(page.Status == 200, $"listing through nginx: {page.Status} {page.Body?.ToJsonString()}");
        Assert.Null(page.Body!["next_cursor"]);
        var listed = page.Body["items"]!.AsArray().Select(o => o!["id"]!.GetValue<string>()).ToList();
        Assert.Equal(acknowledged.Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
    }

    /// <summary>
    /// Whether nginx's error log records a connection to this node refused for this request (its
    /// method and path): nginx logs each such refusal before it tries the next node.
    /// </summary>
    private static bool RefusedBy(NginxProcess nginx, ClusterNode node, string request) =>
        nginx.RecentOutput.Split('\n').Any(line =>
            line.Contains("connect() failed (111: Connection refused)", StringComparison.Ordinal)
            && line.Contains($"request: \"{request} HTTP/1.1\"", StringComparison.Ordinal)
            && line.Contains($"upstream: \"http://127.0.0.1:{node.Port}/", StringComparison.Ordinal));

    private static string? OperationId(SseEvent e) => e.Type == "operation" ? e.Data["operation"]?["id"]?.GetValue<string>() : null;

    /// <summary>The events up to and with the one of this operation.</summary>
    private static List<SseEvent> UpTo(IReadOnlyList<SseEvent> events, string operationId)
    {
        var end = events.ToList().FindIndex(e => OperationId(e) == operationId);
        Assert.True(end >= 0, $"no event of {operationId} among {events.Count}");
        return [.. events.Take(end + 1)];
    }
}
