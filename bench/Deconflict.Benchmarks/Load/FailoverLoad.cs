using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Deconflict.Benchmarks.Load;

/// <summary>
/// Failover of the background duties: several nodes on one PostgreSQL database and NATS, a steady
/// trickle of submissions spread over the live nodes (so the record grows and the lease holder has
/// heads to sign). Each trial finds the lease holder (GET /healthz `lease`), kills it with SIGKILL
/// and times until a record head signed after the kill is served (GET /v1/record/head `timestamp`
/// later than the kill, on the same clock): only another node can have signed it. The killed node
/// is then started again, so every trial starts with the same number of nodes.
/// </summary>
public static class FailoverLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        var trials = SubmissionLoad.Arg(args, "--trials", 10);
        var nodeCount = SubmissionLoad.Arg(args, "--nodes", 3);
        var rate = SubmissionLoad.Arg(args, "--rate", 20);
        var stored = SubmissionLoad.Arg(args, "--stored", 1_000);
        const string admin = "dcf_load-admin-secret-of-the-benchmarks-0123456789ab";
        if (!args.Contains("--store"))
        {
            args = [.. args, "--store", "postgres"];
        }

        await using var bench = await BenchStore.CreateAsync(args);
        if (!bench.IsPostgres || nodeCount < 2)
        {
            await Console.Error.WriteLineAsync("failover needs PostgreSQL and at least 2 nodes.");
            return 2;
        }

        // An array, not a list: the trickle reads it while a trial replaces a killed node in place.
        var nodes = new Node[nodeCount];
        var started = 0;
        using var stop = new CancellationTokenSource();
        Task? trickle = null;
        try
        {
            var secret = (await bench.PrepareAsync(stored, "red"))["red"];

            for (; started < nodeCount; started++)
            {
                nodes[started] = Node.Start(bench, secret, admin, started);
            }

            foreach (var node in nodes)
            {
                await node.WaitReady();
            }

            var bodies = SubmissionLoad.Bodies(Math.Max(1000, rate * trials * 60));
            long posted = 0, refused = 0;
            var paused = false;
            trickle = Task.Run(async () =>
            {
                var i = 0;
                while (!stop.IsCancellationRequested)
                {
                    var live = nodes.Where(n => n.Up).ToArray();
                    if (live.Length == 0 || Volatile.Read(ref paused))
                    {
                        await Task.Delay(10);
                        continue;
                    }

                    var node = live[i % live.Length];
                    var body = bodies[i++ % bodies.Length];
                    _ = Task.Run(async () =>
                    {
                        if (await Post(node.Http, body))
                        {
                            Interlocked.Increment(ref posted);
                        }
                        else
                        {
                            Interlocked.Increment(ref refused);
                        }
                    });
                    try
                    {
                        await Task.Delay(1000 / rate, stop.Token);
                    }
                    catch (OperationCanceledException)
                    {
                    }
                }
            });

            var results = new List<(double Signed, double Seen, double? Lease)>();
            for (var trial = 1; trial <= trials; trial++)
            {
                var holder = await SteadyHolder(nodes, TimeSpan.FromSeconds(60));
                if (holder is null)
                {
                    Console.WriteLine($"trial {trial}: no single lease holder with fresh heads within 60 s; stopping.");
                    break;
                }

                var killedAt = DateTimeOffset.UtcNow;
                var clock = Stopwatch.StartNew();
                holder.Kill();
                var survivors = nodes.Where(n => n.Up).ToArray();
                double? leaseSeen = null;
                (double Signed, double Seen)? found = null;
                string? newHolder = null;
                while (clock.Elapsed < TimeSpan.FromSeconds(60) && found is null)
                {
                    foreach (var node in survivors)
                    {
                        if (leaseSeen is null && await Health(node.Http) is { Lease: true })
                        {
                            leaseSeen = clock.Elapsed.TotalSeconds;
                            newHolder = node.Name;
                        }

                        if (await LatestHead(node.Http) is { } head && head > killedAt)
                        {
                            found = ((head - killedAt).TotalSeconds, clock.Elapsed.TotalSeconds);
                            break;
                        }
                    }

                    await Task.Delay(20);
                }

                if (found is not { } f)
                {
                    Console.WriteLine($"trial {trial}: killed {holder.Name}; lease seen on {newHolder ?? "no node"}{(leaseSeen is { } l ? $" after {l:F2} s" : string.Empty)}; no head signed after the kill within 60 s.");
                    results.Add((double.NaN, double.NaN, leaseSeen));
                }
                else
                {
                    Console.WriteLine($"trial {trial}: killed {holder.Name} at {killedAt:HH:mm:ss.fff}; lease seen on {newHolder ?? "?"} after {leaseSeen?.ToString("F2", CultureInfo.InvariantCulture) ?? "-"} s; " +
                        $"first head signed after the kill: signed at +{f.Signed:F2} s, served at +{f.Seen:F2} s");
                    results.Add((f.Signed, f.Seen, leaseSeen));
                }

                // Back to the full count of nodes before the next trial. The writes pause while the
                // node starts: a node started while others commit can fail its record check at
                // start (a row naming an entry past the record size the check read).
                Volatile.Write(ref paused, true);
                await Task.Delay(1000);
                var index = Array.IndexOf(nodes, holder);
                nodes[index] = Node.Start(bench, secret, admin, index, holder.Generation + 1);
                holder.Http.Dispose();
                await nodes[index].WaitReady();
                Volatile.Write(ref paused, false);
            }

            await stop.CancelAsync();
            await trickle;
            var signed = results.Select(r => r.Signed).Where(double.IsFinite).ToList();
            var seen = results.Select(r => r.Seen).Where(double.IsFinite).ToList();
            Console.WriteLine();
            Console.WriteLine($"store              {bench.Name}, {nodeCount} nodes, {rate} submissions/s spread over the live nodes ({posted:N0} created, {refused:N0} refused or failed: sent to a node as it was killed)");
            Console.WriteLine($"trials             {results.Count}, a head signed after the kill in {signed.Count}");
            Console.WriteLine($"SIGKILL to signed  min {Min(signed):F2} s, median {SubmissionLoad.Percentile(signed, 0.5):F2} s, max {Min(signed, max: true):F2} s (the head's own timestamp)");
            Console.WriteLine($"SIGKILL to served  min {Min(seen):F2} s, median {SubmissionLoad.Percentile(seen, 0.5):F2} s, max {Min(seen, max: true):F2} s (polled every 20 ms)");
            Console.WriteLine($"all seconds        {string.Join(", ", signed.Select(s => s.ToString("F2", CultureInfo.InvariantCulture)))}");
            return signed.Count == trials && signed.All(s => s < 10) ? 0 : 1;
        }
        finally
        {
            await stop.CancelAsync();
            if (trickle is not null)
            {
                await trickle;
            }

            foreach (var node in nodes.Take(started))
            {
                node.Kill();
                node.Http.Dispose();
            }
        }
    }

    private static double Min(List<double> v, bool max = false) => v.Count == 0 ? double.NaN : max ? v.Max() : v.Min();

    /// <summary>Waits until exactly one live node holds the lease and the newest head is under 3 s old; that node.</summary>
    private static async Task<Node?> SteadyHolder(Node[] nodes, TimeSpan within)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < within)
        {
            var holders = new List<Node>();
            foreach (var node in nodes.Where(n => n.Up))
            {
                if (await Health(node.Http) is { Lease: true })
                {
                    holders.Add(node);
                }
            }

            if (holders.Count == 1 && await LatestHead(holders[0].Http) is { } head && DateTimeOffset.UtcNow - head < TimeSpan.FromSeconds(3))
            {
                return holders[0];
            }

            await Task.Delay(200);
        }

        return null;
    }

    private sealed record HealthState(string? Node, bool Lease);

    private static async Task<HealthState?> Health(HttpClient http)
    {
        try
        {
            using var response = await http.GetAsync("healthz");
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStreamAsync());
            var root = doc.RootElement;
            return new HealthState(
                root.TryGetProperty("node", out var node) ? node.GetString() : null,
                root.TryGetProperty("lease", out var lease) && lease.ValueKind == JsonValueKind.True);
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or TaskCanceledException or ObjectDisposedException)
        {
            return null;
        }
    }

    /// <summary>The newest signed head's timestamp, or null when none is served.</summary>
    private static async Task<DateTimeOffset?> LatestHead(HttpClient http)
    {
        try
        {
            using var response = await http.GetAsync("v1/record/head");
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return null;
            }

            using var doc = JsonDocument.Parse(await response.Content.ReadAsStreamAsync());
            return doc.RootElement.GetProperty("timestamp").GetDateTimeOffset();
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or TaskCanceledException or ObjectDisposedException)
        {
            return null;
        }
    }

    private static async Task<bool> Post(HttpClient http, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        try
        {
            using var response = await http.PostAsync("v1/operations", content);
            return response.StatusCode == HttpStatusCode.Created;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>One server process of the cluster, on a port of its own; started again after a kill as a new generation.</summary>
    private sealed class Node
    {
        private Node(string name, Process process, HttpClient http, int generation)
        {
            Name = name;
            Process = process;
            Http = http;
            Generation = generation;
        }

        public string Name { get; }

        public Process Process { get; }

        public HttpClient Http { get; }

        public int Generation { get; }

        /// <summary>Started, warm and not killed: the trickle sends it requests.</summary>
        public bool Up => _ready && !Process.HasExited;

        private volatile bool _ready;

        public async Task WaitReady()
        {
            await SubmissionLoad.WaitHealthy(Http, Process);
            _ready = true;
        }

        public static Node Start(BenchStore bench, string secret, string admin, int index, int generation = 0)
        {
            var name = $"node {(char)('A' + index)}{(generation > 0 ? $"'{generation}" : string.Empty)}";
            var port = SubmissionLoad.FreePort();
            var process = SubmissionLoad.StartServer(bench.ServeArguments(), port, admin, name);
            var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(10) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
            return new Node(name, process, http, generation);
        }

        /// <summary>SIGKILL (Process.Kill on Linux): the process gets no chance to release anything itself.</summary>
        public void Kill()
        {
            _ready = false;
            if (!Process.HasExited)
            {
                Process.Kill();
                Process.WaitForExit();
            }
        }
    }
}
