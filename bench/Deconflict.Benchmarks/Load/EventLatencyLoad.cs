using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Deconflict.Benchmarks.Load;

/// <summary>
/// Commit-to-delivery latency of events on a node other than the writer's: operations are
/// submitted at a fixed rate to node A only, while the same party follows its event stream on
/// node B and, for comparison, on node A. Each operation's `operation` event is matched to its
/// submission by id. The commit is taken as the moment the 201 arrived (the writer acknowledges
/// only after the commit, so this under-states the latency by the response's way back); the time
/// from the request's scheduled send is given too (which over-states it by the request's way in
/// and the write). On SQLite there is one node, so both streams are on the writer's node.
/// </summary>
public static class EventLatencyLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        var stored = SubmissionLoad.Arg(args, "--stored", 10_000);
        var rate = SubmissionLoad.Arg(args, "--rate", 100);
        var seconds = SubmissionLoad.Arg(args, "--seconds", 30);
        const string admin = "dcf_load-admin-secret-of-the-benchmarks-0123456789ab";
        await using var bench = await BenchStore.CreateAsync(args);
        var nodes = bench.IsPostgres ? 2 : 1;
        var servers = new List<Process>();
        var clients = new List<HttpClient>();
        using var stop = new CancellationTokenSource();
        try
        {
            var secret = (await bench.PrepareAsync(stored, "red"))["red"];

            for (var n = 0; n < nodes; n++)
            {
                var port = SubmissionLoad.FreePort();
                servers.Add(SubmissionLoad.StartServer(bench.ServeArguments(), port, admin, $"node {(char)('A' + n)}"));
                // No timeout: the same client holds the event streams open for the whole run.
                var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = Timeout.InfiniteTimeSpan };
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
                clients.Add(http);
            }

            for (var n = 0; n < nodes; n++)
            {
                await SubmissionLoad.WaitHealthy(clients[n], servers[n]);
            }

            var writer = clients[0];
            var reader = clients[^1];
            var clock = Stopwatch.StartNew();
            var onReader = new ConcurrentDictionary<string, double>(StringComparer.Ordinal);
            var onWriter = new ConcurrentDictionary<string, double>(StringComparer.Ordinal);
            var follows = new List<Task> { Follow(reader, clock, onReader, stop.Token) };
            if (nodes > 1)
            {
                follows.Add(Follow(writer, clock, onWriter, stop.Token));
            }

            var bodies = SubmissionLoad.Bodies((rate * seconds) + 200);

            // Warm-up: JIT, connections, the streams' first reads.
            for (var i = 0; i < 200; i++)
            {
                await Post(writer, bodies[i]);
            }

            var sent = new ConcurrentDictionary<string, (double Scheduled, double Acknowledged)>(StringComparer.Ordinal);
            long failed = 0;
            var total = rate * seconds;
            var began = clock.Elapsed;
            var posts = new List<Task>(total);
            for (var i = 0; i < total; i++)
            {
                var scheduled = began + TimeSpan.FromSeconds((double)i / rate);
                var wait = scheduled - clock.Elapsed;
                if (wait > TimeSpan.FromMilliseconds(1))
                {
                    await Task.Delay(wait);
                }

                var body = bodies[200 + i];
                posts.Add(Task.Run(async () =>
                {
                    var id = await Post(writer, body);
                    if (id is null)
                    {
                        Interlocked.Increment(ref failed);
                        return;
                    }

                    sent[id] = (scheduled.TotalMilliseconds, clock.Elapsed.TotalMilliseconds);
                }));
            }

            await Task.WhenAll(posts);
            var elapsed = clock.Elapsed - began;

            // Stragglers: a second for the last events to arrive.
            for (var i = 0; i < 100 && sent.Keys.Any(id => !onReader.ContainsKey(id) || (nodes > 1 && !onWriter.ContainsKey(id))); i++)
            {
                await Task.Delay(10);
            }

            await stop.CancelAsync();
            await Task.WhenAll(follows);

            Console.WriteLine();
            Console.WriteLine($"store                    {bench.Name}, {nodes} node{(nodes > 1 ? "s: written on A, streamed on B and on A" : ": written and streamed on it")}");
            Console.WriteLine($"mode                     open loop at {rate}/s for {seconds} s (after 200 warm-up submissions), {(bench.Template is { } t ? $"stored as in {t}" : $"{stored:N0} stored")}");
            Console.WriteLine($"submissions              {sent.Count:N0} acknowledged (201) in {elapsed.TotalSeconds:F1} s, {failed:N0} failed");
            Report(nodes > 1 ? "node B (not the writer's)" : "the writer's node", sent, onReader);
            if (nodes > 1)
            {
                Report("node A (the writer's)", sent, onWriter);
            }

            return failed == 0 && sent.Keys.All(onReader.ContainsKey) ? 0 : 1;
        }
        finally
        {
            await stop.CancelAsync();
            foreach (var server in servers.Where(s => !s.HasExited))
            {
                server.Kill(entireProcessTree: true);
                await server.WaitForExitAsync();
            }

            foreach (var http in clients)
            {
                http.Dispose();
            }
        }
    }

    private static void Report(string where, ConcurrentDictionary<string, (double Scheduled, double Acknowledged)> sent, ConcurrentDictionary<string, double> arrived)
    {
        var afterAck = new List<double>();
        var afterSend = new List<double>();
        foreach (var (id, times) in sent)
        {
            if (arrived.TryGetValue(id, out var at))
            {
                afterAck.Add(at - times.Acknowledged);
                afterSend.Add(at - times.Scheduled);
            }
        }

        static string P(List<double> v) =>
            $"p50 {SubmissionLoad.Percentile(v, 0.5),7:F2} ms, p99 {SubmissionLoad.Percentile(v, 0.99),7:F2} ms, max {SubmissionLoad.Percentile(v, 1),7:F2} ms";
        Console.WriteLine($"on {where}: {afterAck.Count:N0} of {sent.Count:N0} delivered");
        Console.WriteLine($"  after the 201          {P(afterAck)} (negative: on the stream before the 201 reached the client; {afterAck.Count(v => v < 0):N0} of them)");
        Console.WriteLine($"  after the request      {P(afterSend)}");
    }

    /// <summary>Submits one operation; its id, or null when it was not created.</summary>
    private static async Task<string?> Post(HttpClient http, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        try
        {
            using var response = await http.PostAsync("v1/operations", content);
            if (response.StatusCode != HttpStatusCode.Created)
            {
                return null;
            }

            using var doc = JsonDocument.Parse(await response.Content.ReadAsStreamAsync());
            return doc.RootElement.GetProperty("operation").GetProperty("id").GetString();
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    /// <summary>Follows the party's event stream from now on; records when each created operation's event arrived.</summary>
    private static async Task Follow(HttpClient http, Stopwatch clock, ConcurrentDictionary<string, double> arrived, CancellationToken ct)
    {
        try
        {
            using var response = await http.GetAsync("v1/events", HttpCompletionOption.ResponseHeadersRead, ct);
            response.EnsureSuccessStatusCode();
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
            string? type = null;
            while (await reader.ReadLineAsync(ct) is { } line)
            {
                if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    type = line[7..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal) && type == "operation")
                {
                    var at = clock.Elapsed.TotalMilliseconds;
                    using var doc = JsonDocument.Parse(line.AsMemory(6));
                    if (doc.RootElement.GetProperty("action").GetString() == "created")
                    {
                        arrived.TryAdd(doc.RootElement.GetProperty("operation").GetProperty("id").GetString()!, at);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
