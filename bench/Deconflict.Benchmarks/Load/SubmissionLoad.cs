using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using Deconflict.Api;
using Deconflict.Benchmarks.Strategic;
using Deconflict.Core.Model;
using Deconflict.Core.Volumes;
using Deconflict.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Deconflict.Benchmarks.Load;

/// <summary>
/// Operation submissions over HTTP against the real server in its own process, on loopback only.
/// The store is seeded with N operations first; then requests are sent open-loop at a fixed rate
/// (latency counted from each request's scheduled time, so a stalled server cannot hide its queue),
/// or closed-loop with a fixed number of connections to find the ceiling. Afterwards the server is
/// killed and the database is counted: every 201 must be there.
/// </summary>
public static class SubmissionLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        var stored = Arg(args, "--stored", 100_000);
        var rate = Arg(args, "--rate", 1000);
        var seconds = Arg(args, "--seconds", 30);
        var connections = Arg(args, "--connections", 64);
        var directory = Path.Combine(Path.GetTempPath(), "deconflict-load", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var db = Path.Combine(directory, "load.db");
        const string admin = "dcf_load-admin-secret-of-the-benchmarks-0123456789ab";
        try
        {
            Console.WriteLine($"Seeding {stored:N0} operations into {db} ...");
            var seedClock = Stopwatch.StartNew();
            var store = new SqliteStore(db);
            store.Migrate();
            ConflictCheckBenchmarks.Seed(store, stored);
            var redSecret = PartyTokens(store, "red")["red"];

            await store.DisposeAsync();
            Console.WriteLine($"Seeded in {seedClock.Elapsed.TotalSeconds:F1} s.");

            var bodies = Bodies(seconds * Math.Max(rate, 2000) + 1000);
            var port = FreePort();
            using var server = StartServer(db, port, admin);
            using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionLifetime = TimeSpan.FromMinutes(10) };
            using var http = new HttpClient(handler) { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(60) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", redSecret);
            await WaitHealthy(http, server);

            // Warm-up: JIT, connection pool, caches.
            await Closed(http, bodies, 0, 500, connections, TimeSpan.FromSeconds(3));
            var result = rate > 0
                ? await Open(http, bodies, 500, rate, TimeSpan.FromSeconds(seconds), connections * 4)
                : await Closed(http, bodies, 500, bodies.Length - 500, connections, TimeSpan.FromSeconds(seconds));

            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
            SqliteConnection.ClearAllPools();
            var inDb = CountRed(db);
            var acknowledged = result.Ok + result.WarmupOk;
            Console.WriteLine();
            Console.WriteLine($"mode                {(rate > 0 ? $"open loop at {rate}/s" : $"closed loop, {connections} connections")}, {seconds} s, {stored:N0} stored");
            Console.WriteLine($"submissions         {result.Ok:N0} acknowledged (201), {result.Failed:N0} failed");
            Console.WriteLine($"throughput          {result.Ok / result.Elapsed.TotalSeconds:N0} /s");
            Console.WriteLine($"latency p50         {Percentile(result.Latencies, 0.50):F2} ms");
            Console.WriteLine($"latency p90         {Percentile(result.Latencies, 0.90):F2} ms");
            Console.WriteLine($"latency p99         {Percentile(result.Latencies, 0.99):F2} ms");
            Console.WriteLine($"latency max         {Percentile(result.Latencies, 1.0):F2} ms");
            Console.WriteLine($"durable after kill  {inDb:N0} of {acknowledged:N0} acknowledged operations in the database");
            return inDb >= acknowledged && result.Failed == 0 ? 0 : 1;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    private sealed record Result(long Ok, long Failed, TimeSpan Elapsed, List<double> Latencies, long WarmupOk = 0);

    private static long _warmupOk;

    private static async Task<Result> Open(HttpClient http, byte[][] bodies, int offset, int rate, TimeSpan duration, int maxOutstanding)
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

    private static async Task<Result> Closed(HttpClient http, byte[][] bodies, int offset, int count, int connections, TimeSpan duration)
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
                var success = await Submit(http, bodies[offset + i]);
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

    private static byte[][] Bodies(int n)
    {
        var scenario = new Scenario(seed: 42);
        return [.. Enumerable.Range(0, n).Select(_ => JsonSerializer.SerializeToUtf8Bytes(
            new { volumes = scenario.Volumes().Select(VolumeParser.ToF3548).ToArray(), priority = 0 }, Json.Options))];
    }

    /// <summary>Creates the parties that do not exist yet and a token for each; returns the tokens' secrets by party.</summary>
    internal static Dictionary<string, string> PartyTokens(SqliteStore store, params string[] parties)
    {
        var secrets = new Dictionary<string, string>(StringComparer.Ordinal);
        using var s = store.OpenWriteSession();
        s.Begin();
        foreach (var party in parties)
        {
            if (s.GetParty(party) is null)
            {
                s.InsertParty(new Party(party, party.ToUpperInvariant(), PartyRole.Party, DateTimeOffset.UtcNow));
            }

            secrets[party] = Tokens.New(DateTimeOffset.UtcNow).Secret;
            s.InsertToken(new AccessToken($"tk-load-{party}", party, Tokens.Hash(secrets[party]), DateTimeOffset.UtcNow, null));
        }

        s.Commit();
        return secrets;
    }

    internal static Process StartServer(string db, int port, string admin)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "deconflict.dll");
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        // A benchmark measures throughput, not the per-party quotas: one party makes every request
        // and holds every declaration.
        foreach (var a in new[] { "exec", dll, "serve", "--db", db, "--urls", $"http://127.0.0.1:{port}", "--max-live-declarations", "100000000", "--party-rate", "1000000", "--party-burst", "1000000", "--max-streams", "10000" })
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
                Console.Error.WriteLine("server: " + e.Data);
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

    private static long CountRed(string db)
    {
        using var c = new SqliteConnection($"Data Source={db}");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM declarations WHERE party = 'red'";
        return (long)cmd.ExecuteScalar()!;
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
