using System.Text.Json.Nodes;
using Deconflict.Alerts;
using Deconflict.Core.Tactical;
using Deconflict.Declarations;
using Deconflict.Record;
using Deconflict.Service;
using Deconflict.Storage;
using Deconflict.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Deconflict.Tests.Cluster;

/// <summary>
/// The background duties of a node that does not hold the lease do nothing, and one that gains it
/// continues from the database: each duty is built here for a real server's writer and store, on a
/// node whose lease the test gives and takes (the server's own duties wait on timers that do not fire).
/// </summary>
public sealed class LeaseGatedDutiesTests
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 9, 0, 0, TimeSpan.Zero);

    private static readonly DeconflictOptions Manual = new()
    {
        Tactical = new TacticalOptions { CycleInterval = TimeSpan.FromHours(1), MinCycleGap = TimeSpan.FromHours(1) },
        LineClockTick = TimeSpan.FromDays(30),
        ExpirySweepInterval = TimeSpan.FromDays(30),
        RecordHeadInterval = TimeSpan.FromDays(30),
    };

    [Fact]
    public async Task The_expiry_sweep_ends_nothing_without_the_lease_and_ends_what_is_over_with_it()
    {
        var clock = new FakeTimeProvider(Bodies.T0.AddHours(-1));
        await using var server = await TestServer.StartAsync(Manual, clock);
        var blue = await server.AddPartyAsync("blue");
        var posted = await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(35.5, 35.8, start: Bodies.T0, end: Bodies.T0.AddHours(1))));
        var path = $"v1/operations/{posted.Body!["operation"]!["id"]}";
        var node = new FakeCluster();
        var sweep = new ExpirySweep(server.Get<WriteQueue>(), server.Get<DeclarationCommands>(), Manual, clock, node, NullLogger<ExpirySweep>.Instance);
        clock.SetUtcNow(Bodies.T0.AddHours(2));

        Assert.Null(await sweep.TickAsync());
        Assert.Equal("planned", (await blue.Get(path)).Body!["state"]!.GetValue<string>());

        node.HoldsLease = true;
        Assert.Equal(1, await sweep.TickAsync());
        Assert.Equal("ended", (await blue.Get(path)).Body!["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task Record_heads_are_signed_only_with_the_lease_and_continue_from_the_newest_head_in_the_database()
    {
        var clock = new FakeTimeProvider(T0);
        await using var server = await TestServer.StartAsync(Manual, clock);
        var store = server.Get<IDeconflictStore>();

        // The server's own duty signs a head as it starts.
        await PostgresClusterTests.Until(() => store.LatestHead() is not null, TimeSpan.FromSeconds(10), "the start-up head");
        var atStart = store.LatestHead()!;
        await server.AddPartyAsync("blue");
        var node = new FakeCluster();
        var heads = new RecordHeads(
            store, server.Get<WriteQueue>(), server.Get<EventHub>(), server.Get<RecordKey>(), server.Get<RecordAnchor>(), Manual, clock, node, NullLogger<RecordHeads>.Instance);

        Assert.Null(await heads.TickAsync());
        Assert.Equal(atStart.Size, store.LatestHead()!.Size);

        // Meanwhile the node holding the lease (here the server's own duty) signs a head.
        var byOther = await server.Get<RecordHeads>().SignAsync();
        Assert.Equal(store.LastEventSequence(), byOther.Size);
        await server.AddPartyAsync("red");

        node.HoldsLease = true;
        var signed = await heads.TickAsync();
        Assert.NotNull(signed);
        Assert.Equal(store.LastEventSequence(), signed.Size);
        Assert.True(signed.Size > byOther.Size);
        Assert.Equal(signed.Size, store.LatestHead()!.Size);
        Assert.Equal(signed.Size, server.Get<EventHub>().Head.Head!.Size);

        // Nothing new: no second head of the same size.
        Assert.Null(await heads.TickAsync());
    }

    [Fact]
    public async Task Tactical_detection_runs_only_with_the_lease_and_a_node_that_gains_it_continues_the_alerts_raised_meanwhile_without_raising_them_again()
    {
        var clock = new FakeTimeProvider(T0);
        await using var server = await TestServer.StartAsync(Manual, clock);
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");
        var node = new FakeCluster { HoldsLease = true };
        var tactical = new TacticalService(server.Get<WriteQueue>(), server.Get<IDeconflictStore>(), Manual, clock, node, NullLogger<TacticalService>.Instance);

        // This node held the lease while there was nothing to detect.
        Assert.Equal(0, (await tactical.GatedCycleAsync())!.Decisions);
        node.HoldsLease = false;

        // Head-on at FL300, 18 km apart at 400 m/s: an alert, raised by the node then holding the lease.
        var blueReport = new TrackReport("BLUE-1", T0, 35, 37.9, 9144, new Enu(200, 0, 0));
        var redReport = new TrackReport("RED-7", T0, 35, 38.1, 9144, new Enu(-200, 0, 0));
        Assert.Equal(202, (await blue.Post("v1/tracks", Batch(blueReport))).Status);
        Assert.Equal(202, (await red.Post("v1/tracks", Batch(redReport))).Status);
        Assert.Equal(1, (await server.Get<TacticalService>().RunCycleAsync()).Decisions);

        // This node hears the same tracks, but does not detect.
        tactical.Report("blue", [blueReport]);
        tactical.Report("red", [redReport]);
        Assert.Null(await tactical.GatedCycleAsync());
        var recorded = server.Get<EventHub>().LastSequence;

        // Gaining the lease, it takes the alert over from the store: no second alert, no event.
        node.HoldsLease = true;
        var cycle = await tactical.GatedCycleAsync();
        Assert.Equal((2, 1, 0), (cycle!.Tracks, cycle.Predictions, cycle.Decisions));
        Assert.Equal(1, tactical.ActiveAlerts);
        Assert.Single(server.Get<IDeconflictStore>().ActiveAlerts());
        Assert.Equal(recorded, server.Get<EventHub>().LastSequence);
    }

    [Fact]
    public async Task A_single_node_reports_on_healthz_that_it_holds_the_lease_alone_with_no_warnings()
    {
        await using var server = await TestServer.StartAsync();
        var health = await server.Client(null).Get("healthz");

        Assert.Equal(200, health.Status);
        Assert.Equal("ok", health.Body!["status"]!.GetValue<string>());
        Assert.Equal(Environment.MachineName, health.Body["node"]!.GetValue<string>());
        Assert.True(health.Body["lease"]!.GetValue<bool>());
        Assert.Equal(1, health.Body["live_nodes"]!.GetValue<int>());
        Assert.Empty(health.Body["warnings"]!.AsArray());
    }

    private static JsonObject Batch(TrackReport r) => new()
    {
        ["tracks"] = new JsonArray(new JsonObject
        {
            ["id"] = r.Id,
            ["time"] = r.Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture),
            ["lat"] = r.Lat,
            ["lng"] = r.Lng,
            ["altitude_m"] = r.AltitudeM,
            ["velocity"] = new JsonObject { ["east_mps"] = r.Velocity.East, ["north_mps"] = r.Velocity.North, ["up_mps"] = r.Velocity.Up },
        }),
    };
}
