using System.Text.Json.Nodes;
using Deconflict.Service;
using Deconflict.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Deconflict.Tests.Api;

/// <summary>
/// GET /v1/tracks: a party lists its own live tracks exactly as it reported them (never another
/// party's), the admin every party's, stale ones marked and forgotten ones gone, filtered by box;
/// a bad box is refused as a problem naming the parameter.
/// </summary>
public sealed class TrackListApiTests
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 9, 0, 0, TimeSpan.Zero);

    // No detection cycle runs on its own: the fake clock never reaches the hour.
    private static readonly DeconflictOptions Manual = new()
    {
        Tactical = new TacticalOptions { CycleInterval = TimeSpan.FromHours(1), MinCycleGap = TimeSpan.FromHours(1) },
        LineClockTick = TimeSpan.FromDays(30),
        ExpirySweepInterval = TimeSpan.FromDays(30),
    };

    [Fact]
    public async Task A_party_lists_only_its_own_tracks_with_the_values_it_reported_and_the_admin_lists_all()
    {
        var clock = new FakeTimeProvider(T0);
        await using var server = await TestServer.StartAsync(Manual, clock);
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");
        var un = await server.AddPartyAsync("un", "observer");

        Assert.Equal(202, (await blue.Post("v1/tracks", Batch(
            Report("BLUE2", "2030-01-01T08:59:59.500Z", 35.25, 38.5, 9144.5, 120.25, -40.5, 2.5, "VIPER12"),
            Report("BLUE1", "2030-01-01T09:00:00Z", 35.1, 37.9, 3000, 200, 0, 0, null)))).Status);
        Assert.Equal(202, (await red.Post("v1/tracks", Batch(Report("RED7", "2030-01-01T09:00:00Z", 35.2, 38.1, 9000, -200, 0, 0, "GOLDEN5")))).Status);

        var mine = await List(blue, "v1/tracks");
        Assert.Equal("2030-01-01T09:00:00Z", mine["time"]!.GetValue<string>());
        Assert.Equal(
            """[{"party":"blue","id":"BLUE1","time":"2030-01-01T09:00:00Z","lat":35.1,"lng":37.9,"altitude_m":3000,"velocity":{"east_mps":200,"north_mps":0,"up_mps":0},"stale":false},"""
            + """{"party":"blue","id":"BLUE2","time":"2030-01-01T08:59:59.5Z","lat":35.25,"lng":38.5,"altitude_m":9144.5,"velocity":{"east_mps":120.25,"north_mps":-40.5,"up_mps":2.5},"stale":false,"callsign":"VIPER12"}]""",
            mine["items"]!.ToJsonString());

        // Red's list holds red's aircraft only: nothing of blue's, not even its ids.
        var theirs = (await List(red, "v1/tracks"))["items"]!.ToJsonString();
        Assert.Equal(
            """[{"party":"red","id":"RED7","time":"2030-01-01T09:00:00Z","lat":35.2,"lng":38.1,"altitude_m":9000,"velocity":{"east_mps":-200,"north_mps":0,"up_mps":0},"stale":false,"callsign":"GOLDEN5"}]""",
            theirs);

        foreach (var everyone in new[] { server.Admin, un })
        {
            var all = (await List(everyone, "v1/tracks"))["items"]!.AsArray();
            Assert.Equal(["blue/BLUE1", "blue/BLUE2", "red/RED7"], all.Select(t => $"{t!["party"]}/{t["id"]}"));
        }
    }

    [Fact]
    public async Task A_track_is_marked_stale_after_15_s_without_a_report_and_is_gone_after_60_s()
    {
        var clock = new FakeTimeProvider(T0);
        await using var server = await TestServer.StartAsync(Manual, clock);
        var blue = await server.AddPartyAsync("blue");
        await blue.Post("v1/tracks", Batch(Report("BLUE1", "2030-01-01T09:00:00Z", 35.1, 37.9, 3000, 200, 0, 0, null)));

        clock.Advance(TimeSpan.FromSeconds(14));
        Assert.False((await List(blue, "v1/tracks"))["items"]![0]!["stale"]!.GetValue<bool>());
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True((await List(blue, "v1/tracks"))["items"]![0]!["stale"]!.GetValue<bool>());
        clock.Advance(TimeSpan.FromSeconds(44));
        Assert.Single((await List(blue, "v1/tracks"))["items"]!.AsArray());
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Empty((await List(blue, "v1/tracks"))["items"]!.AsArray());
    }

    [Fact]
    public async Task A_box_keeps_the_tracks_inside_it_also_across_the_antimeridian()
    {
        var clock = new FakeTimeProvider(T0);
        await using var server = await TestServer.StartAsync(Manual, clock);
        var blue = await server.AddPartyAsync("blue");
        await blue.Post("v1/tracks", Batch(
            Report("WEST", "2030-01-01T09:00:00Z", 35, 37.5, 3000, 0, 0, 0, null),
            Report("EAST", "2030-01-01T09:00:00Z", 35, 38.5, 3000, 0, 0, 0, null),
            Report("PACIFIC", "2030-01-01T09:00:00Z", 10, 179.5, 3000, 0, 0, 0, null)));

        Assert.Equal(["WEST"], Ids(await List(blue, "v1/tracks?bbox=37,34,38,36")));
        Assert.Equal(["EAST", "WEST"], Ids(await List(blue, "v1/tracks?bbox=37.5,35,38.5,35")));   // edges included
        Assert.Equal(["PACIFIC"], Ids(await List(blue, "v1/tracks?bbox=179,9,-179,11")));
        Assert.Empty(Ids(await List(blue, "v1/tracks?bbox=0,0,1,1")));
    }

    [Theory]
    [InlineData("37,34,38")]
    [InlineData("37,34,38,36,1")]
    [InlineData("west,34,38,36")]
    [InlineData("37,36,38,34")]
    [InlineData("37,34,181,36")]
    [InlineData("37,-91,38,36")]
    [InlineData("NaN,34,38,36")]
    public async Task A_bad_box_is_refused_with_a_problem_naming_bbox(string bbox)
    {
        await using var server = await TestServer.StartAsync(Manual, new FakeTimeProvider(T0));
        var blue = await server.AddPartyAsync("blue");
        var refused = (await blue.Get($"v1/tracks?bbox={Uri.EscapeDataString(bbox)}")).AssertProblem(400, "invalid-parameter");
        Assert.Equal("bbox", refused["parameter"]!.GetValue<string>());
        Assert.Equal("bbox must be min_lng,min_lat,max_lng,max_lat in degrees (min_lng > max_lng crosses the antimeridian).", refused["detail"]!.GetValue<string>());
    }

    private static async Task<JsonNode> List(HttpClient client, string path)
    {
        var listed = await client.Get(path);
        Assert.Equal(200, listed.Status);
        return listed.Body!;
    }

    private static IEnumerable<string> Ids(JsonNode list) => list["items"]!.AsArray().Select(t => t!["id"]!.GetValue<string>());

    private static JsonObject Report(string id, string time, double lat, double lng, double altitudeM, double east, double north, double up, string? callsign)
    {
        var report = new JsonObject
        {
            ["id"] = id,
            ["time"] = time,
            ["lat"] = lat,
            ["lng"] = lng,
            ["altitude_m"] = altitudeM,
            ["velocity"] = new JsonObject { ["east_mps"] = east, ["north_mps"] = north, ["up_mps"] = up },
        };
        if (callsign is not null)
        {
            report["callsign"] = callsign;
        }

        return report;
    }

    private static JsonObject Batch(params JsonObject[] reports) => new() { ["tracks"] = new JsonArray([.. reports]) };
}
