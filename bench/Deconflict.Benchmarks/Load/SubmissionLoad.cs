using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using Deconflict.Api;
using Deconflict.Core.Model;
using Deconflict.Core.Volumes;
using Deconflict.Service;
using Deconflict.Storage;

namespace Deconflict.Benchmarks.Load;

/// <summary>
/// Operation submissions over HTTP against real servers in their own processes, on loopback only:
/// one node on SQLite (the default), or one or more nodes on one PostgreSQL database
/// (`--store postgres --nodes N`), requests spread over the nodes in turn. The store is seeded with
/// N operations first; then requests are sent open-loop at a fixed rate (latency counted from each
/// request's scheduled time, so a stalled server cannot hide its queue), or closed-loop with a fixed
/// number of connections to find the ceiling. The servers' CPU time over the run is divided by the
/// acknowledged submissions. Afterwards the servers are killed and the database is counted: every
/// 201 must be there.
/// </summary>
public static class SubmissionLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        var stored = Arg(args, "--stored", 100_000);
        var rate = Arg(args, "--rate", 1000);
        var seconds = Arg(args, "--seconds", 30);
        var connections = Arg(args, "--connections", 64);
        var nodes = Arg(args, "--nodes", 1);
        const string admin = "dcf_load-admin-secret-of-the-benchmarks-0123456789ab";
        await using var bench = await BenchStore.CreateAsync(args);
        if (nodes < 1 || (nodes > 1 && !bench.IsPostgres))
        {
            await Console.Error.WriteLineAsync("--nodes above 1 needs --store postgres (one SQLite file has one server).");
            return 2;
        }

        var servers = new List<Process>();
        try
        {
            var redSecret = (await bench.PrepareAsync(stored, "red"))["red"];

            var bodies = Bodies(seconds * Math.Max(rate, 2000) + 1000);
            var clients = new List<HttpClient>();
            for (var n = 0; n < nodes; n++)
            {
                var port = FreePort();
                servers.Add(StartServer(bench.ServeArguments(), port, admin, nodes > 1 ? $"node {n + 1}" : "server"));
                // The connections are shared out over the nodes, as a balancer in front of them would.
                var handler = new SocketsHttpHandler { MaxConnectionsPerServer = Math.Max(1, connections / nodes), PooledConnectionLifetime = TimeSpan.FromMinutes(10) };
                var http = new HttpClient(handler, disposeHandler: true) { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(60) };
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", redSecret);
                clients.Add(http);
            }

            for (var n = 0; n < nodes; n++)
            {
                await WaitHealthy(clients[n], servers[n]);
            }

            // Warm-up: JIT, connection pool, caches.
            var all = clients.ToArray();
            await Closed(all, bodies, 0, 500, connections, TimeSpan.FromSeconds(3));

            // The servers' CPU over the measured run alone: the node processes, and on PostgreSQL
            // the database's backends serving them (sampled, as a pool may open and close them).
            await using var cpu = ServerCpu.Start(servers.Select(s => s.Id), bench);
            var result = rate > 0
                ? await Open(all, bodies, 500, rate, TimeSpan.FromSeconds(seconds), connections * 4)
                : await Closed(all, bodies, 500, bodies.Length - 500, connections, TimeSpan.FromSeconds(seconds));
            await cpu.StopAsync();

            foreach (var server in servers)
            {
                server.Kill(entireProcessTree: true);
                await server.WaitForExitAsync();
            }

            foreach (var http in clients)
            {
                http.Dispose();
            }

            var inDb = bench.CountOperations("red");
            var acknowledged = result.Ok + result.WarmupOk;
            var serverCpu = cpu.Used;
            Console.WriteLine();
            Console.WriteLine($"store               {bench.Name}, {nodes} node{(nodes > 1 ? "s, requests spread over all" : string.Empty)}");
            Console.WriteLine($"mode                {(rate > 0 ? $"open loop at {rate}/s" : $"closed loop, {connections} connections")}, {seconds} s, {(bench.Template is { } t ? $"stored as in {t}" : $"{stored:N0} stored")}");
            Console.WriteLine($"submissions         {result.Ok:N0} acknowledged (201), {result.Failed:N0} failed");
            Console.WriteLine($"throughput          {result.Ok / result.Elapsed.TotalSeconds:N0} /s");
            Console.WriteLine($"latency p50         {Percentile(result.Latencies, 0.50):F2} ms");
            Console.WriteLine($"latency p90         {Percentile(result.Latencies, 0.90):F2} ms");
            Console.WriteLine($"latency p99         {Percentile(result.Latencies, 0.99):F2} ms");
            Console.WriteLine($"latency max         {Percentile(result.Latencies, 1.0):F2} ms");
            Console.WriteLine($"server CPU          {serverCpu:F1} s over the run: {serverCpu * 1000 / Math.Max(1, result.Ok):F3} ms per durable submission" +
                (bench.IsPostgres ? $" ({cpu.Nodes * 1000 / Math.Max(1, result.Ok):F3} ms in the nodes, {cpu.Backends * 1000 / Math.Max(1, result.Ok):F3} ms in PostgreSQL's backends)" : string.Empty));
            Console.WriteLine($"durable after kill  {inDb:N0} of {acknowledged:N0} acknowledged operations in the database");
            return inDb >= acknowledged && result.Failed == 0 ? 0 : 1;
        }
        finally
        {
            foreach (var server in servers.Where(s => !s.HasExited))
            {
                server.Kill(entireProcessTree: true);
                await server.WaitForExitAsync();
            }
        }
    }

    private sealed record Result(long Ok, long Failed, TimeSpan Elapsed, List<double> Latencies, long WarmupOk = 0);

    private static long _warmupOk;

    private static async Task<Result> Open(HttpClient[] nodes, byte[][] bodies, int offset, int rate, TimeSpan duration, int maxOutstanding)
    {
        var latencies = new List<double>();
        var worst = new SortedDictionary<int, double>();
        long ok = 0, failed = 0;
        var total = (int)(rate * duration.TotalSeconds);
        var gate = new SemaphoreSlim(maxOutstanding);
        var began = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var tasks = new List<Task>(total);
        for (var i = 0; i < total; i++)
        {
            var scheduled = TimeSpan.FromSeconds((double)i / rate);
            var wait = scheduled - clock.Elapsed;
            if (wait > TimeSpan.FromMilliseconds(1))
            {
                await Task.Delay(wait);
            }

            await gate.WaitAsync();
            var body = bodies[offset + i];
            var http = nodes[i % nodes.Length];
            tasks.Add(Task.Run(async () =>
            {
                try
                {
                    var success = await Submit(http, body);
                    var latency = (clock.Elapsed - scheduled).TotalMilliseconds;
                    lock (latencies)
                    {
                        latencies.Add(latency);
                        var second = (int)scheduled.TotalSeconds;
                        worst[second] = Math.Max(worst.GetValueOrDefault(second), latency);
                        if (success)
                        {
                            ok++;
                        }
                        else
                        {
                            failed++;
                        }
                    }
                }
                finally
                {
                    gate.Release();
                }
            }));
        }

        await Task.WhenAll(tasks);
        // The wall time lets a stall be matched with traces taken outside this process.
        Console.WriteLine($"schedule began at {began:HH:mm:ss.fff} UTC");
        Console.WriteLine("worst latency by second of schedule (ms): " + string.Join(" ", worst.Select(kv => $"{kv.Key}:{kv.Value:F0}")));
        return new Result(ok, failed, clock.Elapsed, latencies, Interlocked.Read(ref _warmupOk));
    }

    private static async Task<Result> Closed(HttpClient[] nodes, byte[][] bodies, int offset, int count, int connections, TimeSpan duration)
    {
        var latencies = new List<double>();
        long ok = 0, failed = 0;
        var next = -1;
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, connections).Select(_ => Task.Run(async () =>
        {
            while (clock.Elapsed < duration)
            {
                var i = Interlocked.Increment(ref next);
                if (i >= count)
                {
                    return;
                }

                var start = clock.Elapsed;
                var success = await Submit(nodes[i % nodes.Length], bodies[offset + i]);
                var latency = (clock.Elapsed - start).TotalMilliseconds;
                lock (latencies)
                {
                    latencies.Add(latency);
                    if (success)
                    {
                        ok++;
                    }
                    else
                    {
                        failed++;
                    }
                }
            }
        })).ToArray();
        await Task.WhenAll(workers);
        if (offset == 0)
        {
            Interlocked.Add(ref _warmupOk, ok);
            return new Result(ok, failed, clock.Elapsed, latencies);
        }

        return new Result(ok, failed, clock.Elapsed, latencies, Interlocked.Read(ref _warmupOk));
    }

    private static async Task<bool> Submit(HttpClient http, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        try
        {
            using var response = await http.PostAsync("v1/operations", content);
            return response.StatusCode == HttpStatusCode.Created;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    internal static byte[][] Bodies(int n)
    {
        var scenario = new Scenario(seed: 42);
        return [.. Enumerable.Range(0, n).Select(_ => JsonSerializer.SerializeToUtf8Bytes(
            new { volumes = scenario.Volumes().Select(VolumeParser.ToF3548).ToArray(), priority = 0 }, Json.Options))];
    }

    /// <summary>Creates the parties that do not exist yet and a token for each; returns the tokens' secrets by party.</summary>
    internal static async Task<Dictionary<string, string>> PartyTokensAsync(IDeconflictStore store, params string[] parties)
    {
        var secrets = new Dictionary<string, string>(StringComparer.Ordinal);
        // Whole milliseconds, as the server's clock gives them: the rows keep no finer time than
        // their entries state.
        var now = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        await using var s = store.OpenWriteSession();
        var log = new RecordLog();
        await s.BeginAsync();
        await log.BeginAsync(s.Record);
        foreach (var party in parties)
        {
            // Each row is followed by the entry it names, as the server writes them.
            if (await s.Parties.GetAsync(party) is null)
            {
                var created = new Party(party, party.ToUpperInvariant(), PartyRole.Party, now);
                await s.Parties.InsertAsync(created);
                await log.AppendAsync(s.Record, Record.RecordSeed.PartyEvent(created), created.CreatedAt);
            }

            secrets[party] = Tokens.New(now).Secret;
            var token = new AccessToken($"tk-load-{party}", party, Tokens.Hash(secrets[party]), now, null);
            await s.Parties.InsertTokenAsync(token);
            await log.AppendAsync(s.Record, Record.RecordSeed.TokenEvent(token), token.CreatedAt);
        }

        await s.CommitAsync();
        return secrets;
    }

    internal static Process StartServer(string db, int port, string admin) => StartServer(["--db", db], port, admin, "server");

    /// <summary>
    /// Starts `deconflict serve` on the store the arguments name; its log lines go to stderr, prefixed
    /// with <paramref name="name"/>. The per-party rate and burst are unbounded unless given (the
    /// fairness load sets the service's own).
    /// </summary>
    internal static Process StartServer(IEnumerable<string> store, int port, string admin, string name, int partyRate = 1_000_000, int partyBurst = 1_000_000)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "deconflict.dll");
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        // A benchmark measures throughput, not the per-party quotas: one party makes every request
        // and holds every declaration.
        foreach (var a in new[] { "exec", dll, "serve" }.Concat(store).Concat(["--urls", $"http://127.0.0.1:{port}", "--max-live-declarations", "100000000", "--party-rate", partyRate.ToString(CultureInfo.InvariantCulture), "--party-burst", partyBurst.ToString(CultureInfo.InvariantCulture), "--max-streams", "10000"]))
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["DECONFLICT_ADMIN_TOKEN"] = admin;
        var p = Process.Start(info)!;
        p.OutputDataReceived += (_, e) => { };
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Console.Error.WriteLine($"{name}: {e.Data}");
            }
        };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    internal static async Task WaitHealthy(HttpClient http, Process server)
    {
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 1200; i++)
        {
            if (server.HasExited)
            {
                throw new InvalidOperationException("the server exited");
            }

            try
            {
                var health = await http.GetAsync("healthz");
                if (health.IsSuccessStatusCode && (await health.Content.ReadAsStringAsync()).Contains("\"warm\":true", StringComparison.Ordinal))
                {
                    Console.WriteLine($"Server ready and warm after {clock.Elapsed.TotalSeconds:F1} s.");
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("server not healthy");
    }

    internal static double Percentile(List<double> values, double p)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToArray();
        var index = (int)Math.Ceiling(p * sorted.Length) - 1;
        return sorted[Math.Clamp(index, 0, sorted.Length - 1)];
    }

    internal static int Arg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    internal static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

}
