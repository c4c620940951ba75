using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using Deconflict.Api;
using Deconflict.Core.Geometry;
using Deconflict.Core.Volumes;

namespace Deconflict.Benchmarks.Load;

/// <summary>
/// Fairness across nodes (issue 18): several nodes on one PostgreSQL database with the service's
/// per-party limits (`--rate`, `--burst`: `serve --party-rate --party-burst`). Blue submits one
/// operation at a time, `--interval` ms apart, through the nodes in turn; red floods `--flood`
/// submissions a second through every node, open loop (each sent on time whether or not the earlier
/// ones were answered). Blue's latency is compared alone and under the flood, in `--rounds`
/// alternating blocks (a block alone, then a block flooded), so a change in the machine's own load
/// falls on both sides. The scenario of ClusterFairnessTests, timed here since tests never assert
/// timings.
/// </summary>
public static class FairnessLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        var nodeCount = SubmissionLoad.Arg(args, "--nodes", 3);
        var samples = SubmissionLoad.Arg(args, "--samples", 300);
        var rounds = SubmissionLoad.Arg(args, "--rounds", 4);
        var rate = SubmissionLoad.Arg(args, "--rate", 30);
        var burst = SubmissionLoad.Arg(args, "--burst", 30);
        var floodPerSecond = SubmissionLoad.Arg(args, "--flood", 5 * rate);
        var interval = TimeSpan.FromMilliseconds(SubmissionLoad.Arg(args, "--interval", 100));
        var stored = SubmissionLoad.Arg(args, "--stored", 1_000);
        const string admin = "dcf_load-admin-secret-of-the-benchmarks-0123456789ab";
        if (!args.Contains("--store"))
        {
            args = [.. args, "--store", "postgres"];
        }

        await using var bench = await BenchStore.CreateAsync(args);
        if (!bench.IsPostgres || nodeCount < 1 || rounds < 1 || samples < rounds)
        {
            await Console.Error.WriteLineAsync("fairness needs PostgreSQL, at least 1 node and at least one sample a round.");
            return 2;
        }

        var servers = new List<Process>();
        var blue = new List<HttpClient>();
        var red = new List<HttpClient>();
        try
        {
            var secrets = await bench.PrepareAsync(stored, "blue", "red");
            for (var n = 0; n < nodeCount; n++)
            {
                var port = SubmissionLoad.FreePort();
                servers.Add(SubmissionLoad.StartServer(bench.ServeArguments(), port, admin, $"node {(char)('A' + n)}", rate, burst));
                blue.Add(Client(port, secrets["blue"]));
                red.Add(Client(port, secrets["red"]));
            }

            for (var n = 0; n < nodeCount; n++)
            {
                await SubmissionLoad.WaitHealthy(blue[n], servers[n]);
            }

            // Each node's share is the party's limit over the live nodes it counts: wait until every
            // node counts them all, or a stale count would allow a larger share.
            await EveryNodeCounts(blue, nodeCount);

            // Warm every node's paths for both parties (JIT, pools); red's warm-up spends its burst,
            // which refills during blue's first block alone.
            await Blue(blue, 15, interval, seed: 1);
            await Task.WhenAll(red.Select(http => Submit(http, Body(new Random(2), red: true))));

            await using var cpu = ServerCpu.Start(servers.Select(s => s.Id), bench);

            var alone = new List<double>();
            var flooded = new List<double>();
            var blueFailed = new List<int>();
            var statuses = new ConcurrentQueue<int>();
            var floodSeconds = 0.0;
            var allowance = 0.0;
            var clock = Stopwatch.StartNew();
            for (var round = 0; round < rounds; round++)
            {
                var count = (samples / rounds) + (round < samples % rounds ? 1 : 0);
                var a = await Blue(blue, count, interval, seed: 10 + round);
                alone.AddRange(a.Latencies);
                blueFailed.AddRange(a.Failed);

                using var stop = new CancellationTokenSource();
                var flooding = Stopwatch.StartNew();
                var flood = Task.Run(() => Flood(red, floodPerSecond, statuses, 100 + round, stop.Token));
                var f = await Blue(blue, count, interval, seed: 20 + round);
                await stop.CancelAsync();
                var inFlight = await flood;
                floodSeconds += flooding.Elapsed.TotalSeconds;
                flooded.AddRange(f.Latencies);
                blueFailed.AddRange(f.Failed);

                // What the cluster's limit lets through: the rate over the flood's time, a full burst
                // (refilled during blue's block alone), and what was in flight when it stopped.
                allowance += (rate * flooding.Elapsed.TotalSeconds) + burst + inFlight;
            }

            var elapsed = clock.Elapsed;
            await cpu.StopAsync();
            var healths = await Task.WhenAll(blue.Select(LiveNodes));

            var sent = statuses.Count;
            var accepted = statuses.Count(s => s == 201);
            var refused = statuses.Count(s => s == 429);
            var other = sent - accepted - refused;
            var p99Alone = SubmissionLoad.Percentile(alone, 0.99);
            var p99Flooded = SubmissionLoad.Percentile(flooded, 0.99);
            var ratio = p99Flooded / p99Alone;
            Console.WriteLine();
            Console.WriteLine($"cluster             {nodeCount} nodes on PostgreSQL, --party-rate {rate} --party-burst {burst}; live nodes counted at the end: {string.Join(", ", healths)}");
            Console.WriteLine($"blue                {samples} submissions a side, one at a time {interval.TotalMilliseconds:F0} ms apart through the nodes in turn, {rounds} rounds alone then flooded; {blueFailed.Count} not accepted{(blueFailed.Count > 0 ? $" ({string.Join(", ", blueFailed.Distinct())})" : string.Empty)}");
            Console.WriteLine($"blue alone          p50 {SubmissionLoad.Percentile(alone, 0.5):F2} ms, p99 {p99Alone:F2} ms, max {SubmissionLoad.Percentile(alone, 1.0):F2} ms");
            Console.WriteLine($"blue flooded        p50 {SubmissionLoad.Percentile(flooded, 0.5):F2} ms, p99 {p99Flooded:F2} ms, max {SubmissionLoad.Percentile(flooded, 1.0):F2} ms");
            Console.WriteLine($"p99 ratio           {ratio:F2} (flooded / alone; target <= 2)");
            Console.WriteLine($"red flood           {floodPerSecond}/s offered over {floodSeconds:F1} s: {sent:N0} sent, {accepted:N0} accepted (201), {refused:N0} refused (429), {other:N0} other");
            Console.WriteLine($"red accepted rate   {accepted / floodSeconds:F1}/s (the cluster's limit lets through {allowance:F0} in all: {rate}/s, a burst of {burst} a round and those in flight at each stop)");
            Console.WriteLine($"server CPU          {cpu.Used:F1} s over the {elapsed.TotalSeconds:F1} s measured ({cpu.Nodes:F1} s in the nodes, {cpu.Backends:F1} s in PostgreSQL's backends)");
            var met = ratio <= 2 && blueFailed.Count == 0 && refused > 0 && other == 0 && accepted <= allowance;
            return met ? 0 : 1;
        }
        finally
        {
            foreach (var server in servers.Where(s => !s.HasExited))
            {
                server.Kill(entireProcessTree: true);
                await server.WaitForExitAsync();
            }

            foreach (var http in blue.Concat(red))
            {
                http.Dispose();
            }
        }
    }

    private static HttpClient Client(int port, string secret)
    {
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        return http;
    }

    /// <summary>Blue's submissions, one after another over the nodes in turn; their latencies in ms and the statuses of those not accepted.</summary>
    private static async Task<(List<double> Latencies, List<int> Failed)> Blue(List<HttpClient> nodes, int count, TimeSpan interval, int seed)
    {
        var random = new Random(seed);
        var latencies = new List<double>(count);
        var failed = new List<int>();
        for (var i = 0; i < count; i++)
        {
            var body = Body(random, red: false);
            var clock = Stopwatch.StartNew();
            var status = await Submit(nodes[i % nodes.Count], body);
            latencies.Add(clock.Elapsed.TotalMilliseconds);
            if (status != 201)
            {
                failed.Add(status);
            }

            await Task.Delay(interval);
        }

        return (latencies, failed);
    }

    /// <summary>
    /// Red's flood at <paramref name="perSecond"/>, through the nodes in turn, until stopped; every
    /// request sent is awaited to its answer. Returns how many were unanswered when it stopped.
    /// </summary>
    private static async Task<int> Flood(List<HttpClient> nodes, int perSecond, ConcurrentQueue<int> statuses, int seed, CancellationToken stop)
    {
        var random = new Random(seed);
        var pending = new List<Task>();
        var clock = Stopwatch.StartNew();
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            var body = Body(random, red: true);
            var node = nodes[i % nodes.Count];
            pending.Add(Task.Run(async () => statuses.Enqueue(await Submit(node, body)), CancellationToken.None));
            var next = TimeSpan.FromSeconds((double)(i + 1) / perSecond);
            if (next > clock.Elapsed)
            {
                try
                {
                    await Task.Delay(next - clock.Elapsed, stop);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }

        var unanswered = pending.Count(t => !t.IsCompleted);
        await Task.WhenAll(pending);
        return unanswered;
    }

    /// <summary>The HTTP status of one submission, or 0 when it got no answer.</summary>
    private static async Task<int> Submit(HttpClient http, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        try
        {
            using var response = await http.PostAsync("v1/operations", content);
            return (int)response.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return 0;
        }
    }

    /// <summary>
    /// A small square (about 1 km) at a random place of the party's own region, so blue and red
    /// never conflict with each other and seldom with themselves: the work measured is the limit's.
    /// </summary>
    private static byte[] Body(Random random, bool red)
    {
        var (lat, lng) = red ? (30 + (random.NextDouble() * 30), 10 + (random.NextDouble() * 30)) : (-60 + (random.NextDouble() * 30), -170 + (random.NextDouble() * 30));
        const double half = 0.005;
        GeoPoint[] corners = [new(lat - half, lng - half), new(lat - half, lng + half), new(lat + half, lng + half), new(lat + half, lng - half)];
        var outline = OutlineFactory.Polygon(corners, new GeometryLimits()).Outline!;
        var start = Scenario.Start.AddMinutes(random.Next(48 * 60));
        var volume = new Volume4D(outline, 1000, 5000, start, start.AddHours(2));
        return JsonSerializer.SerializeToUtf8Bytes(new { volumes = new[] { VolumeParser.ToF3548(volume) }, priority = 0 }, Json.Options);
    }

    /// <summary>Waits (up to 15 s: the nodes count each other every second) until every node's /healthz counts <paramref name="count"/> live nodes.</summary>
    private static async Task EveryNodeCounts(List<HttpClient> nodes, int count)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var counts = await Task.WhenAll(nodes.Select(LiveNodes));
            if (counts.All(c => c == count))
            {
                return;
            }

            if (clock.Elapsed > TimeSpan.FromSeconds(15))
            {
                throw new TimeoutException($"the nodes count {string.Join(", ", counts)} live nodes, not {count} each");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>The live nodes a node's /healthz counts (`live_nodes`), or -1 when it did not answer.</summary>
    private static async Task<int> LiveNodes(HttpClient http)
    {
        try
        {
            using var response = await http.GetAsync("healthz");
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStreamAsync());
            return doc.RootElement.TryGetProperty("live_nodes", out var n) ? n.GetInt32() : -1;
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or TaskCanceledException)
        {
            return -1;
        }
    }
}
