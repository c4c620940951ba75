using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Deconflict.Cli;
using Deconflict.Core.Feeds;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Deconflict.Tests.Cli;

/// <summary>
/// `deconflict feed sbs|cot` end to end on loopback: a TCP source serves recorded lines or
/// events, a fake server captures what is posted to `POST /v1/tracks`, and the tracks posted must
/// be exactly the expected ones (strings exact, numbers to 1e-9).
/// </summary>
public sealed class FeedCliTests
{
    private const string Token = "dcf_feed-test-token";
    private const double Tolerance = 1e-9;

    /// <summary>
    /// The tracks of tests/Deconflict.Core.Tests/Feeds/Data/sbs1-replay.txt from a receiver on +02:00
    /// (worked out in SbsReplayTests), as the JSON the relay must post.
    /// </summary>
    private static readonly string[] ExpectedSbs =
    [
        """{"id":"4CA2D6","time":"2026-11-26T09:00:00.25Z","lat":35.41253,"lng":35.95104,"altitude_m":11277.6,"velocity":{"east_mps":231.57271827161685,"north_mps":-22.705903549746978,"up_mps":-0.32512},"callsign":"RYR4TZ"}""",
        """{"id":"4CA2D6","time":"2026-11-26T09:00:00.91Z","lat":35.4125,"lng":35.95341,"altitude_m":11277.6,"velocity":{"east_mps":231.57271827161685,"north_mps":-22.705903549746978,"up_mps":-0.32512},"callsign":"RYR4TZ"}""",
        """{"id":"3C6586","time":"2026-11-26T09:00:01.3Z","lat":35.60012,"lng":36.10447,"altitude_m":7353.3,"velocity":{"east_mps":-199.5448604780565,"north_mps":4.876771346727863,"up_mps":7.477760000000001},"callsign":"DLH9AB"}""",
        """{"id":"3C6586","time":"2026-11-26T09:00:02.1Z","lat":35.60019,"lng":36.10301,"altitude_m":7360.92,"velocity":{"east_mps":-200.6027759048773,"north_mps":3.5015344782002384,"up_mps":7.80288},"callsign":"DLH9AB"}""",
        """{"id":"06A0AB","time":"2026-11-26T09:00:13.5Z","lat":35.10021,"lng":35.70133,"altitude_m":9753.6,"velocity":{"east_mps":-162.64892214067945,"north_mps":180.6399284529176,"up_mps":-0.65024},"callsign":"QTR8KN"}""",
        """{"id":"~A1B2C3","time":"2026-11-26T09:00:13.7Z","lat":35.51234,"lng":35.80011,"altitude_m":1676.4,"velocity":{"east_mps":50.927401729457785,"north_mps":50.9274017294578,"up_mps":0}}""",
    ];

    private const string CotEvents = """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <event version="2.0" uid="VIPER11" type="a-f-A-M-F-Q" time="2026-11-26T09:00:00.5Z" start="2026-11-26T09:00:00.5Z" stale="2026-11-26T09:00:30Z" how="m-g"><point lat="35.41253" lon="35.95104" hae="7315.2" ce="10" le="15"/><detail><track course="90" speed="232.7"/><contact callsign="VIPER 11"/></detail></event>
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <event version="2.0" uid="ROVER2" type="a-f-G-U-C" time="2026-11-26T09:00:01Z" start="2026-11-26T09:00:01Z" stale="2026-11-26T09:05:00Z" how="m-g"><point lat="35.1" lon="35.2" hae="120" ce="5" le="5"/><detail/></event>
        <event version="2.0" uid="HAWK3" type="a-h-A-M-H" time="2026-11-26T09:00:02Z" start="2026-11-26T09:00:02Z" stale="2026-11-26T09:00:32Z" how="m-r"><point lat="35.6" lon="36.1" hae="9999999" ce="9999999" le="9999999"/><detail><track course="270" speed="80"/></detail></event>
        <event version="2.0" uid="BROKEN" type="a-f-A" time="2026-11-26T09:00:03Z"><point lat="35" lon="36" hae="100"><detail></event>
        <event version="2.0" uid="REAPER7" type="a-f-A-M-F-Q-r" time="2026-11-26T09:00:04Z" start="2026-11-26T09:00:04Z" stale="2026-11-26T09:00:34Z" how="m-g"><point lat="-12.5" lon="-179.75" hae="4572" ce="20" le="20"/><detail><track course="0" speed="60" slope="-30"/></detail></event>
        """;

    private static readonly string[] ExpectedCot =
    [
        """{"id":"VIPER11","time":"2026-11-26T09:00:00.5Z","lat":35.41253,"lng":35.95104,"altitude_m":7315.2,"velocity":{"east_mps":232.7,"north_mps":1.4248729006454466E-14,"up_mps":0},"callsign":"VIPER 11"}""",
        """{"id":"REAPER7","time":"2026-11-26T09:00:04Z","lat":-12.5,"lng":-179.75,"altitude_m":4572,"velocity":{"east_mps":0,"north_mps":51.96152422706632,"up_mps":-30}}""",
    ];

    [Fact]
    public async Task The_sbs_relay_posts_the_replay_as_exactly_the_expected_tracks()
    {
        await using var sink = await FakeServer.StartAsync();
        using var source = SbsSource.Serve([await File.ReadAllBytesAsync(ReplayPath)]);
        var run = await RunCli(sink, "feed", "sbs", "--connect", source.Endpoint, "--local-offset", "+02:00", "--batch-ms", "50", "--once");

        Assert.True(run.Exit == 0, run.Err);
        AssertTracks(ExpectedSbs, sink.Tracks());
        Assert.All(sink.Requests, r => Assert.Equal(("/v1/tracks", $"Bearer {Token}", "application/json"), (r.Path, r.Authorization, r.ContentType)));
        Assert.Contains("lines 36, malformed 9 (last: line 31: bad time in field 8 (time generated) (HH:mm:ss.fff)), aircraft 4, reports 6, posted 6 in", run.Err, StringComparison.Ordinal);
        Assert.Contains("accepted 6, errors 0", run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_sbs_relay_reconnects_when_the_receiver_drops_and_loses_nothing()
    {
        await using var sink = await FakeServer.StartAsync();
        var lines = await File.ReadAllLinesAsync(ReplayPath);
        var first = Encoding.UTF8.GetBytes(string.Join("\r\n", lines[..12]) + "\r\n");
        var second = Encoding.UTF8.GetBytes(string.Join("\r\n", lines[12..]) + "\r\n");
        using var source = SbsSource.Serve([first, second]);
        var log = new StringWriter();
        await using var poster = new TrackPoster(Settings(sink) with { FirstBackoff = TimeSpan.FromMilliseconds(100) });
        var relay = new SbsRelay(new SbsFeed(TimeSpan.FromHours(2)), poster, TextWriter.Synchronized(log));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var (host, port) = FeedCommands.Endpoint(source.Endpoint, "--connect");
        var running = relay.RunAsync(host, port, once: false, cts.Token);
        await sink.WaitForTracks(ExpectedSbs.Length, cts.Token);
        await cts.CancelAsync();
        Assert.Equal(0, await running);

        AssertTracks(ExpectedSbs, sink.Tracks());
        Assert.Contains("the source closed the connection; reconnecting to", log.ToString(), StringComparison.Ordinal);
        Assert.True(source.Connections >= 2);
        Assert.Equal(9, relay.Feed.Malformed);
    }

    [Fact]
    public async Task A_refused_token_stops_the_relay_with_a_clear_message()
    {
        await using var sink = await FakeServer.StartAsync(_ => (401, """{"type":"about:blank","title":"Unauthorized","status":401,"detail":"The token is not valid.","code":"unauthorized"}"""));
        using var source = SbsSource.Serve([await File.ReadAllBytesAsync(ReplayPath)], keepOpen: true);
        var run = await RunCli(sink, "feed", "sbs", "--connect", source.Endpoint, "--local-offset", "+02:00", "--batch-ms", "50");

        Assert.Equal(1, run.Exit);
        Assert.Contains("The server refused the token (401 unauthorized: The token is not valid.). Check --token", run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_errors_are_reported_and_the_relay_keeps_going()
    {
        // One sender, batches of two: the first batch is refused (400, dropped), the second fails
        // once (503, retried), the third goes through.
        await using var sink = await FakeServer.StartAsync(n => n switch
        {
            1 => (400, """{"title":"Bad track","status":400,"detail":"tracks[0].lat is out of range","code":"invalid-track"}"""),
            2 => (503, """{"title":"Unavailable","status":503,"detail":"try again","code":"unavailable"}"""),
            _ => (202, null),
        });
        using var source = SbsSource.Serve([await File.ReadAllBytesAsync(ReplayPath)]);
        var run = await RunCli(sink, "feed", "sbs", "--connect", source.Endpoint, "--local-offset", "+02:00", "--max-batch", "2", "--pipeline", "1", "--once");

        Assert.True(run.Exit == 0, run.Err);
        AssertTracks(ExpectedSbs[2..], sink.Tracks(acceptedOnly: true));
        Assert.Contains("posted 4 in 2 batches, accepted 4, errors 2 (2 reports dropped) (last: 503 unavailable: try again)", run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_cot_relay_posts_the_air_tracks_of_a_file()
    {
        await using var sink = await FakeServer.StartAsync();
        var file = Path.Combine(Path.GetTempPath(), $"deconflict-cot-{Guid.NewGuid():N}.xml");
        await File.WriteAllTextAsync(file, CotEvents);
        try
        {
            var run = await RunCli(sink, "feed", "cot", "--file", file);
            Assert.True(run.Exit == 0, run.Err);
            AssertTracks(ExpectedCot, sink.Tracks());
            Assert.Contains("events 5, air tracks 2, skipped 1 (not air tracks), refused 1, malformed 1", run.Err, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task The_cot_relay_listens_for_tak_streams()
    {
        await using var sink = await FakeServer.StartAsync();
        var port = FreePort();
        await using var poster = new TrackPoster(Settings(sink));
        var relay = new CotRelay(poster, TextWriter.Null);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var running = relay.RunListenAsync("127.0.0.1", port, cts.Token);
        using (var client = new TcpClient())
        {
            for (var i = 0; ; i++)
            {
                try
                {
                    await client.ConnectAsync(IPAddress.Loopback, port, cts.Token);
                    break;
                }
                catch (SocketException) when (i < 100)
                {
                    await Task.Delay(50, cts.Token);
                }
            }

            var bytes = Encoding.UTF8.GetBytes(CotEvents);
            var stream = client.GetStream();
            for (var i = 0; i < bytes.Length; i += 100)
            {
                await stream.WriteAsync(bytes.AsMemory(i, Math.Min(100, bytes.Length - i)), cts.Token);
                await stream.FlushAsync(cts.Token);
            }
        }

        await sink.WaitForTracks(ExpectedCot.Length, cts.Token);
        await cts.CancelAsync();
        Assert.Equal(0, await running);
        AssertTracks(ExpectedCot, sink.Tracks());
    }

    [Theory]
    [InlineData("+02:00", 120)]
    [InlineData("-05:30", -330)]
    [InlineData("3", 180)]
    [InlineData("Z", 0)]
    [InlineData("utc", 0)]
    [InlineData("+14:00", 840)]
    public void Receiver_offsets(string text, int minutes) => Assert.Equal(TimeSpan.FromMinutes(minutes), FeedCommands.ParseOffset(text));

    [Theory]
    [InlineData("+15:00")]
    [InlineData("2h")]
    [InlineData("+02:7")]
    [InlineData("Europe/Berlin")]
    public void Offsets_that_are_not_offsets_are_refused(string text) =>
        Assert.Contains("--local-offset must be an offset from UTC", Assert.Throws<CliException>(() => FeedCommands.ParseOffset(text)).Message, StringComparison.Ordinal);

    private static string ReplayPath
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Deconflict.slnx")))
                {
                    return Path.Combine(dir.FullName, "tests", "Deconflict.Core.Tests", "Feeds", "Data", "sbs1-replay.txt");
                }
            }

            throw new InvalidOperationException("Cannot find the repository root (Deconflict.slnx).");
        }
    }

    private static RelaySettings Settings(FakeServer sink) =>
        new(sink.BaseAddress, Token, TimeSpan.FromMilliseconds(50), 5000, 4, TimeSpan.Zero);

    /// <summary>Same tracks as expected, in any batch order: every key and string exact, numbers to 1e-9.</summary>
    private static void AssertTracks(string[] expected, List<JsonObject> actual)
    {
        var want = expected.Select(e => JsonNode.Parse(e)!.AsObject()).OrderBy(Key, StringComparer.Ordinal).ToList();
        var got = actual.OrderBy(Key, StringComparer.Ordinal).ToList();
        Assert.Equal(want.Select(Key), got.Select(Key));
        for (var i = 0; i < want.Count; i++)
        {
            AssertJson(want[i], got[i], Key(want[i]));
        }

        static string Key(JsonObject o) => o["id"]!.GetValue<string>() + "@" + o["time"]!.GetValue<string>();
    }

    private static void AssertJson(JsonNode? want, JsonNode? got, string path)
    {
        switch (want)
        {
            case JsonObject wo:
                var go = Assert.IsType<JsonObject>(got);
                Assert.Equal(wo.Select(p => p.Key), go.Select(p => p.Key));
                foreach (var (key, value) in wo)
                {
                    AssertJson(value, go[key], $"{path}.{key}");
                }

                break;
            case JsonValue wv when wv.TryGetValue<double>(out var number):
                Assert.True(Math.Abs(number - got!.GetValue<double>()) <= Tolerance, $"{path}: expected {number}, got {got}");
                break;
            default:
                Assert.Equal(want?.ToJsonString(), got?.ToJsonString());
                break;
        }
    }

    [Fact]
    public async Task The_sbs_relay_feeds_the_real_server_and_the_tracks_are_the_newest_of_each_aircraft()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 9, 0, 14, TimeSpan.Zero));
        await using var server = await Deconflict.Tests.Infrastructure.TestServer.StartAsync(
            new Deconflict.Service.DeconflictOptions { Tactical = new Deconflict.Service.TacticalOptions { CycleInterval = TimeSpan.FromHours(1), MinCycleGap = TimeSpan.FromHours(1) } }, clock);
        var created = await server.Admin.PostAsync("v1/parties", new StringContent("""{ "id": "blue", "name": "Blue" }""", Encoding.UTF8, "application/json"));
        var token = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["token"]!.GetValue<string>();
        using var source = SbsSource.Serve([await File.ReadAllBytesAsync(ReplayPath)]);
        var run = await CliTests.RunAt(server.BaseAddress, token, "feed", "sbs", "--connect", source.Endpoint, "--local-offset", "+02:00", "--batch-ms", "50", "--once");

        Assert.True(run.Exit == 0, run.Err);
        Assert.Contains("accepted 6, errors 0", run.Err, StringComparison.Ordinal);
        var live = server.Get<Deconflict.Alerts.TacticalService>().Tracks.Live(clock.GetUtcNow());
        Assert.Equal(["06A0AB", "3C6586", "4CA2D6", "~A1B2C3"], live.Select(t => t.Id).Order(StringComparer.Ordinal));
        Assert.All(live, t => Assert.Equal("blue", t.Party));
        var lead = live.Single(t => t.Id == "4CA2D6");
        Assert.Equal((35.4125, 35.95341, 11277.6), (lead.Lat, lead.Lng, lead.AltitudeM));
        Assert.Equal(new DateTimeOffset(2026, 11, 26, 9, 0, 0, 910, TimeSpan.Zero), lead.Time);
        Assert.Equal("RYR4TZ", server.Get<Deconflict.Alerts.TacticalService>().Tracks.CallsignOf(new Deconflict.Core.Tactical.TrackKey("blue", "4CA2D6")));
    }

    [Fact]
    public async Task A_batch_too_large_for_one_request_is_split_and_nothing_is_lost()
    {
        // 6,000 aircraft with callsigns in one batch: about 1.3 MB of JSON, over the 1 MiB limit.
        await using var sink = await FakeServer.StartAsync();
        var lines = new StringBuilder();
        for (var i = 0; i < 6000; i++)
        {
            var icao = (0x100000 + i).ToString("X6", System.Globalization.CultureInfo.InvariantCulture);
            lines.Append($"MSG,1,1,1,{icao},1,2026/11/26,09:00:00.000,2026/11/26,09:00:00.000,CALL{i:D4},,,,,,,,0,0,0,0\r\n");
            lines.Append($"MSG,4,1,1,{icao},1,2026/11/26,09:00:00.100,2026/11/26,09:00:00.100,,,450,90,,,0,,,,,0\r\n");
            lines.Append($"MSG,3,1,1,{icao},1,2026/11/26,09:00:00.200,2026/11/26,09:00:00.200,,35000,,,{30 + (i * 0.001):0.000},38.0,,,0,0,0,0\r\n");
        }

        using var source = SbsSource.Serve([Encoding.ASCII.GetBytes(lines.ToString())]);
        var run = await RunCli(sink, "feed", "sbs", "--connect", source.Endpoint, "--max-batch", "10000", "--batch-ms", "10000", "--once");

        Assert.True(run.Exit == 0, run.Err);
        var requests = sink.Requests.ToList();
        Assert.True(requests.Count >= 2, $"{requests.Count} request(s)");
        Assert.All(requests, r => Assert.True(Encoding.UTF8.GetByteCount(r.Body) <= (1 << 20) - 4096, $"a body of {Encoding.UTF8.GetByteCount(r.Body)} bytes"));
        var tracks = sink.Tracks();
        Assert.Equal(6000, tracks.Count);
        Assert.Equal(6000, tracks.Select(t => t["id"]!.GetValue<string>()).Distinct().Count());
        Assert.All(tracks, t => Assert.StartsWith("CALL", t["callsign"]!.GetValue<string>(), StringComparison.Ordinal));
    }

    private static Task<(int Exit, string Out, string Err)> RunCli(FakeServer sink, params string[] args) => CliTests.RunAt(sink.BaseAddress, Token, args);

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>A loopback receiver: each connection gets the next chunk, then is closed (or kept open).</summary>
    private sealed class SbsSource : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private int _connections;

        private SbsSource()
        {
        }

        public string Endpoint => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

        public int Connections => Volatile.Read(ref _connections);

        public static SbsSource Serve(byte[][] chunks, bool keepOpen = false)
        {
            var source = new SbsSource();
            source._listener.Start();
            _ = Task.Run(async () =>
            {
                try
                {
                    for (var i = 0; ; i++)
                    {
                        var client = await source._listener.AcceptTcpClientAsync(source._stop.Token);
                        Interlocked.Increment(ref source._connections);
                        var stream = client.GetStream();
                        if (i < chunks.Length)
                        {
                            await stream.WriteAsync(chunks[i], source._stop.Token);
                        }

                        if (keepOpen)
                        {
                            _ = Task.Delay(Timeout.Infinite, source._stop.Token).ContinueWith(_ => client.Dispose(), TaskScheduler.Default);
                        }
                        else
                        {
                            client.Dispose();
                        }
                    }
                }
                catch (OperationCanceledException)
                {
                }
                catch (ObjectDisposedException)
                {
                }
            });
            return source;
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            _stop.Dispose();
        }
    }

    /// <summary>A stand-in for the server's `POST /v1/tracks`: records each request and answers as told (202 with the count by default).</summary>
    private sealed class FakeServer : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly ConcurrentQueue<Captured> _requests = new();
        private readonly Func<int, (int Status, string? Body)> _answer;
        private int _count;

        private FakeServer(Func<int, (int Status, string? Body)> answer)
        {
            _answer = answer;
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            _app = builder.Build();
            _app.MapPost("/v1/tracks", Handle);
        }

        public Uri BaseAddress => new(_app.Urls.First().TrimEnd('/') + "/");

        public IReadOnlyCollection<Captured> Requests => _requests;

        public static async Task<FakeServer> StartAsync(Func<int, (int Status, string? Body)>? answer = null)
        {
            var server = new FakeServer(answer ?? (_ => (202, null)));
            await server._app.StartAsync();
            return server;
        }

        public List<JsonObject> Tracks(bool acceptedOnly = false) =>
            [.. _requests.Where(r => !acceptedOnly || r.Status == 202).SelectMany(r => JsonNode.Parse(r.Body)!["tracks"]!.AsArray().Select(t => t!.AsObject()))];

        public async Task WaitForTracks(int count, CancellationToken ct)
        {
            while (Tracks().Count < count)
            {
                await Task.Delay(20, ct);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        private async Task Handle(HttpContext context)
        {
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var (status, answer) = _answer(Interlocked.Increment(ref _count));
            _requests.Enqueue(new Captured(context.Request.Path, context.Request.Headers.Authorization.ToString(), context.Request.ContentType, body, status));
            context.Response.StatusCode = status;
            if (status == 202)
            {
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync($"{{\"accepted\":{JsonNode.Parse(body)!["tracks"]!.AsArray().Count}}}");
            }
            else if (answer is not null)
            {
                context.Response.ContentType = "application/problem+json";
                await context.Response.WriteAsync(answer);
            }
        }

        public sealed record Captured(string Path, string Authorization, string? ContentType, string Body, int Status);
    }
}
