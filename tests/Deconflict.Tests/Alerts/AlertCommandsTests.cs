using Deconflict.Alerts;
using Deconflict.Core.Tactical;
using Deconflict.Service;
using Deconflict.Tests.Service;
using static Deconflict.Tests.Service.Callers;

namespace Deconflict.Tests.Alerts;

/// <summary>
/// A side's acknowledgement of a track alert, called directly through a real writer on a SQLite
/// file: the refusals in the domain's words (reason and exact detail) and what an acknowledgement
/// stores and records.
/// </summary>
public sealed class AlertCommandsTests
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly AlertCommands Commands = new();

    [Fact]
    public async Task A_side_acknowledges_and_the_alert_is_stored_and_recorded_for_both_sides_and_again_changes_nothing()
    {
        await using var w = await WithAlert();

        var acknowledged = await w.Queue.Submit(Blue.PartyId, ctx => Commands.AcknowledgeAsync(ctx, Blue, "alert-1"));
        Assert.True(acknowledged.Ok);
        var stored = w.Store.GetAlert("alert-1")!;
        Assert.Equal(2, stored.Version);
        Assert.Equal(AlertState.Active, stored.State);
        Assert.Equal(["blue"], stored.AcknowledgedBy.Keys);
        Assert.Equal(stored.UpdatedAt, stored.AcknowledgedBy["blue"]);
        Assert.Equal(stored.Version, acknowledged.Value!.Version);

        // One entry per side, each for that side alone, with the acknowledging side as actor.
        var events = w.Events();
        Assert.Equal(2, events.Count);
        Assert.All(events, e =>
        {
            Assert.Equal(TacticalService.AlertEvent, e.Type);
            Assert.Equal("blue", e.Actor);
            Assert.Contains("\"acknowledged\"", e.PayloadJson, StringComparison.Ordinal);
        });
        Assert.Equal([["blue"], ["red"]], events.Select(e => e.Audience.ToArray()));

        var again = await w.Queue.Submit(Blue.PartyId, ctx => Commands.AcknowledgeAsync(ctx, Blue, "alert-1"));
        Assert.True(again.Ok);
        Assert.Equal(2, again.Value!.Version);
        Assert.Equal(2, w.Store.GetAlert("alert-1")!.Version);
        Assert.Equal(2, w.Events().Count);
    }

    [Fact]
    public async Task An_alert_that_does_not_exist_is_not_found()
    {
        await using var w = await WithAlert();

        var refused = await w.Queue.Submit(Blue.PartyId, ctx => Commands.AcknowledgeAsync(ctx, Blue, "alert-none"));

        Assert.Equal(RefusalReason.NotFound, refused.Error!.Reason);
        Assert.Equal("No alert 'alert-none' that you may see.", refused.Error.Detail);
        AssertUnchanged(w);
    }

    [Fact]
    public async Task A_party_that_is_not_a_side_is_told_no_such_alert()
    {
        await using var w = await WithAlert();

        var refused = await w.Queue.Submit(Green.PartyId, ctx => Commands.AcknowledgeAsync(ctx, Green, "alert-1"));

        Assert.Equal(RefusalReason.NotFound, refused.Error!.Reason);
        Assert.Equal("No alert 'alert-1' that you may see.", refused.Error.Detail);
        AssertUnchanged(w);
    }

    [Fact]
    public async Task An_observer_and_the_admin_may_not_acknowledge()
    {
        await using var w = await WithAlert();

        foreach (var caller in new[] { Observer, Admin })
        {
            Assert.Equal(RefusalReason.Forbidden, AlertCommands.MayAcknowledge(caller)!.Reason);
            var refused = await w.Queue.Submit(caller.PartyId, ctx => Commands.AcknowledgeAsync(ctx, caller, "alert-1"));
            Assert.Equal(RefusalReason.Forbidden, refused.Error!.Reason);
            Assert.Equal("Only a side of the alert acknowledges it.", refused.Error.Detail);
        }

        Assert.Null(AlertCommands.MayAcknowledge(Blue));
        AssertUnchanged(w);
    }

    private static void AssertUnchanged(SqliteWriter w)
    {
        var stored = w.Store.GetAlert("alert-1")!;
        Assert.Equal(1, stored.Version);
        Assert.Empty(stored.AcknowledgedBy);
        Assert.Empty(w.Events());
    }

    /// <summary>A writer on its own SQLite file holding one active alert between blue's and red's aircraft.</summary>
    private static async Task<SqliteWriter> WithAlert()
    {
        var blue = new AlertAircraft("blue", "B1", "VIPER11", T0, 10, 10, 3000, new Enu(100, 0, 0));
        var red = new AlertAircraft("red", "R1", null, T0, 10, 10.05, 3000, new Enu(-100, 0, 0));
        var alert = AlertLifecycle.Raise("alert-1", AlertLevel.Warning, blue, red, new Encounter(true, 20, 40, 27, 0, 0), T0);
        var w = new SqliteWriter();
        await w.SeedAsync(async ctx => await ctx.Store.Alerts.InsertAsync(alert));
        return w;
    }
}
