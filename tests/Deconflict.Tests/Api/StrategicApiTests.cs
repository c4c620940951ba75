using System.Text.Json.Nodes;
using Deconflict.Core.Strategic;
using Deconflict.Service;
using Deconflict.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Deconflict.Tests.Api;

/// <summary>Operations, zones and conflicts across two parties, through the real server and its SQLite file.</summary>
public sealed class StrategicApiTests
{
    [Fact]
    public async Task Overlapping_operations_of_two_parties_make_one_conflict_that_both_sides_see()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");

        var a = await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(35.5, 35.8)));
        Assert.Equal(201, a.Status);
        Assert.Equal("\"1\"", a.Response.Headers.ETag?.Tag);
        Assert.Empty(a.Body!["conflicts"]!.AsArray());
        var blueOp = a.Body["operation"]!;
        Assert.Equal("blue", blueOp["party"]!.GetValue<string>());
        Assert.Equal(1, blueOp["version"]!.GetValue<long>());
        Assert.Equal("planned", blueOp["state"]!.GetValue<string>());

        var b = await red.Post("v1/operations", Bodies.Operation(Bodies.Square(35.6, 35.9, lowerM: 4000, upperM: 8000, start: Bodies.T0.AddHours(1), end: Bodies.T0.AddHours(3))));
        Assert.Equal(201, b.Status);
        var conflicts = b.Body!["conflicts"]!.AsArray();
        var conflict = Assert.Single(conflicts)!;
        Assert.Equal("open", conflict["state"]!.GetValue<string>());
        Assert.Equal(b.Body["operation"]!["id"]!.GetValue<string>(), conflict["a"]!["id"]!.GetValue<string>());
        Assert.Equal(blueOp["id"]!.GetValue<string>(), conflict["b"]!["id"]!.GetValue<string>());
        Assert.Equal("blue", conflict["b"]!["party"]!.GetValue<string>());

        // Overlap: time [T0+1h, T0+2h), altitudes [4000, 5000] m.
        Assert.Equal(Bodies.Time(Bodies.T0.AddHours(1)), conflict["overlap"]!["time_start"]!.GetValue<string>());
        Assert.Equal(Bodies.Time(Bodies.T0.AddHours(2)), conflict["overlap"]!["time_end"]!.GetValue<string>());
        Assert.Equal(4000, conflict["overlap"]!["altitude_lower_m"]!.GetValue<double>(), 6);
        Assert.Equal(5000, conflict["overlap"]!["altitude_upper_m"]!.GetValue<double>(), 6);

        var id = conflict["id"]!.GetValue<string>();
        foreach (var side in new[] { blue, red })
        {
            var list = await side.Get("v1/conflicts");
            Assert.Equal(id, Assert.Single(list.Body!["items"]!.AsArray())!["id"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task A_conflict_goes_open_acknowledged_accepted_then_resolves_when_an_update_removes_the_overlap()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");
        await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(35.5, 35.8)));
        var redOp = await red.Post("v1/operations", Bodies.Operation(Bodies.Square(35.55, 35.85)));
        var id = redOp.Body!["conflicts"]![0]!["id"]!.GetValue<string>();
        var redOpId = redOp.Body["operation"]!["id"]!.GetValue<string>();

        var ack1 = await blue.Post($"v1/conflicts/{id}/acknowledge", new { note = "seen by blue duty officer" });
        Assert.Equal(200, ack1.Status);
        Assert.Equal("open", ack1.Body!["state"]!.GetValue<string>());
        Assert.NotNull(ack1.Body["acknowledged_by"]!["blue"]);
        Assert.Null(ack1.Body["acknowledged_by"]!["red"]);

        var again = await blue.Post($"v1/conflicts/{id}/acknowledge", new { note = "twice" });
        Assert.Equal(ack1.Body["version"]!.GetValue<long>(), again.Body!["version"]!.GetValue<long>());

        var ack2 = await red.Post($"v1/conflicts/{id}/acknowledge", new { });
        Assert.Equal("acknowledged", ack2.Body!["state"]!.GetValue<string>());

        var acc1 = await blue.Post($"v1/conflicts/{id}/accept", new { note = "we fly above" });
        Assert.Equal("acknowledged", acc1.Body!["state"]!.GetValue<string>());
        var acc2 = await red.Post($"v1/conflicts/{id}/accept", new { });
        Assert.Equal("accepted", acc2.Body!["state"]!.GetValue<string>());

        // Red moves its operation 200 km east: the overlap is gone, so the conflict resolves by itself.
        var moved = await red.Send(HttpMethod.Put, $"v1/operations/{redOpId}", Bodies.Operation(Bodies.Square(35.55, 38.0)), ifMatch: "\"1\"");
        Assert.Equal(200, moved.Status);
        Assert.Equal("\"2\"", moved.Response.Headers.ETag?.Tag);
        Assert.Empty(moved.Body!["conflicts"]!.AsArray());

        var resolved = await blue.Get($"v1/conflicts/{id}");
        Assert.Equal("resolved", resolved.Body!["state"]!.GetValue<string>());
        Assert.Equal(2, resolved.Body["a"]!["version"]!.GetValue<long>());
        Assert.NotNull(resolved.Body["resolved_at"]);

        var late = await red.Post($"v1/conflicts/{id}/acknowledge", new { });
        late.AssertProblem(409, "invalid-state");
    }

    [Fact]
    public async Task An_update_that_changes_the_overlap_reopens_the_conflict_and_clears_acknowledgements()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");
        await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(35.5, 35.8)));
        var redOp = await red.Post("v1/operations", Bodies.Operation(Bodies.Square(35.55, 35.85)));
        var id = redOp.Body!["conflicts"]![0]!["id"]!.GetValue<string>();
        await blue.Post($"v1/conflicts/{id}/acknowledge", new { });
        await red.Post($"v1/conflicts/{id}/acknowledge", new { });

        var higher = await red.Send(HttpMethod.Put, $"v1/operations/{redOp.Body["operation"]!["id"]}", Bodies.Operation(Bodies.Square(35.55, 35.85, lowerM: 4500, upperM: 9000)), ifMatch: "\"1\"");
        var c = Assert.Single(higher.Body!["conflicts"]!.AsArray())!;
        Assert.Equal(id, c["id"]!.GetValue<string>());
        Assert.Equal("open", c["state"]!.GetValue<string>());
        Assert.Empty(c["acknowledged_by"]!.AsObject());
        Assert.Equal(4500, c["overlap"]!["altitude_lower_m"]!.GetValue<double>(), 6);
    }

    [Fact]
    public async Task Cancelling_an_operation_resolves_its_conflicts_and_keeps_the_object()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");
        var blueOp = await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(35.5, 35.8)));
        var redOp = await red.Post("v1/operations", Bodies.Operation(Bodies.Square(35.55, 35.85)));
        var conflictId = redOp.Body!["conflicts"]![0]!["id"]!.GetValue<string>();
        var blueId = blueOp.Body!["operation"]!["id"]!.GetValue<string>();

        var cancelled = await blue.Send(HttpMethod.Delete, $"v1/operations/{blueId}", ifMatch: "\"1\"");
        Assert.Equal(200, cancelled.Status);
        Assert.Equal("cancelled", cancelled.Body!["operation"]!["state"]!.GetValue<string>());
        var get = await blue.Get($"v1/operations/{blueId}");
        Assert.Equal("cancelled", get.Body!["state"]!.GetValue<string>());
        Assert.Equal("\"2\"", get.Response.Headers.ETag?.Tag);
        Assert.Equal("resolved", (await red.Get($"v1/conflicts/{conflictId}")).Body!["state"]!.GetValue<string>());

        (await blue.Send(HttpMethod.Delete, $"v1/operations/{blueId}", ifMatch: "\"2\"")).AssertProblem(409, "invalid-state");
        (await blue.Send(HttpMethod.Put, $"v1/operations/{blueId}", Bodies.Operation(Bodies.Square(35.5, 35.8)), ifMatch: "\"2\"")).AssertProblem(409, "invalid-state");
    }

    [Fact]
    public async Task The_expiry_sweep_ends_operations_whose_last_volume_is_over_and_resolves_their_conflicts()
    {
        var clock = new FakeTimeProvider(Bodies.T0.AddHours(-1));
        await using var server = await TestServer.StartAsync(new DeconflictOptions { ExpirySweepInterval = TimeSpan.FromHours(1000) }, clock);
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");
        var blueOp = await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(35.5, 35.8, start: Bodies.T0, end: Bodies.T0.AddHours(1))));
        var redOp = await red.Post("v1/operations", Bodies.Operation(Bodies.Square(35.55, 35.85, start: Bodies.T0, end: Bodies.T0.AddHours(3))));
        var conflictId = redOp.Body!["conflicts"]![0]!["id"]!.GetValue<string>();
        var sweep = server.Get<ExpirySweep>();

        // One millisecond before the end of blue's window [T0, T0+1h) it is still live.
        clock.SetUtcNow(Bodies.T0.AddHours(1).AddMilliseconds(-1));
        Assert.Equal(0, await sweep.RunOnceAsync());
        Assert.Equal("planned", (await blue.Get($"v1/operations/{blueOp.Body!["operation"]!["id"]}")).Body!["state"]!.GetValue<string>());

        // At the end (half-open) it is over.
        clock.SetUtcNow(Bodies.T0.AddHours(1));
        Assert.Equal(1, await sweep.RunOnceAsync());
        var ended = await blue.Get($"v1/operations/{blueOp.Body["operation"]!["id"]}");
        Assert.Equal("ended", ended.Body!["state"]!.GetValue<string>());
        Assert.Equal(2, ended.Body["version"]!.GetValue<long>());
        Assert.Equal("resolved", (await red.Get($"v1/conflicts/{conflictId}")).Body!["state"]!.GetValue<string>());
        Assert.Equal("planned", (await red.Get($"v1/operations/{redOp.Body["operation"]!["id"]}")).Body!["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task Known_must_list_every_conflicting_declaration_at_its_current_version_or_nothing_is_stored()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");
        var zone = await blue.Post("v1/zones", Bodies.Zone("exclusive", "West of the Euphrates", Bodies.Square(35.5, 35.8, halfDeg: 0.5, lowerM: 0, upperM: 20000)));
        var zoneId = zone.Body!["zone"]!["id"]!.GetValue<string>();
        var blueOp = await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(35.5, 35.8)));
        var blueOpId = blueOp.Body!["operation"]!["id"]!.GetValue<string>();
        var blueOpV2 = await blue.Send(HttpMethod.Put, $"v1/operations/{blueOpId}", Bodies.Operation(Bodies.Square(35.5, 35.81)), ifMatch: "\"1\"");
        Assert.Equal(200, blueOpV2.Status);

        var body = Bodies.Operation(Bodies.Square(35.52, 35.82));
        body["known"] = new JsonArray(new JsonObject { ["id"] = blueOpId, ["version"] = 1 });
        var refused = await red.Post("v1/operations", body);
        var problem = refused.AssertProblem(409, "missing-awareness");
        var missing = problem["missing"]!.AsArray().Select(m => (m!["id"]!.GetValue<string>(), m["version"]!.GetValue<long>(), m["party"]!.GetValue<string>())).OrderBy(m => m.Item1).ToList();
        Assert.Equal(new[] { (blueOpId, 2L, "blue"), (zoneId, 1L, "blue") }.OrderBy(m => m.Item1), missing);
        Assert.Empty((await red.Get("v1/operations?party=red")).Body!["items"]!.AsArray());
        Assert.Empty((await red.Get("v1/conflicts")).Body!["items"]!.AsArray());

        body["known"] = new JsonArray(new JsonObject { ["id"] = blueOpId, ["version"] = 2 }, new JsonObject { ["id"] = zoneId, ["version"] = 1 });
        var accepted = await red.Post("v1/operations", body);
        Assert.Equal(201, accepted.Status);
        Assert.Equal(2, accepted.Body!["conflicts"]!.AsArray().Count);
    }

    [Fact]
    public async Task Under_the_reject_policy_a_conflict_with_equal_or_higher_priority_is_refused_and_nothing_is_stored()
    {
        await using var server = await TestServer.StartAsync(new DeconflictOptions { Policy = ConflictPolicy.Reject });
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");
        var first = Bodies.Operation(Bodies.Square(35.5, 35.8));
        first["priority"] = 5;
        await blue.Post("v1/operations", first);

        var equal = Bodies.Operation(Bodies.Square(35.55, 35.85));
        equal["priority"] = 5;
        var refused = (await red.Post("v1/operations", equal)).AssertProblem(409, "conflict");
        var would = Assert.Single(refused["conflicts"]!.AsArray())!;
        Assert.Equal("blue", would["b"]!["party"]!.GetValue<string>());
        Assert.Empty((await red.Get("v1/operations?party=red")).Body!["items"]!.AsArray());

        equal["priority"] = 6;
        var higher = await red.Post("v1/operations", equal);
        Assert.Equal(201, higher.Status);
        Assert.Single(higher.Body!["conflicts"]!.AsArray());
    }

    [Fact]
    public async Task The_trial_endpoint_lists_conflicts_and_stores_nothing()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");
        await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(35.5, 35.8)));
        var store = server.OpenStore();
        var before = store.LastEventSequence();

        var trial = await red.Post("v1/operations/check", Bodies.Operation(Bodies.Square(35.55, 35.85)));
        Assert.Equal(200, trial.Status);
        var c = Assert.Single(trial.Body!["conflicts"]!.AsArray())!;
        Assert.Null(c["a"]!["id"]);
        Assert.Equal("red", c["a"]!["party"]!.GetValue<string>());
        Assert.Equal(before, store.LastEventSequence());
        Assert.Empty((await red.Get("v1/conflicts")).Body!["items"]!.AsArray());
    }

    [Theory]
    [InlineData("exclusive", true)]
    [InlineData("protected", true)]
    [InlineData("advisory", false)]
    public async Task An_operation_inside_another_partys_zone_conflicts_by_the_zone_rule(string rule, bool conflicts)
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");
        // A 55 km protected ring around a ground position near Raqqa, or an exclusive side, or advisory.
        await blue.Post("v1/zones", Bodies.Zone(rule, "Ring", Bodies.Circle(35.95, 39.01, 55_000, lowerM: 0, upperM: 15000, start: Bodies.T0.AddDays(-1), end: Bodies.T0.AddDays(30))));
        var op = await red.Post("v1/operations", Bodies.Operation(Bodies.Square(35.9, 39.0, halfDeg: 0.05)));
        Assert.Equal(conflicts ? 1 : 0, op.Body!["conflicts"]!.AsArray().Count);

        // The zone's own party never conflicts with its zone.
        var own = await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(35.9, 39.0, halfDeg: 0.05, start: Bodies.T0.AddDays(1), end: Bodies.T0.AddDays(1).AddHours(1))));
        Assert.Empty(own.Body!["conflicts"]!.AsArray());
    }

    [Fact]
    public async Task A_new_zone_is_checked_against_operations_already_declared()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");
        var op = await red.Post("v1/operations", Bodies.Operation(Bodies.Square(35.9, 39.0, halfDeg: 0.05)));
        var zone = await blue.Post("v1/zones", Bodies.Zone("protected", "Ground forces", Bodies.Circle(35.95, 39.01, 55_000, lowerM: 0, upperM: 15000)));
        Assert.Equal(201, zone.Status);
        var c = Assert.Single(zone.Body!["conflicts"]!.AsArray())!;
        Assert.Equal("zone", c["a"]!["kind"]!.GetValue<string>());
        Assert.Equal(op.Body!["operation"]!["id"]!.GetValue<string>(), c["b"]!["id"]!.GetValue<string>());
        Assert.Equal("protected", zone.Body["zone"]!["rule"]!.GetValue<string>());
        Assert.Equal("Ground forces", zone.Body["zone"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Operations_of_the_same_party_never_conflict()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(35.5, 35.8)));
        var second = await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(35.5, 35.8)));
        Assert.Empty(second.Body!["conflicts"]!.AsArray());
    }

    [Fact]
    public async Task Time_windows_that_only_touch_do_not_conflict_and_altitude_buffers_apply()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");
        await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(35.5, 35.8, start: Bodies.T0, end: Bodies.T0.AddHours(1))));

        var after = await red.Post("v1/operations", Bodies.Operation(Bodies.Square(35.5, 35.8, start: Bodies.T0.AddHours(1), end: Bodies.T0.AddHours(2))));
        Assert.Empty(after.Body!["conflicts"]!.AsArray());

        // Default vertical buffer is 1,000 ft = 304.8 m: a band 300 m above blue's top conflicts, 305 m does not.
        var close = await red.Post("v1/operations", Bodies.Operation(Bodies.Square(35.5, 35.8, lowerM: 5300, upperM: 6000, start: Bodies.T0, end: Bodies.T0.AddHours(1))));
        var c = Assert.Single(close.Body!["conflicts"]!.AsArray())!;
        Assert.Equal(5000, c["overlap"]!["altitude_lower_m"]!.GetValue<double>(), 6);
        Assert.Equal(5300, c["overlap"]!["altitude_upper_m"]!.GetValue<double>(), 6);
        var clear = await red.Post("v1/operations", Bodies.Operation(Bodies.Square(35.5, 35.8, lowerM: 5305, upperM: 6000, start: Bodies.T0, end: Bodies.T0.AddHours(1))));
        Assert.Empty(clear.Body!["conflicts"]!.AsArray());
    }

    [Fact]
    public async Task Operations_across_the_antimeridian_conflict_and_are_found_by_bbox()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");
        var west = await blue.Post("v1/operations", Bodies.Operation(Bodies.Polygon([[-16.9, 179.8], [-16.9, -179.8], [-17.1, -179.8], [-17.1, 179.8]])));
        Assert.Equal(201, west.Status);
        var east = await red.Post("v1/operations", Bodies.Operation(Bodies.Circle(-17.0, -179.9, 3000)));
        Assert.Single(east.Body!["conflicts"]!.AsArray());

        // The circle spans about -179.928 to -179.872 (3 km at 17 S is 0.028 degrees of longitude).
        var found = await red.Get("v1/operations?bbox=179.9,-17.05,-179.85,-16.95");
        Assert.Single((await red.Get("v1/operations?bbox=179.9,-17.05,-179.95,-16.95")).Body!["items"]!.AsArray());
        Assert.Equal(2, found.Body!["items"]!.AsArray().Count);
        var none = await red.Get("v1/operations?bbox=170,-17.05,171,-16.95");
        Assert.Empty(none.Body!["items"]!.AsArray());
    }

    [Fact]
    public async Task Feet_are_converted_at_the_edge_and_served_in_metres()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        var body = Bodies.Operation(Bodies.Square(35.5, 35.8));
        body["volumes"]![0]!["volume"]!["altitude_upper"] = new JsonObject { ["value"] = 30000, ["reference"] = "W84", ["units"] = "FT" };
        var r = await blue.Post("v1/operations", body);
        Assert.Equal(201, r.Status);
        var upper = r.Body!["operation"]!["volumes"]![0]!["volume"]!["altitude_upper"]!;
        Assert.Equal(9144.0, upper["value"]!.GetValue<double>(), 9);
        Assert.Equal("M", upper["units"]!.GetValue<string>());
    }

    [Fact]
    public async Task Lists_page_with_an_opaque_cursor_and_filter_by_state_party_and_time()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var r = await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(10 + i, 10, start: Bodies.T0.AddHours(i), end: Bodies.T0.AddHours(i + 1))));
            ids.Add(r.Body!["operation"]!["id"]!.GetValue<string>());
        }

        await red.Post("v1/operations", Bodies.Operation(Bodies.Square(50, 50)));
        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = await blue.Get("v1/operations?party=blue&limit=2" + (cursor is null ? string.Empty : "&cursor=" + cursor));
            Assert.Equal(200, page.Status);
            seen.AddRange(page.Body!["items"]!.AsArray().Select(i => i!["id"]!.GetValue<string>()));
            cursor = page.Body["next_cursor"]?.GetValue<string>();
        }
        while (cursor is not null);
        Assert.Equal(ids, seen);

        var window = await blue.Get($"v1/operations?party=blue&start={Bodies.Time(Bodies.T0.AddHours(1))}&end={Bodies.Time(Bodies.T0.AddHours(3))}");
        Assert.Equal(ids.Skip(1).Take(2), window.Body!["items"]!.AsArray().Select(i => i!["id"]!.GetValue<string>()));
        Assert.Empty((await blue.Get("v1/operations?state=cancelled")).Body!["items"]!.AsArray());
        Assert.Equal(6, (await blue.Get("v1/operations?state=planned")).Body!["items"]!.AsArray().Count);
    }
}
