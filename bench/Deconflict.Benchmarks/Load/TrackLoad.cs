using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Deconflict.Core.Geometry;
using Deconflict.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Deconflict.Benchmarks.Load;

/// <summary>
/// `track-load --seconds S [--rate R] [--aircraft A] [--radius-km K] [--batch N] [--connections C]`:
/// three parties report A aircraft (100 to 300 m/s, any heading, 0 to 12 km, over a disc of radius K
/// (1,000 km) centred on 35 N 38 E, each moving
/// along its velocity) to a real server process through POST /v1/tracks, as fast as the server
/// takes them (or at R reports a second, open loop). Each report is timed now, so every one is
/// newer than the aircraft's last and is accepted. Meanwhile, once a second, blue and red put a new
/// pair head-on 12 km apart at the same level and the time from the start of red's POST to the
/// `track-alert` on blue's event stream is measured: the alert must arrive within one detection
/// cycle. Reports reports/s accepted, batch latencies, the detector's cycle under that load, and
/// the alert latencies.
/// </summary>
public static class TrackLoad
{
    private static readonly string[] Parties = ["blue", "red", "green"];

    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = SubmissionLoad.Arg(args, "--seconds", 20);
        var rate = SubmissionLoad.Arg(args, "--rate", 0);
        var aircraft = SubmissionLoad.Arg(args, "--aircraft", 10_000);
        var batch = SubmissionLoad.Arg(args, "--batch", 2000);
        var connections = SubmissionLoad.Arg(args, "--connections", 6);
        var radiusKm = SubmissionLoad.Arg(args, "--radius-km", 1000);
        var directory = Path.Combine(Path.GetTempPath(), "deconflict-load", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var db = Path.Combine(directory, "tracks.db");
        const string admin = "dcf_load-admin-secret-of-the-benchmarks-0123456789ab";
        try
        {
            var store = new SqliteStore(db);
            store.Migrate();
            var secrets = await SubmissionLoad.PartyTokensAsync(store, Parties);
            await store.DisposeAsync();
            SqliteConnection.ClearAllPools();

            var port = SubmissionLoad.FreePort();
            using var server = SubmissionLoad.StartServer(db, port, admin);
            var baseAddress = new Uri($"http://127.0.0.1:{port}/");
            using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = connections * 2 };
            var clients = Parties.ToDictionary(p => p, p => Client(handler, baseAddress, secrets[p]));
            using var adminClient = Client(handler, baseAddress, admin);
            await SubmissionLoad.WaitHealthy(adminClient, server);

            var fleet = Fleet(aircraft, radiusKm * 1000.0);
            var clock = Stopwatch.StartNew();
            using var cts = new CancellationTokenSource();
            using var blueStream = new HttpClient { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
            blueStream.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secrets["blue"]);
            var alerts = new ConcurrentDictionary<string, double>();
            var follower = Task.Run(() => FollowAlerts(blueStream, clock, alerts, cts.Token));
            await Task.Delay(500);

            Console.WriteLine($"Reporting {aircraft:N0} aircraft of 3 parties in batches of {batch:N0} over {connections} connections for {seconds} s{(rate > 0 ? $" at {rate:N0} reports/s" : " as fast as accepted")}...");
            long accepted = 0, posted = 0, failed = 0;
            var latencies = new ConcurrentBag<double>();
            var end = TimeSpan.FromSeconds(seconds);
            var next = 0L;
            var workers = Enumerable.Range(0, connections).Select(w => Task.Run(async () =>
            {
                while (clock.Elapsed < end)
                {
                    var n = Interlocked.Increment(ref next) - 1;
                    if (rate > 0)
                    {
                        var due = TimeSpan.FromSeconds(n * (double)batch / rate);
                        if (due > clock.Elapsed)
                        {
                            await Task.Delay(due - clock.Elapsed);
                        }
                    }

                    var party = (int)(n % Parties.Length);
                    var body = Body(fleet, party, n / Parties.Length, batch);
                    var started = clock.Elapsed.TotalMilliseconds;
                    using var content = new ByteArrayContent(body);
                    content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                    using var response = await clients[Parties[party]].PostAsync("v1/tracks", content);
                    var text = await response.Content.ReadAsStringAsync();
                    latencies.Add(clock.Elapsed.TotalMilliseconds - started);
                    if (response.StatusCode == System.Net.HttpStatusCode.Accepted)
                    {
                        Interlocked.Add(ref accepted, JsonNode.Parse(text)!["accepted"]!.GetValue<int>());
                        Interlocked.Add(ref posted, batch);
                    }
                    else if (Interlocked.Increment(ref failed) <= 3)
                    {
                        Console.Error.WriteLine($"batch refused: {(int)response.StatusCode} {text}");
                    }
                }
            })).ToList();

            // One encounter a second, between two aircraft no one else reports.
            var encounters = new List<(string Id, double Posted)>();
            var cycles = new List<JsonNode>();
            for (var k = 0; clock.Elapsed < end - TimeSpan.FromSeconds(1); k++)
            {
                await Task.Delay(TimeSpan.FromSeconds(1));
                var id = $"ENC-{k}";
                var now = DateTimeOffset.UtcNow;
                var at = new GeoPoint(20 + (k % 20), -170 + (k * 7 % 340));
                var blueAt = Geodesic.Direct(at, 270, 6000);
                var redAt = Geodesic.Direct(at, 90, 6000);
                var postedAt = clock.Elapsed.TotalMilliseconds;
                await Post(clients["blue"], Single(id, now, blueAt, 150));
                await Post(clients["red"], Single("R" + id, now, redAt, -150));
                encounters.Add((id, postedAt));
                var status = await adminClient.GetStringAsync("v1/alerts/status");
                cycles.Add(JsonNode.Parse(status)!);
            }

            await Task.WhenAll(workers);
            var elapsed = clock.Elapsed.TotalSeconds;
            await Task.Delay(2000);
            await cts.CancelAsync();
            await follower.ContinueWith(_ => { });

            var sortedLatencies = latencies.ToList();
            Console.WriteLine($"Posted {posted:N0} reports in {elapsed:F1} s: {posted / elapsed:N0} reports/s; accepted {accepted:N0} ({accepted / elapsed:N0}/s); refused batches {failed}.");
            Console.WriteLine($"Batch latency: p50 {SubmissionLoad.Percentile(sortedLatencies, 0.5):F1} ms, p99 {SubmissionLoad.Percentile(sortedLatencies, 0.99):F1} ms, max {sortedLatencies.DefaultIfEmpty().Max():F1} ms.");
            var durations = cycles.Select(c => c["last_cycle"]?["duration_ms"]?.GetValue<double>()).OfType<double>().ToList();
            var detections = cycles.Select(c => c["last_cycle"]?["detect_ms"]?.GetValue<double>()).OfType<double>().ToList();
            var decisions = cycles.Select(c => c["last_cycle"]?["decisions"]?.GetValue<int>()).OfType<int>().ToList();
            var predictions = cycles.Select(c => c["last_cycle"]?["predictions"]?.GetValue<int>()).OfType<int>().DefaultIfEmpty().Max();
            var tracks = cycles.Select(c => c["last_cycle"]?["tracks"]?.GetValue<int>()).OfType<int>().DefaultIfEmpty().Max();
            Console.WriteLine($"Detection cycle under this load (sampled each second): {tracks:N0} live tracks, up to {predictions:N0} predictions; detection p50 {SubmissionLoad.Percentile(detections, 0.5):F1} ms (max {detections.DefaultIfEmpty().Max():F1}); whole cycle with its commit p50 {SubmissionLoad.Percentile(durations, 0.5):F1} ms (max {durations.DefaultIfEmpty().Max():F1}), decisions per cycle p50 {SubmissionLoad.Percentile([.. decisions.Select(d => (double)d)], 0.5):F0}.");
            var delays = encounters.Select(e => alerts.TryGetValue(e.Id, out var seen) ? seen - e.Posted : double.NaN).ToList();
            var arrived = delays.Where(double.IsFinite).ToList();
            Console.WriteLine($"Alerts: {arrived.Count} of {encounters.Count} encounters reached blue's stream; from blue's POST: p50 {SubmissionLoad.Percentile(arrived, 0.5):F0} ms, p99 {SubmissionLoad.Percentile(arrived, 0.99):F0} ms, max {arrived.DefaultIfEmpty().Max():F0} ms.");
            server.Kill(entireProcessTree: true);
            return arrived.Count == encounters.Count && failed == 0 ? 0 : 1;
        }
        finally
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static HttpClient Client(HttpMessageHandler handler, Uri baseAddress, string token)
    {
        var client = new HttpClient(handler, disposeHandler: false) { BaseAddress = baseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private sealed record Aircraft(string Id, GeoPoint Start, double EastMps, double NorthMps, double AltitudeM);

    private static List<Aircraft>[] Fleet(int count, double radiusM)
    {
        var rnd = new Random(7);
        var fleet = Parties.Select(_ => new List<Aircraft>()).ToArray();
        for (var i = 0; i < count; i++)
        {
            var at = Geodesic.Direct(new GeoPoint(35, 38), rnd.NextDouble() * 360, Math.Sqrt(rnd.NextDouble()) * radiusM);
            var speed = 100 + (rnd.NextDouble() * 200);
            var heading = rnd.NextDouble() * 2 * Math.PI;
            fleet[i % Parties.Length].Add(new Aircraft($"AC{i:D6}", at, speed * Math.Sin(heading), speed * Math.Cos(heading), rnd.NextDouble() * 12_000));
        }

        return fleet;
    }

    /// <summary>The next <paramref name="size"/> aircraft of the party, round robin, each where it is now.</summary>
    private static byte[] Body(List<Aircraft>[] fleet, int party, long round, int size)
    {
        var own = fleet[party];
        var buffer = new ArrayBufferWriter<byte>(size * 200);
        using (var w = new Utf8JsonWriter(buffer))
        {
            var now = DateTimeOffset.UtcNow;
            var t = (now - new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)).TotalSeconds % 600;
            w.WriteStartObject();
            w.WriteStartArray("tracks");
            for (var i = 0; i < Math.Min(size, own.Count); i++)
            {
                var a = own[(int)((round * size) + i) % own.Count];
                // Flat-earth motion over at most 10 minutes: enough for the load, and the server
                // does not care where the aircraft is going, only that its reports are new.
                var lat = a.Start.Lat + (a.NorthMps * t / 111_320.0);
                var lng = a.Start.Lng + (a.EastMps * t / (111_320.0 * Math.Cos(a.Start.Lat * Math.PI / 180)));
                w.WriteStartObject();
                w.WriteString("id", a.Id);
                w.WriteString("time", now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture));
                w.WriteNumber("lat", Math.Clamp(lat, -89.9, 89.9));
                w.WriteNumber("lng", ((lng + 540) % 360) - 180);
                w.WriteNumber("altitude_m", a.AltitudeM);
                w.WriteStartObject("velocity");
                w.WriteNumber("east_mps", a.EastMps);
                w.WriteNumber("north_mps", a.NorthMps);
                w.WriteNumber("up_mps", 0);
                w.WriteEndObject();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static byte[] Single(string id, DateTimeOffset now, GeoPoint at, double eastMps) => JsonSerializer.SerializeToUtf8Bytes(new
    {
        tracks = new[]
        {
            new { id, time = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture), lat = at.Lat, lng = at.Lng, altitude_m = 13_000.0, velocity = new { east_mps = eastMps, north_mps = 0.0, up_mps = 0.0 } },
        },
    });

    private static async Task Post(HttpClient client, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await client.PostAsync("v1/tracks", content);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Records when each encounter's alert (named by blue's own track id) reaches blue's stream.</summary>
    private static async Task FollowAlerts(HttpClient client, Stopwatch clock, ConcurrentDictionary<string, double> seen, CancellationToken ct)
    {
        try
        {
            using var response = await client.GetAsync("v1/events", HttpCompletionOption.ResponseHeadersRead, ct);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
            string? type = null;
            while (await reader.ReadLineAsync(ct) is { } line)
            {
                if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    type = line[7..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal) && type == "track-alert")
                {
                    var alert = JsonNode.Parse(line[6..])!["alert"]!;
                    foreach (var side in new[] { alert["a"]!, alert["b"]! })
                    {
                        if (side["track_id"]?.GetValue<string>() is { } id && id.StartsWith("ENC-", StringComparison.Ordinal))
                        {
                            seen.TryAdd(id, clock.Elapsed.TotalMilliseconds);
                        }
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
