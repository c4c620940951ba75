using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Deconflict.Api;
using Deconflict.Core.Geometry;
using Deconflict.Core.Volumes;
using Microsoft.Data.Sqlite;
using Microsoft.Playwright;

namespace Deconflict.Benchmarks.Load;

/// <summary>
/// `console [--minutes 10] [--pan-seconds 20] [--loads 5] [--operations 1000] [--zones 50]
/// [--tracks 500] [--width 1366] [--height 768] [--chromium /usr/bin/chromium]`: the duty officer's
/// console in headless chromium against a real `deconflict serve` process with its own SQLite file,
/// holding O operations and Z zones of three parties (all active now, over a 2,000 km region around
/// Syria) while T tracks of the three parties are reported through POST /v1/tracks every second.
/// Measures, signed in as blue:
/// <list type="bullet">
/// <item>the first complete render: from navigation start to <c>body[data-ready=true]</c>, to the
/// first frame painted after it, and to the map's <c>performance.mark('map-drawn')</c> when the map
/// sets one (each of L loads in a fresh browser context, after one load to warm the server);</item>
/// <item>frame times while the tool pans (mouse drags, arrow keys) and zooms (wheel, +/-) the map
/// for P seconds: requestAnimationFrame deltas in the page;</item>
/// <item>the JavaScript heap (CDP Performance.getMetrics JSHeapUsedSize, after
/// HeapProfiler.collectGarbage) every 30 s over M minutes of updates.</item>
/// </list>
/// Targets (issue 17): first render under 1.5 s, p95 frame under 33 ms, heap flat. Exits 0 when
/// every target is met.
/// </summary>
public static class ConsoleLoad
{
    private static readonly string[] Parties = ["blue", "red", "green"];
    private static readonly string[] Rules = ["exclusive", "protected", "advisory"];

    // Measures in the page without touching its code: installed before any of its scripts run
    // (CDP, so the console's CSP does not apply). `ready` is when body[data-ready] turned true;
    // `frame` is after the first frame painted after that (a task queued from that frame's
    // requestAnimationFrame runs once it is painted).
    private const string Probe = """
        (() => {
          const observer = new MutationObserver(() => {
            if (document.body?.dataset.ready === 'true' && !window.__bench) {
              window.__bench = { ready: performance.now() };
              observer.disconnect();
              requestAnimationFrame(() => setTimeout(() => { window.__bench.frame = performance.now(); }));
            }
          });
          observer.observe(document, { subtree: true, attributes: true, attributeFilter: ['data-ready'] });
        })();
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        var minutes = SubmissionLoad.Arg(args, "--minutes", 10);
        var panSeconds = SubmissionLoad.Arg(args, "--pan-seconds", 20);
        var loads = SubmissionLoad.Arg(args, "--loads", 5);
        var operations = SubmissionLoad.Arg(args, "--operations", 1000);
        var zones = SubmissionLoad.Arg(args, "--zones", 50);
        var trackCount = SubmissionLoad.Arg(args, "--tracks", 500);
        var width = SubmissionLoad.Arg(args, "--width", 1366);
        var height = SubmissionLoad.Arg(args, "--height", 768);
        var chromiumAt = Array.IndexOf(args, "--chromium") is var c and >= 0 && c + 1 < args.Length ? args[c + 1] : "/usr/bin/chromium";

        var directory = Path.Combine(Path.GetTempPath(), "deconflict-load", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var db = Path.Combine(directory, "console.db");
        var admin = "dcf_console-bench-admin-" + Guid.NewGuid().ToString("N");
        Process? server = null;
        try
        {
            var port = SubmissionLoad.FreePort();
            server = SubmissionLoad.StartServer(db, port, admin);
            var baseAddress = new Uri($"http://127.0.0.1:{port}/");
            using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 8 };
            using var adminClient = Client(handler, baseAddress, admin);
            await SubmissionLoad.WaitHealthy(adminClient, server);

            // The parties through the API, as a host creates them (each in the record).
            var secrets = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var party in Parties)
            {
                using var response = await adminClient.PostAsJsonAsync("v1/parties", new { id = party, name = party.ToUpperInvariant() + " operations centre" });
                using var created = JsonDocument.Parse(await response.EnsureSuccessStatusCode().Content.ReadAsStringAsync());
                secrets[party] = created.RootElement.GetProperty("token").GetString()!;
            }

            var clients = Parties.ToDictionary(p => p, p => Client(handler, baseAddress, secrets[p]), StringComparer.Ordinal);

            var seeding = Stopwatch.StartNew();
            var (declared, conflicts) = await SeedAsync(clients, operations, zones);
            Console.WriteLine($"Seeded {declared[0]:N0} operations and {declared[1]:N0} zones of {Parties.Length} parties ({conflicts:N0} conflicts opened) in {seeding.Elapsed.TotalSeconds:F1} s.");

            using var stop = new CancellationTokenSource();
            var reporter = new TrackReporter(clients, trackCount);
            var reporting = reporter.RunAsync(stop.Token);
            await Task.Delay(TimeSpan.FromSeconds(3));
            Console.WriteLine($"Reporting {trackCount:N0} tracks of {Parties.Length} parties every second.");

            using var playwright = await Playwright.CreateAsync();
            await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = chromiumAt, Headless = true, Args = ["--no-sandbox"] });
            var link = new Uri(baseAddress, "/") + "#token=" + Uri.EscapeDataString(secrets["blue"]);

            // First render: one load to warm the server's paths, then each load in a fresh context (empty cache).
            var renders = new List<Render>();
            IPage? page = null;
            for (var i = 0; i <= loads; i++)
            {
                if (page is not null)
                {
                    await page.Context.CloseAsync();
                }

                page = await OpenAsync(browser, link, width, height);
                var render = await MeasureRenderAsync(page);
                if (i > 0)
                {
                    renders.Add(render);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Load {i}: data-ready {render.Ready:F0} ms, first frame after it {render.Frame:F0} ms, map drawn {(render.MapDrawn is { } m ? $"{m:F0} ms" : "(no map-drawn mark)")}."));
                }
            }

            var complete = renders.Select(r => Math.Max(r.Frame, r.MapDrawn ?? 0)).ToList();
            var renderMedian = SubmissionLoad.Percentile(complete, 0.5);
            var renderMax = complete.Max();

            // Frame times while panning and zooming.
            var frames = await MeasurePanAndZoomAsync(page!, TimeSpan.FromSeconds(panSeconds));
            var p95 = SubmissionLoad.Percentile(frames, 0.95);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Panning and zooming for {panSeconds} s: {frames.Count:N0} frames, p50 {SubmissionLoad.Percentile(frames, 0.5):F1} ms, p95 {p95:F1} ms, p99 {SubmissionLoad.Percentile(frames, 0.99):F1} ms, max {frames.DefaultIfEmpty().Max():F1} ms."));

            // The heap over the updates, after a collection each time.
            var cdp = await page!.Context.NewCDPSessionAsync(page);
            await cdp.SendAsync("Performance.enable");
            var samples = new List<(double Minute, double Mb)>();
            var clock = Stopwatch.StartNew();
            for (var at = 0; at <= minutes * 60; at += 30)
            {
                var due = TimeSpan.FromSeconds(at) - clock.Elapsed;
                if (due > TimeSpan.Zero)
                {
                    await Task.Delay(due);
                }

                await cdp.SendAsync("HeapProfiler.collectGarbage");
                var metrics = await cdp.SendAsync("Performance.getMetrics");
                var used = metrics!.Value.GetProperty("metrics").EnumerateArray().First(m => m.GetProperty("name").GetString() == "JSHeapUsedSize").GetProperty("value").GetDouble();
                samples.Add((clock.Elapsed.TotalMinutes, used / 1_048_576));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Heap at {clock.Elapsed.TotalMinutes:F1} min: {used / 1_048_576:F2} MB used; {reporter.Accepted:N0} track reports accepted so far."));
            }

            var (slope, _) = Fit(samples);
            var mean = samples.Average(s => s.Mb);
            var growth = slope * samples[^1].Minute;
            var flat = Math.Abs(growth) < 0.05 * mean;
            await stop.CancelAsync();
            await reporting;

            Console.WriteLine();
            Console.WriteLine($"console, {operations:N0} operations, {zones:N0} zones, {trackCount:N0} tracks updated every second, {width}x{height}, headless chromium {browser.Version}");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"first complete render   median {renderMedian:F0} ms, max {renderMax:F0} ms of {renders.Count} loads (target < 1500 ms): {(renderMax < 1500 ? "met" : "NOT met")}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"frame time p95          {p95:F1} ms over {frames.Count:N0} frames (target < 33 ms): {(p95 < 33 ? "met" : "NOT met")}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"JS heap after GC        {samples[0].Mb:F2} MB at start, {samples[^1].Mb:F2} MB after {samples[^1].Minute:F1} min, fitted trend {Signed(slope * 1024, "0")} KB/min ({Signed(growth, "0.00")} MB over the run, {Signed(100 * growth / mean, "0.0")}% of the mean; flat = under 5%): {(flat ? "met" : "NOT met")}"));
            Console.WriteLine($"track reports           {reporter.Accepted:N0} accepted, {reporter.Refused:N0} batches refused");
            return renderMax < 1500 && p95 < 33 && flat && reporter.Refused == 0 ? 0 : 1;
        }
        finally
        {
            server?.Kill(entireProcessTree: true);
            server?.Dispose();
            SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private sealed record Render(double Ready, double Frame, double? MapDrawn);

    private static async Task<IPage> OpenAsync(IBrowser browser, string link, int width, int height)
    {
        var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = width, Height = height } });
        await context.AddInitScriptAsync(Probe);
        var page = await context.NewPageAsync();
        await page.GotoAsync(link);
        return page;
    }

    private static async Task<Render> MeasureRenderAsync(IPage page)
    {
        await page.WaitForFunctionAsync("() => window.__bench?.frame !== undefined", null, new() { Timeout = 60_000 });
        // The map marks when it has drawn the declarations; give it a few seconds after ready.
        double? drawn = null;
        for (var i = 0; i < 50 && drawn is null; i++)
        {
            drawn = await page.EvaluateAsync<double?>("() => performance.getEntriesByName('map-drawn', 'mark')[0]?.startTime ?? null");
            if (drawn is null)
            {
                await Task.Delay(100);
            }
        }

        return new Render(await page.EvaluateAsync<double>("() => window.__bench.ready"), await page.EvaluateAsync<double>("() => window.__bench.frame"), drawn);
    }

    /// <summary>Drags, wheels and keys the map around for <paramref name="duration"/>; the page's frame deltas meanwhile.</summary>
    private static async Task<List<double>> MeasurePanAndZoomAsync(IPage page, TimeSpan duration)
    {
        var map = await page.Locator("#map").BoundingBoxAsync() ?? throw new InvalidOperationException("The console has no #map.");
        var (cx, cy) = (map.X + (map.Width / 2), map.Y + (map.Height / 2));
        await page.EvaluateAsync("""
            () => {
              window.__frames = [];
              window.__recording = true;
              let last;
              const tick = (t) => {
                if (last !== undefined) window.__frames.push(t - last);
                last = t;
                if (window.__recording) requestAnimationFrame(tick);
              };
              requestAnimationFrame(tick);
            }
            """);
        var clock = Stopwatch.StartNew();
        for (var round = 0; clock.Elapsed < duration; round++)
        {
            var dx = round % 2 == 0 ? 1 : -1;
            // A drag across a third of the map, in small steps as a hand moves it.
            await page.Mouse.MoveAsync((float)cx, (float)cy);
            await page.Mouse.DownAsync();
            await page.Mouse.MoveAsync((float)(cx + (dx * map.Width / 3)), (float)(cy + (dx * map.Height / 6)), new() { Steps = 30 });
            await page.Mouse.UpAsync();
            // Zoom in and out with the wheel, at the cursor.
            for (var i = 0; i < 3; i++)
            {
                await page.Mouse.WheelAsync(0, -120);
                await Task.Delay(120);
            }

            for (var i = 0; i < 3; i++)
            {
                await page.Mouse.WheelAsync(0, 120);
                await Task.Delay(120);
            }

            // And with the keyboard, the map focused (Leaflet's arrows pan, +/- zoom).
            await page.Locator("#map").FocusAsync();
            foreach (var key in new[] { "ArrowLeft", "ArrowUp", "ArrowRight", "ArrowDown", "Equal", "Minus" })
            {
                await page.Keyboard.PressAsync(key);
                await Task.Delay(60);
            }
        }

        return [.. await page.EvaluateAsync<double[]>("() => { window.__recording = false; return window.__frames; }")];
    }

    /// <summary>O operations (details with a name, all active now) and Z zones, round robin over the parties.</summary>
    private static async Task<(int[] Declared, int Conflicts)> SeedAsync(Dictionary<string, HttpClient> clients, int operations, int zones)
    {
        var scenario = new Scenario(seed: 17);
        var rnd = new Random(17);
        var now = DateTimeOffset.UtcNow;
        var declared = new int[2];
        var conflicts = 0;
        for (var i = 0; i < operations + zones; i++)
        {
            var zone = i >= operations;
            // Active from up to 3 h ago until 2 to 10 h from now: the whole run sees every one.
            var start = now.AddMinutes(-Math.Floor(rnd.NextDouble() * 180));
            var end = now.AddMinutes(120 + Math.Floor(rnd.NextDouble() * 480));
            var volumes = scenario.Volumes().Select(v => VolumeParser.ToF3548(v with { TimeStart = start, TimeEnd = end })).ToArray();
            object body = zone
                ? new { volumes, rule = Rules[i % Rules.Length], name = $"ZONE {i - operations + 1:D2}" }
                : new { volumes, priority = 0, details = new { name = $"OP {i + 1:D4}" } };
            var party = Parties[i % Parties.Length];
            using var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body, Json.Options));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await clients[party].PostAsync(zone ? "v1/zones" : "v1/operations", content);
            var text = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"Seeding refused: {(int)response.StatusCode} {text}");
            }

            declared[zone ? 1 : 0]++;
            using var json = JsonDocument.Parse(text);
            conflicts += json.RootElement.TryGetProperty("conflicts", out var opened) ? opened.GetArrayLength() : 0;
        }

        return (declared, conflicts);
    }

    private static string Signed(double value, string format)
    {
        var text = Math.Abs(value).ToString(format, CultureInfo.InvariantCulture);
        return text.Trim('0', '.').Length == 0 ? text : (value < 0 ? "-" : "+") + text;
    }

    /// <summary>Least squares: MB per minute and the intercept.</summary>
    private static (double Slope, double Intercept) Fit(List<(double X, double Y)> points)
    {
        var mx = points.Average(p => p.X);
        var my = points.Average(p => p.Y);
        var sxx = points.Sum(p => (p.X - mx) * (p.X - mx));
        var slope = sxx == 0 ? 0 : points.Sum(p => (p.X - mx) * (p.Y - my)) / sxx;
        return (slope, my - (slope * mx));
    }

    private static HttpClient Client(HttpMessageHandler handler, Uri baseAddress, string token)
    {
        var client = new HttpClient(handler, disposeHandler: false) { BaseAddress = baseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>
    /// The tracks: each party reports its share of them once a second, each aircraft where it is now
    /// (100 to 300 m/s on a fixed heading, 0 to 12 km up, starting within 600 km of 35 N 38.5 E).
    /// </summary>
    private sealed class TrackReporter(Dictionary<string, HttpClient> clients, int count)
    {
        private readonly List<(string Party, string Id, GeoPoint Start, double East, double North, double Altitude)> _aircraft = Fleet(count);
        private long _accepted;
        private long _refused;

        public long Accepted => Interlocked.Read(ref _accepted);

        public long Refused => Interlocked.Read(ref _refused);

        public async Task RunAsync(CancellationToken ct)
        {
            var started = DateTimeOffset.UtcNow;
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
            try
            {
                do
                {
                    var now = DateTimeOffset.UtcNow;
                    await Task.WhenAll(Parties.Select(p => PostAsync(p, now, (now - started).TotalSeconds, ct)));
                }
                while (await timer.WaitForNextTickAsync(ct));
            }
            catch (OperationCanceledException)
            {
            }
        }

        private async Task PostAsync(string party, DateTimeOffset now, double t, CancellationToken ct)
        {
            var buffer = new ArrayBufferWriter<byte>(count * 100);
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                w.WriteStartArray("tracks");
                foreach (var a in _aircraft.Where(a => a.Party == party))
                {
                    var at = Geodesic.Direct(a.Start, Math.Atan2(a.East, a.North) * 180 / Math.PI, Math.Sqrt((a.East * a.East) + (a.North * a.North)) * t);
                    w.WriteStartObject();
                    w.WriteString("id", a.Id);
                    w.WriteString("time", now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
                    w.WriteNumber("lat", at.Lat);
                    w.WriteNumber("lng", at.Lng);
                    w.WriteNumber("altitude_m", a.Altitude);
                    w.WriteStartObject("velocity");
                    w.WriteNumber("east_mps", a.East);
                    w.WriteNumber("north_mps", a.North);
                    w.WriteNumber("up_mps", 0);
                    w.WriteEndObject();
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            using var content = new ByteArrayContent(buffer.WrittenSpan.ToArray());
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            try
            {
                using var response = await clients[party].PostAsync("v1/tracks", content, ct);
                var text = await response.Content.ReadAsStringAsync(ct);
                if (response.StatusCode == System.Net.HttpStatusCode.Accepted)
                {
                    using var json = JsonDocument.Parse(text);
                    Interlocked.Add(ref _accepted, json.RootElement.GetProperty("accepted").GetInt32());
                }
                else if (Interlocked.Increment(ref _refused) <= 3)
                {
                    Console.Error.WriteLine($"track batch refused: {(int)response.StatusCode} {text}");
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        private static List<(string, string, GeoPoint, double, double, double)> Fleet(int count)
        {
            var rnd = new Random(7);
            var fleet = new List<(string, string, GeoPoint, double, double, double)>();
            for (var i = 0; i < count; i++)
            {
                var party = Parties[i % Parties.Length];
                var start = Geodesic.Direct(new GeoPoint(35, 38.5), rnd.NextDouble() * 360, Math.Sqrt(rnd.NextDouble()) * 600_000);
                var speed = 100 + (rnd.NextDouble() * 200);
                var heading = rnd.NextDouble() * 2 * Math.PI;
                fleet.Add((party, $"{party.ToUpperInvariant()}{i:D4}", start, speed * Math.Sin(heading), speed * Math.Cos(heading), Math.Round(rnd.NextDouble() * 12_000)));
            }

            return fleet;
        }
    }
}
