using System.Text.Json.Nodes;
using Deconflict.Alerts;
using Deconflict.Core.Record;
using Deconflict.Service;
using Deconflict.Tests.Cli;
using Deconflict.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Deconflict.Tests.Api;

/// <summary>
/// Why an alert cleared, on a real server: both sides' streams get the clear with its reason,
/// <c>GET /v1/alerts?state=cleared</c> shows it, the record entry of each side carries it, and the
/// record still verifies (the start check binding rows to entries, and <c>record verify</c>).
/// The encounters are the hand-worked ones of the Core tests (Tactical/AlertClearTests): head-on
/// along the equator at 200 m/s each, 0.1 degree (11,131.9 m) apart, one cycle a second.
/// </summary>
public sealed class AlertClearTests
{
    private const double MetresPerDegree = 6378137 * Math.PI / 180;
    private const double Gap = 0.1 * MetresPerDegree;
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 9, 0, 0, TimeSpan.Zero);

    private static readonly DeconflictOptions Manual = new()
    {
        Tactical = new TacticalOptions { CycleInterval = TimeSpan.FromHours(1), MinCycleGap = TimeSpan.FromHours(1) },
        LineClockTick = TimeSpan.FromDays(30),
        ExpirySweepInterval = TimeSpan.FromDays(30),
    };

    [Fact]
    public async Task Aircraft_that_pass_each_other_clear_as_passed_on_both_streams_in_the_list_and_in_the_record_which_still_verifies()
    {
        var directory = Path.Combine(Path.GetTempPath(), "deconflict-tests", Guid.NewGuid().ToString("N"));
        var clock = new FakeTimeProvider(T0);
        string id;
        string blueToken;
        var server = await TestServer.StartAsync(Manual, clock, directory);
        try
        {
            blueToken = await Token(server, "blue");
            var blue = server.Client(blueToken);
            var red = server.Client(await Token(server, "red"));
            await using var blueStream = await SseClient.ConnectAsync(blue);
            await using var redStream = await SseClient.ConnectAsync(red);

            // Inside 3 NM from 13.94 s to 41.72 s: the prediction is gone at 42 s, the third cycle without it is 44 s.
            await Fly(server, clock, blue, red, 44, turnAt: null);
            foreach (var (stream, own) in new[] { (blueStream, "blue"), (redStream, "red") })
            {
                var events = (await stream.UntilAsync(e => e.Type == TacticalService.AlertEvent && Action(e.Data) == "cleared", TimeSpan.FromSeconds(10)))
                    .Where(e => e.Type == TacticalService.AlertEvent).Select(e => e.Data).ToList();
                Assert.Equal(["raised", "level-changed", "cleared"], events.Select(Action));
                var cleared = events[^1]["alert"]!;
                Assert.Equal(("cleared", "passed", "2030-01-01T09:00:44Z"), (cleared["state"]!.GetValue<string>(), cleared["cleared_reason"]!.GetValue<string>(), cleared["cleared_at"]!.GetValue<string>()));
                Assert.Null(Other(cleared, own)["track_id"]);
            }

            var listed = Assert.Single((await red.Get("v1/alerts?state=cleared")).Body!["items"]!.AsArray())!;
            id = listed["id"]!.GetValue<string>();
            Assert.Equal("passed", listed["cleared_reason"]!.GetValue<string>());

            // The prediction kept is the last one recorded (the loss at 14 s), as of its predicted_at: not live.
            Assert.Equal(("loss", 0.0, "2030-01-01T09:00:14Z"), (listed["level"]!.GetValue<string>(), listed["time_to_loss_s"]!.GetValue<double>(), listed["predicted_at"]!.GetValue<string>()));
            Assert.Empty((await blue.Get("v1/alerts?state=active")).Body!["items"]!.AsArray());

            // Each side's record entry of the clear carries the reason, in that side's view.
            foreach (var (client, own) in new[] { (blue, "blue"), (red, "red") })
            {
                var entry = (await Entries(client)).Single(e => e.Type == TacticalService.AlertEvent && Action(JsonNode.Parse(e.PayloadJson)!) == "cleared" && e.Parties.SequenceEqual([own]));
                Assert.Equal("passed", JsonNode.Parse(entry.PayloadJson)!["alert"]!["cleared_reason"]!.GetValue<string>());
            }

            await server.Admin.Post("v1/record/head", null);
            var verified = await CliTests.Run(server, blueToken, "record", "verify");
            Assert.True(verified.Exit == 0, verified.Out + verified.Err);
        }
        finally
        {
            await server.DisposeAsyncKeepFiles();
        }

        // The start check compares every served row with the entry it names: the cleared alert with its reason passes.
        await using var again = await TestServer.StartAsync(Manual, clock, directory);
        var shown = (await again.Client(blueToken).Get($"v1/alerts/{id}")).Body!;
        Assert.Equal(("cleared", "passed"), (shown["state"]!.GetValue<string>(), shown["cleared_reason"]!.GetValue<string>()));
    }

    [Fact]
    public async Task An_aircraft_that_turns_away_before_the_closest_approach_clears_as_diverging_on_both_streams()
    {
        var clock = new FakeTimeProvider(T0);
        await using var server = await TestServer.StartAsync(Manual, clock);
        var blue = server.Client(await Token(server, "blue"));
        var red = server.Client(await Token(server, "red"));
        await using var blueStream = await SseClient.ConnectAsync(blue);
        await using var redStream = await SseClient.ConnectAsync(red);

        // Red turns to 045 at 10 s: its closest approach, 6,589 m, is outside 3 NM and 17.8 s ahead.
        await Fly(server, clock, blue, red, 12, turnAt: 10);
        foreach (var stream in new[] { blueStream, redStream })
        {
            var events = (await stream.UntilAsync(e => e.Type == TacticalService.AlertEvent && Action(e.Data) == "cleared", TimeSpan.FromSeconds(10)))
                .Where(e => e.Type == TacticalService.AlertEvent).Select(e => e.Data).ToList();
            Assert.Equal(["raised", "cleared"], events.Select(Action));
            Assert.Equal(("diverging", "2030-01-01T09:00:12Z"), (events[^1]["alert"]!["cleared_reason"]!.GetValue<string>(), events[^1]["alert"]!["cleared_at"]!.GetValue<string>()));
        }

        Assert.Equal("diverging", Assert.Single((await blue.Get("v1/alerts?state=cleared")).Body!["items"]!.AsArray())!["cleared_reason"]!.GetValue<string>());
    }

    [Fact]
    public void An_alert_stored_before_clear_reasons_reads_back_and_states_its_entry_exactly_as_before()
    {
        // A cleared alert's row as the store wrote it before cleared_reason, track_lost_at and lost
        // existed, and blue's view of it as that version's record entry holds it: the start check
        // compares the two byte for byte, so neither may gain a member.
        const string Row = """{"id":"alert-1","version":2,"state":"cleared","level":"warning","a":{"party":"blue","track_id":"B1","callsign":"VIPER11","time":"2030-01-01T09:00:00Z","lat":0,"lng":0,"altitude_m":9144,"east_mps":200,"north_mps":0,"up_mps":0},"b":{"party":"red","track_id":"R1","time":"2030-01-01T09:00:00Z","lat":0,"lng":0.1,"altitude_m":9144,"east_mps":-200,"north_mps":0,"up_mps":0},"time_to_loss_s":13.9,"cpa":{"time":"2030-01-01T09:00:27.8Z","horizontal_m":0,"vertical_m":0},"predicted_at":"2030-01-01T09:00:00Z","acknowledged_by":{},"raised_at":"2030-01-01T09:00:00Z","updated_at":"2030-01-01T09:00:30Z","cleared_at":"2030-01-01T09:00:30Z"}""";
        const string Entry = """{"id":"alert-1","version":2,"state":"cleared","level":"warning","a":{"party":"blue","own":true,"track_id":"B1","callsign":"VIPER11","time":"2030-01-01T09:00:00Z","position":{"lat":0,"lng":0},"altitude_m":9144,"velocity":{"east_mps":200,"north_mps":0,"up_mps":0}},"b":{"party":"red","own":false,"time":"2030-01-01T09:00:00Z","position":{"lat":0,"lng":0.1},"altitude_m":9144,"velocity":{"east_mps":-200,"north_mps":0,"up_mps":0}},"time_to_loss_s":13.9,"cpa":{"time":"2030-01-01T09:00:27.8Z","horizontal_m":0,"vertical_m":0},"predicted_at":"2030-01-01T09:00:00Z","acknowledged_by":{},"raised_at":"2030-01-01T09:00:00Z","updated_at":"2030-01-01T09:00:30Z","cleared_at":"2030-01-01T09:00:30Z"}""";
        var alert = Deconflict.Storage.Sqlite.AlertRows.Deserialize(Row);
        Assert.Equal((Core.Tactical.AlertState.Cleared, null, null, false, false), (alert.State, alert.ClearedReason, alert.TrackLostAt, alert.A.Lost, alert.B.Lost));
        Assert.Equal(Row, Deconflict.Storage.Sqlite.AlertRows.Serialize(alert));
        Assert.Equal(Entry, System.Text.Json.JsonSerializer.Serialize(AlertView.ForEntry(alert, "blue"), Deconflict.Api.Json.Options));
    }

    /// <summary>
    /// Blue east and red west along the equator at 200 m/s, reporting every 5 s, one cycle a second
    /// from 0 to <paramref name="until"/> s; red turns to 045 at <paramref name="turnAt"/> s.
    /// </summary>
    private static async Task Fly(TestServer server, FakeTimeProvider clock, HttpClient blue, HttpClient red, int until, int? turnAt)
    {
        var tactical = server.Get<TacticalService>();
        for (var t = 0; t <= until; t++)
        {
            if (t > 0)
            {
                clock.Advance(TimeSpan.FromSeconds(1));
            }

            if (t % 5 == 0)
            {
                await blue.Post("v1/tracks", Batch("B1", clock.GetUtcNow(), 200 * t, 200, 0));
                if (turnAt is null || t < turnAt)
                {
                    await red.Post("v1/tracks", Batch("R1", clock.GetUtcNow(), Gap - (200 * t), -200, 0));
                }
                else if (t == turnAt)
                {
                    await red.Post("v1/tracks", Batch("R1", clock.GetUtcNow(), Gap - (200 * t), 200 * Math.Sqrt(0.5), 200 * Math.Sqrt(0.5)));
                }
            }

            await tactical.RunCycleAsync();
        }
    }

    private static async Task<string> Token(TestServer server, string party) =>
        (await server.Admin.Post("v1/parties", new { id = party, name = party })).Body!["token"]!.GetValue<string>();

    private static async Task<List<RecordEntry>> Entries(HttpClient client) =>
        [.. (await client.Get("v1/record/entries")).Body!["items"]!.AsArray()
            .Where(i => i!["entry"] is not null)
            .Select(i => RecordEntry.Parse(Convert.FromBase64String(i!["entry"]!.GetValue<string>()))!)];

    private static string Action(JsonNode data) => data["action"]!.GetValue<string>();

    private static JsonNode Other(JsonNode alert, string viewer) =>
        alert["a"]!["party"]!.GetValue<string>() == viewer ? alert["b"]! : alert["a"]!;

    /// <summary>One report at FL300 of an aircraft <paramref name="eastM"/> metres east of 0 E on the equator.</summary>
    private static JsonObject Batch(string id, DateTimeOffset time, double eastM, double eastMps, double northMps) => new()
    {
        ["tracks"] = new JsonArray(new JsonObject
        {
            ["id"] = id,
            ["time"] = time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture),
            ["lat"] = 0.0,
            ["lng"] = eastM / MetresPerDegree,
            ["altitude_m"] = 9144.0,
            ["velocity"] = new JsonObject { ["east_mps"] = eastMps, ["north_mps"] = northMps, ["up_mps"] = 0.0 },
        }),
    };
}
