using System.Text.Json.Nodes;
using Deconflict.Alerts;
using Deconflict.Core.Geometry;
using Deconflict.Service;
using Deconflict.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Deconflict.Tests.Api;

/// <summary>
/// Live tracks and alerts on a real server: ingest checks, an encounter raised, made more urgent,
/// acknowledged and cleared with both sides' streams and the database checked at each step, and
/// privacy: no payload to a party ever carries the other party's track id or callsign.
/// </summary>
public sealed class TrackAlertApiTests
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 9, 0, 0, TimeSpan.Zero);

    // Cycles only when the test runs one: the timer and the prompt wake-up wait an hour of fake time.
    private static readonly DeconflictOptions Manual = new()
    {
        Tactical = new TacticalOptions { CycleInterval = TimeSpan.FromHours(1), MinCycleGap = TimeSpan.FromHours(1) },
        LineClockTick = TimeSpan.FromDays(30),
        ExpirySweepInterval = TimeSpan.FromDays(30),
    };

    private const string BlueId = "BLUE-LEAD-1";
    private const string BlueCallsign = "VIPER11";
    private const string RedId = "RED-FLANKER-7";
    private const string RedCallsign = "GOLDEN5";

    [Fact]
    public async Task An_encounter_is_raised_made_more_urgent_acknowledged_and_cleared_on_both_streams()
    {
        var clock = new FakeTimeProvider(T0);
        await using var server = await TestServer.StartAsync(Manual, clock);
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");
        var green = await server.AddPartyAsync("green");
        var un = await server.AddPartyAsync("un", "observer");
        await using var blueStream = await SseClient.ConnectAsync(blue);
        await using var redStream = await SseClient.ConnectAsync(red);
        var tactical = server.Get<TacticalService>();

        // Head-on at FL300 along the 35th parallel, 0.2 degrees of longitude apart, closing at 400 m/s.
        var west = new GeoPoint(35, 37.9);
        var east = new GeoPoint(35, 38.1);
        var gap = Geodesic.Inverse(west, east).DistanceM;
        Assert.Equal(202, (await blue.Post("v1/tracks", Batch(Report(BlueId, T0, west, 9144, 200, 0, BlueCallsign)))).Status);
        var posted = await red.Post("v1/tracks", Batch(Report(RedId, T0, east, 9144, -200, 0, RedCallsign)));
        Assert.Equal(202, posted.Status);
        Assert.Equal(1, posted.Body!["accepted"]!.GetValue<int>());

        var first = await tactical.RunCycleAsync();
        Assert.Equal((2, 1, 1), (first.Tracks, first.Predictions, first.Decisions));
        var blueRaised = await NextAlert(blueStream);
        var redRaised = await NextAlert(redStream);
        Assert.Equal("raised", blueRaised["action"]!.GetValue<string>());
        var alert = blueRaised["alert"]!;
        var id = alert["id"]!.GetValue<string>();
        Assert.Equal(id, redRaised["alert"]!["id"]!.GetValue<string>());
        Assert.Equal("warning", alert["level"]!.GetValue<string>());
        Assert.Equal("active", alert["state"]!.GetValue<string>());
        // The straight line in the tangent plane is within a metre of the 18.2 km geodesic here.
        Assert.Equal((gap - 5556) / 400, alert["time_to_loss_s"]!.GetValue<double>(), 0.01);
        Assert.Equal(gap / 400, (DateTimeOffset.Parse(alert["cpa"]!["time"]!.GetValue<string>()) - T0).TotalSeconds, 0.01);
        Assert.Equal(0, alert["cpa"]!["horizontal_m"]!.GetValue<double>(), 1.0);
        Assert.Equal(0, alert["cpa"]!["vertical_m"]!.GetValue<double>());
        AssertOwnAndOther(alert, "blue", BlueId, BlueCallsign);
        AssertOwnAndOther(redRaised["alert"]!, "red", RedId, RedCallsign);
        var otherSeenByBlue = Side(alert, "red");
        Assert.Equal(35.0, otherSeenByBlue["position"]!["lat"]!.GetValue<double>(), 9);
        Assert.Equal(38.1, otherSeenByBlue["position"]!["lng"]!.GetValue<double>(), 9);
        Assert.Equal(9144, otherSeenByBlue["altitude_m"]!.GetValue<double>());
        Assert.Equal(-200, otherSeenByBlue["velocity"]!["east_mps"]!.GetValue<double>(), 9);

        // The database holds both ids (the host keeps the full alert); the record got one entry per side.
        await using (var store = server.OpenStore())
        {
            var stored = store.GetAlert(id)!;
            Assert.Equal((BlueId, BlueCallsign, RedId, RedCallsign), (stored.A.TrackId, stored.A.Callsign, stored.B.TrackId, stored.B.Callsign));
            Assert.Equal(1, stored.Version);
        }

        var recorded = server.Get<EventHub>().LastSequence;
        Assert.Equal(0, (await tactical.RunCycleAsync()).Decisions);   // a recomputation is not an event
        Assert.Equal(recorded, server.Get<EventHub>().LastSequence);

        // 20 s later both are 1.8 km apart: loss of separation, raised at once.
        clock.Advance(TimeSpan.FromSeconds(20));
        await blue.Post("v1/tracks", Batch(Report(BlueId, clock.GetUtcNow(), new GeoPoint(35, 37.99), 9144, 200, 0)));
        await red.Post("v1/tracks", Batch(Report(RedId, clock.GetUtcNow(), new GeoPoint(35, 38.01), 9200, -200, 0)));
        Assert.Equal(1, (await tactical.RunCycleAsync()).Decisions);
        var loss = await NextAlert(redStream);
        Assert.Equal(("level-changed", "loss", 2L), (loss["action"]!.GetValue<string>(), loss["alert"]!["level"]!.GetValue<string>(), loss["alert"]!["version"]!.GetValue<long>()));
        Assert.Equal(0, loss["alert"]!["time_to_loss_s"]!.GetValue<double>());
        Assert.Equal(56, loss["alert"]!["cpa"]!["vertical_m"]!.GetValue<double>(), 0.01);
        await NextAlert(blueStream);

        // Acknowledgement: by a side, once; not by others.
        var ack = await blue.Post($"v1/alerts/{id}/acknowledge", new { });
        Assert.Equal(200, ack.Status);
        Assert.Equal("2030-01-01T09:00:20Z", ack.Body!["acknowledged_by"]!["blue"]!.GetValue<string>());
        Assert.Equal(3, ack.Body["version"]!.GetValue<long>());
        Assert.Equal("acknowledged", (await NextAlert(redStream))["action"]!.GetValue<string>());
        Assert.Equal("acknowledged", (await NextAlert(blueStream))["action"]!.GetValue<string>());
        var again = await blue.Post($"v1/alerts/{id}/acknowledge", new { });
        Assert.Equal(3, again.Body!["version"]!.GetValue<long>());
        (await green.Post($"v1/alerts/{id}/acknowledge", new { })).AssertProblem(404, "not-found");
        (await un.Post($"v1/alerts/{id}/acknowledge", new { })).AssertProblem(403, "forbidden");
        (await green.Get($"v1/alerts/{id}")).AssertProblem(404, "not-found");
        Assert.Empty((await green.Get("v1/alerts")).Body!["items"]!.AsArray());

        // The reports stop. At 15 s without a report both tracks are stale, while the last prediction
        // (at 09:00:20, the gap below closing at 400 m/s) still has them within 3 NM until it has
        // opened to 3 NM again: the alert is not cleared but marked lost, on both streams.
        var lastGap = Geodesic.Inverse(new GeoPoint(35, 37.99), new GeoPoint(35, 38.01)).DistanceM;
        var lossEnds = 20 + ((lastGap + 5556) / 400);
        Assert.InRange(lossEnds, 38.1, 38.9);   // so the cycles at 38 s and 39 s fall either side of it
        clock.Advance(TimeSpan.FromSeconds(15));
        var lostCycle = await tactical.RunCycleAsync();
        Assert.Equal((0, 1), (lostCycle.Tracks, lostCycle.Decisions));
        foreach (var (stream, own) in new[] { (blueStream, "blue"), (redStream, "red") })
        {
            var lost = await NextAlert(stream);
            Assert.Equal(("track-lost", "active", 4L), (lost["action"]!.GetValue<string>(), lost["alert"]!["state"]!.GetValue<string>(), lost["alert"]!["version"]!.GetValue<long>()));
            Assert.Equal(("2030-01-01T09:00:35Z", "2030-01-01T09:00:20Z"), (lost["alert"]!["track_lost_at"]!.GetValue<string>(), lost["alert"]!["predicted_at"]!.GetValue<string>()));
            Assert.True(Side(lost["alert"]!, "blue")["lost"]!.GetValue<bool>());
            Assert.True(Side(lost["alert"]!, "red")["lost"]!.GetValue<bool>());
            Assert.Null(lost["alert"]!["cleared_reason"]);
            AssertOwnAndOther(lost["alert"]!, own, own == "blue" ? BlueId : RedId, own == "blue" ? BlueCallsign : RedCallsign);
        }

        var shown = (await blue.Get($"v1/alerts/{id}")).Body!;
        Assert.Equal(("active", "2030-01-01T09:00:35Z"), (shown["state"]!.GetValue<string>(), shown["track_lost_at"]!.GetValue<string>()));
        Assert.Equal(0, (await tactical.RunCycleAsync()).Decisions);   // lost once, not at every cycle
        clock.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(0, (await tactical.RunCycleAsync()).Decisions);   // 38 s: still within the predicted loss
        Assert.Single((await red.Get("v1/alerts?state=active")).Body!["items"]!.AsArray());
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, (await tactical.RunCycleAsync()).Decisions);   // 39 s: the loss it last predicted is over
        var cleared = await NextAlert(blueStream);
        Assert.Equal(("cleared", "cleared", "2030-01-01T09:00:39Z", "track-stale"), (cleared["action"]!.GetValue<string>(), cleared["alert"]!["state"]!.GetValue<string>(), cleared["alert"]!["cleared_at"]!.GetValue<string>(), cleared["alert"]!["cleared_reason"]!.GetValue<string>()));
        Assert.Equal("track-stale", (await NextAlert(redStream))["alert"]!["cleared_reason"]!.GetValue<string>());

        var blueList = await blue.Get("v1/alerts?state=cleared");
        var listed = Assert.Single(blueList.Body!["items"]!.AsArray())!;
        Assert.Equal((id, 5L, "track-stale"), (listed["id"]!.GetValue<string>(), listed["version"]!.GetValue<long>(), listed["cleared_reason"]!.GetValue<string>()));
        Assert.Empty((await blue.Get("v1/alerts?state=active")).Body!["items"]!.AsArray());
        (await blue.Get("v1/alerts?state=gone")).AssertProblem(400, "invalid-parameter");
        var seenByObserver = (await un.Get($"v1/alerts/{id}")).Body!;
        Assert.Equal((BlueId, RedId), (Side(seenByObserver, "blue")["track_id"]!.GetValue<string>(), Side(seenByObserver, "red")["track_id"]!.GetValue<string>()));

        // Privacy, everywhere: nothing a party received names the other party's aircraft.
        var blueTexts = new List<string> { blueList.Body.ToJsonString(), (await blue.Get($"v1/alerts/{id}")).Body!.ToJsonString(), ack.Body.ToJsonString() };
        blueTexts.AddRange(blueStream.Received.Select(e => e.Data.ToJsonString()));
        var redTexts = new List<string> { (await red.Get("v1/alerts")).Body!.ToJsonString(), (await red.Get($"v1/alerts/{id}")).Body!.ToJsonString() };
        redTexts.AddRange(redStream.Received.Select(e => e.Data.ToJsonString()));
        Assert.Equal(5, blueStream.Received.Count(e => e.Type == TacticalService.AlertEvent));
        Assert.All(blueTexts, t => Assert.DoesNotContain(RedId, t));
        Assert.All(blueTexts, t => Assert.DoesNotContain(RedCallsign, t));
        Assert.All(redTexts, t => Assert.DoesNotContain(BlueId, t));
        Assert.All(redTexts, t => Assert.DoesNotContain(BlueCallsign, t));
        (await blue.Get("v1/alerts/status")).AssertProblem(403, "forbidden");
    }

    [Fact]
    public async Task An_alert_reaches_the_other_side_promptly_after_the_report_that_causes_it()
    {
        // The real clock and the default cycle: the report itself wakes the detector.
        await using var server = await TestServer.StartAsync(new DeconflictOptions { Tactical = new TacticalOptions { CycleInterval = TimeSpan.FromMinutes(10) } });
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");
        await using var redStream = await SseClient.ConnectAsync(red);
        var now = DateTimeOffset.UtcNow;
        await red.Post("v1/tracks", Batch(Report(RedId, now, new GeoPoint(-33.9, 151.3), 3000, 0, -150)));
        await blue.Post("v1/tracks", Batch(Report(BlueId, now, new GeoPoint(-34.0, 151.3), 3000, 0, 150)));
        var raised = await NextAlert(redStream, TimeSpan.FromSeconds(5));
        Assert.Equal("raised", raised["action"]!.GetValue<string>());
        AssertOwnAndOther(raised["alert"]!, "red", RedId, null);
    }

    [Fact]
    public async Task An_alert_active_at_a_restart_continues_and_clears_when_its_aircraft_are_not_seen_again()
    {
        var directory = Path.Combine(Path.GetTempPath(), "deconflict-tests", Guid.NewGuid().ToString("N"));
        var clock = new FakeTimeProvider(T0);
        string id;
        string blueToken;
        var first = await TestServer.StartAsync(Manual, clock, directory);
        try
        {
            var created = await first.Admin.Post("v1/parties", new { id = "blue", name = "Blue" });
            blueToken = created.Body!["token"]!.GetValue<string>();
            var blue = first.Client(blueToken);
            var red = await first.AddPartyAsync("red");
            await blue.Post("v1/tracks", Batch(Report(BlueId, T0, new GeoPoint(10, 20), 3000, 100, 0)));
            await red.Post("v1/tracks", Batch(Report(RedId, T0, new GeoPoint(10, 20.1), 3000, -100, 0)));
            Assert.Equal(1, (await first.Get<TacticalService>().RunCycleAsync()).Decisions);
            id = Assert.Single((await blue.Get("v1/alerts?state=active")).Body!["items"]!.AsArray())!["id"]!.GetValue<string>();
        }
        finally
        {
            await first.DisposeAsyncKeepFiles();
        }

        // The tracks are gone with the process; the alert is not: it comes back. The feeds get the
        // staleness limit (15 s) from the restart to report again; red never does, so at 16 s it is
        // lost (blue, reporting, is not), and the alert holds until the loss its stored prediction
        // gave (head-on at 200 m/s closing: the closest approach at gap / 200 s) is over.
        var gap = Geodesic.Inverse(new GeoPoint(10, 20), new GeoPoint(10, 20.1)).DistanceM;
        Assert.InRange(gap / 200, 54.1, 54.9);
        await using var second = await TestServer.StartAsync(Manual, clock, directory);
        var blueAgain = second.Client(blueToken);
        var redAgain = second.Client((await second.Admin.Post("v1/parties/red/tokens", new { })).Body!["token"]!.GetValue<string>());
        var tactical = second.Get<TacticalService>();
        clock.Advance(TimeSpan.FromSeconds(1));
        await blueAgain.Post("v1/tracks", Batch(Report(BlueId, clock.GetUtcNow(), new GeoPoint(10, 20.001), 3000, 100, 0)));
        Assert.Equal(0, (await tactical.RunCycleAsync()).Decisions);   // 1 s: blue alone, red not yet expected back
        clock.Advance(TimeSpan.FromSeconds(9));
        await blueAgain.Post("v1/tracks", Batch(Report(BlueId, clock.GetUtcNow(), new GeoPoint(10, 20.01), 3000, 100, 0)));
        Assert.Equal(0, (await tactical.RunCycleAsync()).Decisions);   // 10 s
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(0, (await tactical.RunCycleAsync()).Decisions);   // 15 s: 14 s after the first cycle since the restart
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, (await tactical.RunCycleAsync()).Decisions);   // 16 s: red lost
        var lost = (await redAgain.Get($"v1/alerts/{id}")).Body!;
        Assert.Equal(("active", 2L, "2030-01-01T09:00:16Z"), (lost["state"]!.GetValue<string>(), lost["version"]!.GetValue<long>(), lost["track_lost_at"]!.GetValue<string>()));
        Assert.True(Side(lost, "red")["lost"]!.GetValue<bool>());
        Assert.Null(Side(lost, "blue")["lost"]);
        Assert.Null(Side(lost, "blue")["track_id"]);
        clock.Advance(TimeSpan.FromSeconds(54 - 16));
        Assert.Equal(0, (await tactical.RunCycleAsync()).Decisions);   // 54 s: the closest approach is still ahead
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, (await tactical.RunCycleAsync()).Decisions);   // 55 s: cleared, the track never seen again
        var alert = (await blueAgain.Get($"v1/alerts/{id}")).Body!;
        Assert.Equal(("cleared", 3L, "track-stale"), (alert["state"]!.GetValue<string>(), alert["version"]!.GetValue<long>(), alert["cleared_reason"]!.GetValue<string>()));
        Assert.Empty((await blueAgain.Get("v1/alerts?state=active")).Body!["items"]!.AsArray());
    }

    [Fact]
    public async Task A_cycle_that_raises_hundreds_of_alerts_commits_every_one_in_order_of_urgency()
    {
        var clock = new FakeTimeProvider(T0);
        await using var server = await TestServer.StartAsync(Manual, clock);
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");
        await using var redStream = await SseClient.ConnectAsync(red);
        // 450 head-on pairs 1 degree of latitude apart: a third in loss now, a third warnings, a third cautions.
        var blues = new List<JsonObject>();
        var reds = new List<JsonObject>();
        for (var i = 0; i < 450; i++)
        {
            var gap = (i % 3) switch { 0 => 3000.0, 1 => 15000.0, _ => 40000.0 };
            var at = new GeoPoint(-60 + (i * 0.25), 10);
            blues.Add(Report($"B{i}", T0, Geodesic.Direct(at, 270, gap / 2), 6000, 150, 0));
            reds.Add(Report($"R{i}", T0, Geodesic.Direct(at, 90, gap / 2), 6000, -150, 0));
        }

        await blue.Post("v1/tracks", Batch([.. blues]));
        await red.Post("v1/tracks", Batch([.. reds]));
        var cycle = await server.Get<TacticalService>().RunCycleAsync();
        Assert.Equal((900, 450, 450), (cycle.Tracks, cycle.Predictions, cycle.Decisions));
        var levels = new List<string>();
        for (var i = 0; i < 450; i++)
        {
            levels.Add((await NextAlert(redStream))["alert"]!["level"]!.GetValue<string>());
        }

        Assert.Equal([.. Enumerable.Repeat("loss", 150), .. Enumerable.Repeat("warning", 150), .. Enumerable.Repeat("caution", 150)], levels);
        await using var store = server.OpenStore();
        Assert.Equal(450, store.ActiveAlerts().Count);
    }

    [Fact]
    public async Task Pairs_of_one_party_are_off_unless_the_parties_agreed_otherwise()
    {
        var clock = new FakeTimeProvider(T0);
        foreach (var sameParty in new[] { false, true })
        {
            await using var server = await TestServer.StartAsync(Manual with { Tactical = Manual.Tactical with { SameParty = sameParty } }, clock);
            var blue = await server.AddPartyAsync("blue");
            await blue.Post("v1/tracks", Batch(
                Report("B1", T0, new GeoPoint(0, 179.95), 5000, 150, 0),
                Report("B2", T0, new GeoPoint(0, -179.95), 5000, -150, 0)));   // across the antimeridian, 11 km apart
            var cycle = await server.Get<TacticalService>().RunCycleAsync();
            Assert.Equal(sameParty ? 1 : 0, cycle.Decisions);
            var items = (await blue.Get("v1/alerts")).Body!["items"]!.AsArray();
            Assert.Equal(sameParty ? 1 : 0, items.Count);
            if (sameParty)
            {
                Assert.Equal(("B1", "B2"), (items[0]!["a"]!["track_id"]!.GetValue<string>(), items[0]!["b"]!["track_id"]!.GetValue<string>()));
            }
        }
    }

    [Fact]
    public async Task Late_and_repeated_reports_are_ignored_and_counted()
    {
        var clock = new FakeTimeProvider(T0);
        await using var server = await TestServer.StartAsync(Manual, clock);
        var blue = await server.AddPartyAsync("blue");
        var p = new GeoPoint(35, 38);
        var r = await blue.Post("v1/tracks", Batch(Report("B1", T0, p, 1000, 10, 0), Report("B1", T0.AddSeconds(-1), p, 1000, 10, 0), Report("B1", T0, p, 1000, 10, 0), Report("B2", T0, p, 1000, 0, 10)));
        Assert.Equal(202, r.Status);
        Assert.Equal((2, 2), (r.Body!["accepted"]!.GetValue<int>(), r.Body["ignored"]!.GetValue<int>()));
        Assert.Equal(2, server.Get<TacticalService>().Tracks.Count);
    }

    public static TheoryData<string, string, string> BadBatches => new()
    {
        { """{ }""", "/tracks", "needs \"tracks\"" },
        { """{ "tracks": [ { "time": "2030-01-01T09:00:00Z", "lat": 1, "lng": 1, "altitude_m": 1, "velocity": { "east_mps": 0, "north_mps": 0, "up_mps": 0 } } ] }""", "/tracks/0/id", "needs an id" },
        { """{ "tracks": [ { "id": "A", "time": "2030-01-01T09:00:00", "lat": 1, "lng": 1, "altitude_m": 1, "velocity": { "east_mps": 0, "north_mps": 0, "up_mps": 0 } } ] }""", "/tracks/0/time", "explicit offset" },
        { """{ "tracks": [ { "id": "A", "time": "2030-02-30T09:00:00Z", "lat": 1, "lng": 1, "altitude_m": 1, "velocity": { "east_mps": 0, "north_mps": 0, "up_mps": 0 } } ] }""", "/tracks/0/time", "not a valid date" },
        { """{ "tracks": [ { "id": "A", "time": "2030-01-01T09:00:06Z", "lat": 1, "lng": 1, "altitude_m": 1, "velocity": { "east_mps": 0, "north_mps": 0, "up_mps": 0 } } ] }""", "/tracks/0/time", "6 s ahead of the service's clock" },
        { """{ "tracks": [ { "id": "A", "time": "2030-01-01T09:00:00Z", "lat": 90.5, "lng": 1, "altitude_m": 1, "velocity": { "east_mps": 0, "north_mps": 0, "up_mps": 0 } } ] }""", "/tracks/0/lat", "[-90, 90]" },
        { """{ "tracks": [ { "id": "A", "time": "2030-01-01T09:00:00Z", "lat": 1, "lng": -180.1, "altitude_m": 1, "velocity": { "east_mps": 0, "north_mps": 0, "up_mps": 0 } } ] }""", "/tracks/0/lng", "[-180, 180]" },
        { """{ "tracks": [ { "id": "A", "time": "2030-01-01T09:00:00Z", "lat": 1, "lng": 1, "velocity": { "east_mps": 0, "north_mps": 0, "up_mps": 0 } } ] }""", "/tracks/0/altitude_m", "altitude_m" },
        { """{ "tracks": [ { "id": "A", "time": "2030-01-01T09:00:00Z", "lat": 1, "lng": 1, "altitude_ft": 30000, "velocity": { "east_mps": 0, "north_mps": 0, "up_mps": 0 } } ] }""", "/tracks/0/altitude_ft", "altitude_ft" },
        { """{ "tracks": [ { "id": "A", "time": "2030-01-01T09:00:00Z", "lat": 1, "lng": 1, "altitude_m": 1 } ] }""", "/tracks/0", "needs its velocity" },
        { """{ "tracks": [ { "id": "A", "time": "2030-01-01T09:00:00Z", "lat": 1, "lng": 1, "altitude_m": 1, "velocity": { "east_mps": 0, "north_mps": 0 } } ] }""", "/tracks/0/velocity", "up_mps" },
        { """{ "tracks": [ { "id": "A", "time": "2030-01-01T09:00:00Z", "lat": 1, "lng": 1, "altitude_m": 1, "velocity": { "east_mps": 1000, "north_mps": 1, "up_mps": 0 } } ] }""", "/tracks/0/velocity", "at most 1000 m/s" },
        { """{ "tracks": [ { "id": "A", "time": "2030-01-01T09:00:00Z", "lat": 1, "lng": 1, "altitude_m": 1, "velocity": { "east_mps": 0, "north_mps": 0, "up_mps": 0 }, "ground_speed_mps": 1 } ] }""", "/tracks/0", "not both" },
        { """{ "tracks": [ { "id": "A", "time": "2030-01-01T09:00:00Z", "lat": 1, "lng": 1, "altitude_m": 1, "ground_speed_mps": 100, "track_deg": 360, "vertical_rate_mps": 0 } ] }""", "/tracks/0/track_deg", "[0, 360)" },
        { """{ "tracks": [ { "id": "A", "time": "2030-01-01T09:00:00Z", "lat": 1, "lng": 1, "altitude_m": 1, "ground_speed_mps": 100, "track_deg": 90 } ] }""", "/tracks/0/vertical_rate_mps", "vertical_rate_mps" },
        { """{ "tracks": [ { "id": "A", "time": "2030-01-01T09:00:00Z", "lat": 1, "lng": 1, "altitude_m": 1, "ground_speed_mps": -1, "track_deg": 90, "vertical_rate_mps": 0 } ] }""", "/tracks/0/ground_speed_mps", "[0, 1000]" },
        { """{ "tracks": [ { "id": "A", "time": "2030-01-01T09:00:00Z", "lat": 1, "lng": 1, "altitude_m": 1, "velocity": { "east_mps": 0, "north_mps": 0, "up_mps": 0 }, "callsign": "ABCDEFGHIJKLMNOPQ" } ] }""", "/tracks/0/callsign", "callsign" },
        { """{ "tracks": [ { "id": "A", "time": "2030-01-01T09:00:00Z", "lat": 1, "lng": 1, "altitude_m": 1, "velocity": { "east_mps": 0, "north_mps": 0, "up_mps": 0 } }, { "id": "B", "time": "2030-01-01T09:00:00Z", "lat": "1", "lng": 1, "altitude_m": 1, "velocity": { "east_mps": 0, "north_mps": 0, "up_mps": 0 } } ] }""", "/tracks/1/lat", "" },
    };

    [Theory]
    [MemberData(nameof(BadBatches))]
    public async Task A_bad_batch_is_refused_whole_with_a_pointer_to_the_first_bad_value(string body, string pointer, string fragment)
    {
        var clock = new FakeTimeProvider(T0);
        await using var server = await TestServer.StartAsync(Manual, clock);
        var blue = await server.AddPartyAsync("blue");
        var problem = (await blue.Send(HttpMethod.Post, "v1/tracks", JsonNode.Parse(body))).AssertProblem(400, "invalid-request");
        Assert.Equal(pointer, problem["pointer"]?.GetValue<string>());
        Assert.Contains(fragment, problem["detail"]!.GetValue<string>());
        Assert.Equal(0, server.Get<TacticalService>().Tracks.Count);
    }

    private const string Damage = "{}[]\",:<>/=\"0-9eE.\u0000x";

    [Fact]
    public async Task Mangled_bodies_are_refused_and_never_break_the_server()
    {
        var clock = new FakeTimeProvider(T0);
        await using var server = await TestServer.StartAsync(Manual, clock);
        var blue = await server.AddPartyAsync("blue");
        var json = Batch(Report("B1", T0, new GeoPoint(35, 38), 9000, 100, 0, "VIPER11")).ToJsonString();
        const string Cot = """<event version="2.0" uid="V1" type="a-f-A" time="2030-01-01T09:00:00Z" start="2030-01-01T09:00:00Z" stale="2030-01-01T09:00:30Z" how="m-g"><point lat="35" lon="38" hae="9000" ce="1" le="1"/><detail><track course="90" speed="100"/></detail></event>""";
        var rnd = new Random(17);
        for (var i = 0; i < 300; i++)
        {
            var (text, type) = i % 2 == 0 ? (json, "application/json") : (Cot, "application/cot+xml");
            var chars = text.ToCharArray();
            for (var k = rnd.Next(1, 4); k > 0; k--)
            {
                // Overwrite, cut or duplicate a piece: the kinds of damage a broken feed does.
                var at = rnd.Next(chars.Length);
                switch (rnd.Next(3))
                {
                    case 0:
                        chars[at] = Damage[rnd.Next(Damage.Length)];
                        break;
                    case 1:
                        chars = chars[..at];
                        break;
                    default:
                        chars = [.. chars[..at], .. chars[at..Math.Min(chars.Length, at + rnd.Next(1, 40))], .. chars[at..]];
                        break;
                }

                if (chars.Length == 0)
                {
                    break;
                }
            }

            using var content = new StringContent(new string(chars), System.Text.Encoding.UTF8, type);
            using var response = await blue.PostAsync("v1/tracks", content);
            var status = (int)response.StatusCode;
            Assert.True(status is 202 or 400, $"{status} for {new string(chars)}: {await response.Content.ReadAsStringAsync()}");
            if (status == 400)
            {
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            }
        }

        Assert.Equal(200, (int)(await server.Client(null).GetAsync("healthz")).StatusCode);
    }

    [Fact]
    public async Task Only_a_party_reports_tracks_and_only_as_json()
    {
        await using var server = await TestServer.StartAsync(Manual);
        var un = await server.AddPartyAsync("un", "observer");
        var blue = await server.AddPartyAsync("blue");
        var batch = Batch(Report("A", DateTimeOffset.UtcNow, new GeoPoint(1, 1), 1, 0, 0));
        (await un.Post("v1/tracks", batch)).AssertProblem(403, "forbidden");
        (await server.Admin.Post("v1/tracks", batch)).AssertProblem(403, "forbidden");
        (await server.Client(null).Post("v1/tracks", batch)).AssertProblem(401, "unauthorized");
        (await blue.Send(HttpMethod.Post, "v1/tracks", batch, contentType: "text/csv")).AssertProblem(415, "unsupported-media-type");
        Assert.Equal(0, server.Get<TacticalService>().Tracks.Count);
    }

    [Fact]
    public async Task Cursor_on_target_events_are_tracks_too_and_a_bad_document_changes_nothing()
    {
        var clock = new FakeTimeProvider(T0);
        await using var server = await TestServer.StartAsync(Manual, clock);
        var blue = await server.AddPartyAsync("blue");
        var tracks = server.Get<TacticalService>().Tracks;
        const string Air = """<event version="2.0" uid="VIPER11" type="a-f-A-M-F-Q" time="2030-01-01T09:00:00Z" start="2030-01-01T09:00:00Z" stale="2030-01-01T09:00:30Z" how="m-g"><point lat="35.5" lon="179.9" hae="7315.2" ce="10" le="15"/><detail><track course="90" speed="200"/><contact callsign="VIPER 11"/></detail></event>""";
        const string Ground = """<event version="2.0" uid="ROVER2" type="a-f-G-U-C" time="2030-01-01T09:00:00Z" start="2030-01-01T09:00:00Z" stale="2030-01-01T09:05:00Z" how="m-g"><point lat="35.1" lon="35.2" hae="120" ce="5" le="5"/><detail/></event>""";
        var posted = await Cot(blue, $"<events>{Air}{Ground}</events>");
        Assert.Equal(202, posted.Status);
        Assert.Equal((1, 0, 1), (posted.Body!["accepted"]!.GetValue<int>(), posted.Body["ignored"]!.GetValue<int>(), posted.Body["skipped"]!.GetValue<int>()));
        var viper = Assert.Single(tracks.Live(T0));
        Assert.Equal(("VIPER11", 35.5, 179.9, 7315.2, T0), (viper.Id, viper.Lat, viper.Lng, viper.AltitudeM, viper.Time));
        Assert.Equal(200, viper.Velocity.East, 9);
        Assert.Equal(0, viper.Velocity.North, 9);

        (await Cot(blue, "<event uid=\"X\"><point")).AssertProblem(400, "invalid-request");
        (await Cot(blue, "<!DOCTYPE x [<!ENTITY a \"b\">]><event/>")).AssertProblem(400, "invalid-request");
        var unknownHeight = await Cot(blue, Air.Replace("VIPER11", "HAWK3").Replace("hae=\"7315.2\"", "hae=\"9999999\""));
        Assert.Equal("/events/0", unknownHeight.AssertProblem(400, "invalid-request")["pointer"]!.GetValue<string>());
        var ahead = await Cot(blue, Air.Replace("VIPER11", "FAST1").Replace("time=\"2030-01-01T09:00:00Z\"", "time=\"2030-01-01T09:01:00Z\""));
        Assert.Equal("/events/0/time", ahead.AssertProblem(400, "invalid-request")["pointer"]!.GetValue<string>());
        Assert.Equal(1, tracks.Count);
    }

    private static Task<(int Status, JsonNode? Body, HttpResponseMessage Response)> Cot(HttpClient client, string xml) =>
        client.Send(HttpMethod.Post, "v1/tracks", xml, contentType: "application/cot+xml");

    private static JsonObject Report(string id, DateTimeOffset time, GeoPoint at, double altitudeM, double eastMps, double northMps, string? callsign = null)
    {
        var report = new JsonObject
        {
            ["id"] = id,
            ["time"] = time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture),
            ["lat"] = at.Lat,
            ["lng"] = at.Lng,
            ["altitude_m"] = altitudeM,
            ["velocity"] = new JsonObject { ["east_mps"] = eastMps, ["north_mps"] = northMps, ["up_mps"] = 0.0 },
        };
        if (callsign is not null)
        {
            report["callsign"] = callsign;
        }

        return report;
    }

    private static JsonObject Batch(params JsonObject[] reports) => new() { ["tracks"] = new JsonArray([.. reports]) };

    private static async Task<JsonNode> NextAlert(SseClient stream, TimeSpan? timeout = null) =>
        (await stream.UntilAsync(e => e.Type == TacticalService.AlertEvent, timeout ?? TimeSpan.FromSeconds(10)))[^1].Data;

    private static JsonNode Side(JsonNode alert, string party) =>
        alert["a"]!["party"]!.GetValue<string>() == party ? alert["a"]! : alert["b"]!;

    /// <summary>The viewer's own aircraft carries its id and callsign; the other carries neither.</summary>
    private static void AssertOwnAndOther(JsonNode alert, string viewer, string ownId, string? ownCallsign)
    {
        var own = Side(alert, viewer);
        var other = alert["a"] == own ? alert["b"]! : alert["a"]!;
        Assert.True(own["own"]!.GetValue<bool>());
        Assert.Equal(ownId, own["track_id"]!.GetValue<string>());
        Assert.Equal(ownCallsign, own["callsign"]?.GetValue<string>());
        Assert.False(other["own"]!.GetValue<bool>());
        Assert.Null(other["track_id"]);
        Assert.Null(other["callsign"]);
    }
}
