using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Deconflict.Alerts;
using Deconflict.Service;
using Deconflict.Tests.Infrastructure;
using Deconflict.Tracks;
using Microsoft.Extensions.Time.Testing;
using NATS.Client.Core;

namespace Deconflict.Tests.Cluster;

/// <summary>
/// Track reports between the nodes of a cluster over NATS: two servers, each on its own SQLite file,
/// share a NATS server under a subject prefix of their own (so tests running at once do not hear
/// each other). A batch posted to one node is listed by the other within a second and applied once
/// on each; the detector of one node sees the other node's tracks; hostile messages are dropped and
/// counted; losing NATS shows on /healthz and pauses detection, and the relay resumes when it is back.
/// </summary>
public sealed class TrackRelayTests
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 9, 0, 0, TimeSpan.Zero);

    // Cycles only when the test runs one: the fake clock never reaches the hour.
    private static readonly DeconflictOptions Manual = new()
    {
        Tactical = new TacticalOptions { CycleInterval = TimeSpan.FromHours(1), MinCycleGap = TimeSpan.FromHours(1) },
        LineClockTick = TimeSpan.FromDays(30),
        ExpirySweepInterval = TimeSpan.FromDays(30),
    };

    [Fact]
    public async Task A_batch_posted_to_one_node_is_listed_by_the_other_within_a_second_and_applied_once_on_each()
    {
        var clock = new FakeTimeProvider(T0);
        var prefix = Prefix();
        await using var a = await Node(NatsServerProcess.SharedUrl, prefix, Manual, clock);
        await using var b = await Node(NatsServerProcess.SharedUrl, prefix, Manual, clock);
        var red = await a.AddPartyAsync("red");
        await b.AddPartyAsync("red");

        var posted = await red.Post("v1/tracks", Batch(Report("RED7", "2030-01-01T08:59:59.1234567Z", 35.2, 38.1, 9000, -200, 0, "GOLDEN5"), Report("RED8", "2030-01-01T09:00:00Z", 35.3, 38.2, 9100, 0, 150, null)));
        Assert.Equal(202, posted.Status);
        Assert.Equal(2, posted.Body!["accepted"]!.GetValue<int>());

        var watch = Stopwatch.StartNew();
        JsonArray items;
        do
        {
            items = (await b.Admin.Get("v1/tracks")).Body!["items"]!.AsArray();
        }
        while (items.Count < 2 && watch.Elapsed < TimeSpan.FromSeconds(5) && await Pause());

        var took = watch.Elapsed;
        Assert.True(took < TimeSpan.FromSeconds(1), $"the other node listed the tracks after {took.TotalMilliseconds:0} ms");
        Assert.Equal(
            """[{"party":"red","id":"RED7","time":"2030-01-01T08:59:59.1234567Z","lat":35.2,"lng":38.1,"altitude_m":9000,"velocity":{"east_mps":-200,"north_mps":0,"up_mps":0},"stale":false,"callsign":"GOLDEN5"},"""
            + """{"party":"red","id":"RED8","time":"2030-01-01T09:00:00Z","lat":35.3,"lng":38.2,"altitude_m":9100,"velocity":{"east_mps":0,"north_mps":150,"up_mps":0},"stale":false}]""",
            items.ToJsonString());
        Assert.Equal(items.ToJsonString(), (await a.Admin.Get("v1/tracks")).Body!["items"]!.ToJsonString());

        // A applied the batch itself and skipped it when NATS delivered it back; B applied it once.
        var sent = a.Get<TrackRelayStatus>();
        var heard = b.Get<TrackRelayStatus>();
        await Until(() => sent.Own == 1);
        Assert.Equal((1L, 0L, 0L, 1L), (sent.Published, sent.Applied, sent.Dropped, sent.Own));
        Assert.Equal((0L, 1L, 0L, 0L), (heard.Published, heard.Applied, heard.Dropped, heard.Own));
        Assert.Equal(2, b.Get<TacticalService>().Tracks.Count);
    }

    [Fact]
    public async Task A_batch_of_2500_reports_goes_as_three_messages_and_arrives_whole()
    {
        var clock = new FakeTimeProvider(T0);
        var prefix = Prefix();
        await using var a = await Node(NatsServerProcess.SharedUrl, prefix, Manual, clock);
        await using var b = await Node(NatsServerProcess.SharedUrl, prefix, Manual, clock);
        var red = await a.AddPartyAsync("red");
        await b.AddPartyAsync("red");

        var reports = Enumerable.Range(0, 2500).Select(i => Report($"R{i}", "2030-01-01T09:00:00Z", 30 + (i * 0.001), 38, 9000, 100, 0, null)).ToArray();
        Assert.Equal(202, (await red.Post("v1/tracks", Batch(reports))).Status);
        await Until(() => b.Get<TrackRelayStatus>().Applied == 3);
        Assert.Equal(3, a.Get<TrackRelayStatus>().Published);
        Assert.Equal(2500, b.Get<TacticalService>().Tracks.Count);
    }

    [Fact]
    public async Task The_detector_of_one_node_sees_the_aircraft_reported_to_the_other()
    {
        var clock = new FakeTimeProvider(T0);
        var prefix = Prefix();
        await using var a = await Node(NatsServerProcess.SharedUrl, prefix, Manual, clock);
        await using var b = await Node(NatsServerProcess.SharedUrl, prefix, Manual, clock);
        var blueOnA = await a.AddPartyAsync("blue");
        await a.AddPartyAsync("red");
        await b.AddPartyAsync("blue");
        var redOnB = await b.AddPartyAsync("red");

        // Head-on at FL300 along the 35th parallel, 0.2 degrees of longitude apart, closing at 400 m/s:
        // blue reports to node A, red to node B.
        Assert.Equal(202, (await blueOnA.Post("v1/tracks", Batch(Report("BLUE1", "2030-01-01T09:00:00Z", 35, 37.9, 9144, 200, 0, null)))).Status);
        Assert.Equal(202, (await redOnB.Post("v1/tracks", Batch(Report("RED7", "2030-01-01T09:00:00Z", 35, 38.1, 9144, -200, 0, null)))).Status);
        await Until(() => a.Get<TrackRelayStatus>().Applied == 1 && b.Get<TrackRelayStatus>().Applied == 1);

        var cycle = await a.Get<TacticalService>().RunCycleAsync();
        Assert.Equal((2, 1, 1), (cycle.Tracks, cycle.Predictions, cycle.Decisions));
        var alerts = (await a.Admin.Get("v1/alerts")).Body!["items"]!.AsArray();
        var alert = Assert.Single(alerts);
        Assert.Equal(["blue", "red"], new[] { alert!["a"]!["party"]!.GetValue<string>(), alert["b"]!["party"]!.GetValue<string>() }.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Malformed_and_foreign_messages_are_dropped_and_counted_and_the_relay_goes_on()
    {
        var clock = new FakeTimeProvider(T0);
        var prefix = Prefix();
        await using var node = await Node(NatsServerProcess.SharedUrl, prefix, Manual, clock);
        await node.AddPartyAsync("red");
        await node.AddPartyAsync("un", "observer");
        var subject = prefix + "tracks";
        var status = node.Get<TrackRelayStatus>();

        const string Good = """{"id":"RED7","t":TICKS,"lat":35.2,"lng":38.1,"alt":9000,"e":-200,"n":0,"u":0}""";
        var good = Good.Replace("TICKS", T0.UtcTicks.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        var at = T0.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        string[] bad =
        [
            "not json",
            "",
            "{\"v\":2,\"origin\":\"x\",\"party\":\"red\",\"at\":" + at + ",\"reports\":[" + good + "]}",
            "{\"v\":1,\"origin\":\"x\",\"party\":\"red\",\"at\":" + at + ",\"reports\":[" + good + "],\"extra\":1}",
            "{\"v\":1,\"v\":1,\"origin\":\"x\",\"party\":\"red\",\"at\":" + at + ",\"reports\":[" + good + "]}",
            "{\"v\":1,\"origin\":\"x\",\"party\":\"nobody\",\"at\":" + at + ",\"reports\":[" + good + "]}",
            "{\"v\":1,\"origin\":\"x\",\"party\":\"un\",\"at\":" + at + ",\"reports\":[" + good + "]}",
            "{\"v\":1,\"origin\":\"x\",\"party\":\"red\",\"at\":" + at + ",\"reports\":[" + good.Replace("35.2", "91", StringComparison.Ordinal) + "]}",
            "{\"v\":1,\"origin\":\"x\",\"party\":\"red\",\"at\":" + at + ",\"reports\":[" + good.Replace(",\"u\":0", string.Empty, StringComparison.Ordinal) + "]}",
            "{\"v\":1,\"origin\":\"x\",\"party\":\"red\",\"at\":" + at + ",\"reports\":[" + good.Replace(T0.UtcTicks.ToString(CultureInfo.InvariantCulture), "-1", StringComparison.Ordinal) + "]}",
            "{\"v\":1,\"origin\":\"x\",\"party\":\"red\",\"at\":" + at + ",\"reports\":[]}",
            "[1,2,3]",
        ];
        await using var nats = new NatsConnection(NatsOpts.Default with { Url = NatsServerProcess.SharedUrl });
        foreach (var message in bad)
        {
            await nats.PublishAsync(subject, Encoding.UTF8.GetBytes(message));
        }

        // One good message from another node, after the bad ones: NATS keeps one publisher's order.
        await nats.PublishAsync(subject, Encoding.UTF8.GetBytes("{\"v\":1,\"origin\":\"other-node\",\"party\":\"red\",\"at\":" + at + ",\"reports\":[" + good + "]}"));
        await Until(() => status.Applied == 1);
        Assert.Equal(bad.Length, status.Dropped);
        Assert.Equal(200, (await node.Admin.Get("healthz")).Status);
        var items = (await node.Admin.Get("v1/tracks")).Body!["items"]!.AsArray();
        Assert.Equal("red/RED7", Assert.Single(items)!["party"] + "/" + items[0]!["id"]);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Losing_NATS_pauses_detection_with_a_warning_on_healthz_and_the_relay_resumes_when_it_is_back()
    {
        using var nats = await NatsServerProcess.StartAsync();
        var prefix = Prefix();
        var options = new DeconflictOptions { Tactical = new TacticalOptions { CycleInterval = TimeSpan.FromMilliseconds(200) } };
        await using var a = await Node(nats.Url, prefix, options, TimeProvider.System);
        await using var b = await Node(nats.Url, prefix, options, TimeProvider.System);
        var red = await a.AddPartyAsync("red");
        await b.AddPartyAsync("red");
        Assert.Empty((await a.Admin.Get("healthz")).Body!["warnings"]!.AsArray());
        await Until(() => a.Get<TacticalService>().LastCycle is not null);

        nats.Kill();
        await Until(() => !a.Get<TrackRelayStatus>().Connected);
        var health = await a.Admin.Get("healthz");
        Assert.Equal(200, health.Status);
        Assert.Equal("ok", health.Body!["status"]!.GetValue<string>());
        var warning = Assert.Single(health.Body["warnings"]!.AsArray())!.GetValue<string>();
        Assert.StartsWith("NATS is unreachable since ", warning, StringComparison.Ordinal);
        Assert.EndsWith(": track reports are not relayed between the nodes and tactical detection is paused until it returns.", warning, StringComparison.Ordinal);

        // Reports are still taken into this node's table; detection runs no cycle while NATS is away.
        var paused = a.Get<TacticalService>().LastCycle!.Cycles;
        Assert.Equal(202, (await red.Post("v1/tracks", Batch(Report("RED1", Now(), 35, 38, 9000, 100, 0, null)))).Status);
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(paused, a.Get<TacticalService>().LastCycle!.Cycles);
        Assert.Equal(["RED1"], Ids(await a.Admin.Get("v1/tracks")));
        Assert.Empty(Ids(await b.Admin.Get("v1/tracks")));
        Assert.Equal(1, a.Get<TrackRelayStatus>().NotRelayed);

        await nats.RestartAsync();
        await Until(() => a.Get<TrackRelayStatus>().Connected && b.Get<TrackRelayStatus>().Connected, TimeSpan.FromSeconds(30));
        await Until(() => !a.Get<TrackRelayStatus>().DetectionPaused, TimeSpan.FromSeconds(10));
        Assert.Empty((await a.Admin.Get("healthz")).Body!["warnings"]!.AsArray());
        await Until(() => a.Get<TacticalService>().LastCycle!.Cycles > paused);

        Assert.Equal(202, (await red.Post("v1/tracks", Batch(Report("RED2", Now(), 35.1, 38, 9000, 100, 0, null)))).Status);
        await Until(() => Ids(b.Admin.Get("v1/tracks").GetAwaiter().GetResult()).Contains("RED2"));
    }

    [Fact]
    public async Task A_node_whose_NATS_cannot_be_reached_or_read_refuses_to_start_with_one_line()
    {
        var port = TestServer.FreePort();
        var down = await Assert.ThrowsAsync<Deconflict.Storage.StartRefusedException>(() => Node($"nats://127.0.0.1:{port}", Prefix(), Manual, TimeProvider.System));
        Assert.StartsWith($"Cannot connect to NATS at nats://127.0.0.1:{port}: ", down.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', down.Message);

        var malformed = await Assert.ThrowsAsync<Deconflict.Storage.StartRefusedException>(() => Node("nats://[127.0.0.1", Prefix(), Manual, TimeProvider.System));
        Assert.Equal("The NATS URL must be like nats://127.0.0.1:4222 (several separated by ','); 'nats://[127.0.0.1' is not.", malformed.Message);
    }

    private static string Prefix() => "test-" + Guid.NewGuid().ToString("N") + ".";

    private static Task<TestServer> Node(string natsUrl, string prefix, DeconflictOptions options, TimeProvider time) =>
        TestServer.StartAsync(options, time, configure: s => s with { NatsUrl = natsUrl, NatsSubjectPrefix = prefix });

    private static string Now() => DateTimeOffset.UtcNow.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static List<string> Ids((int Status, JsonNode? Body, HttpResponseMessage Response) listed) =>
        listed.Body!["items"]!.AsArray().Select(t => t!["id"]!.GetValue<string>()).ToList();

    private static async Task<bool> Pause()
    {
        await Task.Delay(10);
        return true;
    }

    private static async Task Until(Func<bool> condition, TimeSpan? timeout = null)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < (timeout ?? TimeSpan.FromSeconds(10)), "the condition did not hold in time");
            await Task.Delay(20);
        }
    }

    private static JsonObject Report(string id, string time, double lat, double lng, double altitudeM, double east, double north, string? callsign)
    {
        var report = new JsonObject
        {
            ["id"] = id,
            ["time"] = time,
            ["lat"] = lat,
            ["lng"] = lng,
            ["altitude_m"] = altitudeM,
            ["velocity"] = new JsonObject { ["east_mps"] = east, ["north_mps"] = north, ["up_mps"] = 0.0 },
        };
        if (callsign is not null)
        {
            report["callsign"] = callsign;
        }

        return report;
    }

    private static JsonObject Batch(params JsonObject[] reports) => new() { ["tracks"] = new JsonArray([.. reports]) };
}
