using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Deconflict.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Deconflict.Benchmarks.Load;

/// <summary>
/// `line-load --rate R --seconds S`: blue sends line messages to red at a fixed rate (open loop,
/// latency from each message's scheduled time) from this process while red follows its event
/// stream; every message pushed to red's stream is recorded delivered by the server (a receipt
/// write and event per message). Reports the POST latencies, the time from a message's scheduled
/// send to its arrival on red's stream, and checks every message arrived and was marked delivered.
/// </summary>
public static class LineLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        var rate = SubmissionLoad.Arg(args, "--rate", 1000);
        var seconds = SubmissionLoad.Arg(args, "--seconds", 20);
        var connections = SubmissionLoad.Arg(args, "--connections", 64);
        var directory = Path.Combine(Path.GetTempPath(), "deconflict-load", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var db = Path.Combine(directory, "line.db");
        const string admin = "dcf_load-admin-secret-of-the-benchmarks-0123456789ab";
        try
        {
            var store = new SqliteStore(db);
            store.Migrate();
            var secrets = await SubmissionLoad.PartyTokensAsync(store, "blue", "red");
            var (blueSecret, redSecret) = (secrets["blue"], secrets["red"]);
            await store.DisposeAsync();
            SqliteConnection.ClearAllPools();

            var port = SubmissionLoad.FreePort();
            using var server = SubmissionLoad.StartServer(db, port, admin);
            using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = connections };
            using var blue = new HttpClient(handler) { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
            blue.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", blueSecret);
            await SubmissionLoad.WaitHealthy(blue, server);

            var total = rate * seconds;
            var warmup = Math.Min(500, total / 10);
            var scheduled = new double[warmup + total];
            var arrived = new ConcurrentDictionary<int, double>();
            var clock = Stopwatch.StartNew();
            using var streamCts = new CancellationTokenSource();
            using var red = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = Timeout.InfiniteTimeSpan };
            red.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", redSecret);
            var follower = Task.Run(() => Follow(red, clock, arrived, streamCts.Token));
            await Task.Delay(500);

            var latencies = new ConcurrentBag<double>();
            long failed = 0;
            async Task Run(int from, int count, bool measure)
            {
                var gate = new SemaphoreSlim(connections * 4);
                var start = clock.Elapsed.TotalMilliseconds;
                var tasks = new List<Task>(count);
                for (var i = 0; i < count; i++)
                {
                    var n = from + i;
                    var due = start + (i * 1000.0 / rate);
                    var wait = due - clock.Elapsed.TotalMilliseconds;
                    if (wait > 1)
                    {
                        await Task.Delay(TimeSpan.FromMilliseconds(wait));
                    }

                    await gate.WaitAsync();
                    scheduled[n] = due;
                    tasks.Add(Task.Run(async () =>
                    {
                        try
                        {
                            var body = $"{{\"to\":[\"red\"],\"subject\":\"m-{n}\",\"body\":\"Moving the tanker track 20 NM north at 0900Z; confirm.\",\"language\":\"en\",\"requires_ack\":true,\"ack_within_s\":300}}";
                            using var content = new StringContent(body, Encoding.UTF8, "application/json");
                            using var response = await blue.PostAsync("v1/line/messages", content);
                            if (response.StatusCode != System.Net.HttpStatusCode.Created)
                            {
                                Interlocked.Increment(ref failed);
                            }

                            if (measure)
                            {
                                latencies.Add(clock.Elapsed.TotalMilliseconds - due);
                            }
                        }
                        finally
                        {
                            gate.Release();
                        }
                    }));
                }

                await Task.WhenAll(tasks);
            }

            await Run(0, warmup, measure: false);
            var measured = Stopwatch.StartNew();
            await Run(warmup, total, measure: true);
            var elapsed = measured.Elapsed;

            // Wait for the stream to catch up (at most 30 s), then for the delivery receipts.
            for (var i = 0; i < 300 && arrived.Count < warmup + total; i++)
            {
                await Task.Delay(100);
            }

            await Task.Delay(1000);
            await streamCts.CancelAsync();
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
            SqliteConnection.ClearAllPools();
            var (messages, delivered) = Count(db);
            var streamLatencies = Enumerable.Range(warmup, total).Where(arrived.ContainsKey).Select(n => arrived[n] - scheduled[n]).ToList();

            Console.WriteLine();
            Console.WriteLine($"mode                   open loop at {rate}/s for {seconds} s (after {warmup} warm-up messages)");
            Console.WriteLine($"messages               {total - failed:N0} sent (201), {failed:N0} failed; throughput {(total - failed) / elapsed.TotalSeconds:N0} /s");
            Console.WriteLine($"POST latency           p50 {P(latencies, 0.5):F2} ms, p99 {P(latencies, 0.99):F2} ms, max {P(latencies, 1):F2} ms");
            Console.WriteLine($"to red's stream        {streamLatencies.Count:N0} of {total:N0} arrived; p50 {P(streamLatencies, 0.5):F2} ms, p99 {P(streamLatencies, 0.99):F2} ms, max {P(streamLatencies, 1):F2} ms");
            Console.WriteLine($"durable after kill     {messages:N0} messages, {delivered:N0} marked delivered");
            return failed == 0 && streamLatencies.Count == total ? 0 : 1;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task Follow(HttpClient red, Stopwatch clock, ConcurrentDictionary<int, double> arrived, CancellationToken ct)
    {
        try
        {
            using var response = await red.GetAsync("v1/events", HttpCompletionOption.ResponseHeadersRead, ct);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
            string? type = null;
            while (await reader.ReadLineAsync(ct) is { } line)
            {
                if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    type = line[7..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal) && type == "line-message")
                {
                    var at = clock.Elapsed.TotalMilliseconds;
                    using var doc = JsonDocument.Parse(line[6..]);
                    var subject = doc.RootElement.GetProperty("message").GetProperty("subject").GetString()!;
                    arrived.TryAdd(int.Parse(subject.AsSpan(2), System.Globalization.CultureInfo.InvariantCulture), at);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static (long Messages, long Delivered) Count(string db)
    {
        using var c = new SqliteConnection($"Data Source={db}");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*), SUM(json_extract(doc, '$.receipts.red.delivered_at') IS NOT NULL) FROM line_messages";
        using var r = cmd.ExecuteReader();
        r.Read();
        return (r.GetInt64(0), r.IsDBNull(1) ? 0 : r.GetInt64(1));
    }

    private static double P(IEnumerable<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
    }
}
