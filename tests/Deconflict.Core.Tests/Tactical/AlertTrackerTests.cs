using Deconflict.Core.Tactical;

namespace Deconflict.Core.Tests.Tactical;

/// <summary>Alert levels, hysteresis and the lifecycle, cycle by cycle.</summary>
public class AlertTrackerTests
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly AlertPolicy Policy = new(WarningS: 60, LookaheadS: 120, AdvisoryS: 180, ClearAfterCycles: 3);

    private static readonly List<TrackState> Tracks =
    [
        new("red", "R7", T0, 35.0, 38.0, 9000, new Enu(-150, 0, 0)),
        new("blue", "B1", T0, 35.0, 37.9, 9000, new Enu(150, 0, 0)),
    ];

    private int _ids;

    [Theory]
    [InlineData(0.0, AlertLevel.Loss)]
    [InlineData(0.001, AlertLevel.Warning)]
    [InlineData(59.999, AlertLevel.Warning)]
    [InlineData(60.0, AlertLevel.Caution)]      // half-open: entry at exactly 60 s is not within 60 s
    [InlineData(119.999, AlertLevel.Caution)]
    [InlineData(120.0, AlertLevel.Advisory)]
    [InlineData(179.999, AlertLevel.Advisory)]
    [InlineData(180.0, null)]
    public void Levels_follow_the_entry_time(double timeIn, AlertLevel? level) =>
        Assert.Equal(level, Policy.Classify(new Encounter(true, timeIn, timeIn + 10, timeIn + 5, 100, 10)));

    [Fact]
    public void No_conflict_has_no_level() =>
        Assert.Null(Policy.Classify(new Encounter(false, double.NaN, double.NaN, 3, 9000, 0)));

    [Fact]
    public void A_new_prediction_raises_at_once_with_the_aircraft_in_party_order()
    {
        var tracker = new AlertTracker(Policy);
        var d = Assert.Single(Cycle(tracker, 90));
        Assert.Equal(AlertChangeKind.Raised, d.Kind);
        Assert.Equal("alert-1", d.AlertId);
        Assert.Equal(AlertLevel.Caution, d.Level);
        Assert.Equal(("blue", "B1", "CALL-B1"), (d.A!.Party, d.A.TrackId, d.A.Callsign));
        Assert.Equal(("red", "R7", "CALL-R7"), (d.B!.Party, d.B.TrackId, d.B.Callsign));
        Assert.Equal(90, d.Encounter.TimeIn);
        Assert.Equal(1, tracker.ActiveCount);
    }

    [Fact]
    public void Recomputations_at_the_same_level_decide_nothing()
    {
        var tracker = new AlertTracker(Policy);
        Cycle(tracker, 110);
        Assert.Empty(Cycle(tracker, 105));
        Assert.Empty(Cycle(tracker, 100));
    }

    [Fact]
    public void A_more_urgent_level_is_raised_at_once_a_less_urgent_one_only_after_it_holds()
    {
        var tracker = new AlertTracker(Policy);
        Cycle(tracker, 65);                                   // caution
        var up = Assert.Single(Cycle(tracker, 59));           // warning, at once
        Assert.Equal((AlertChangeKind.LevelChanged, AlertLevel.Warning, "alert-1"), (up.Kind, up.Level, up.AlertId));
        Assert.Empty(Cycle(tracker, 61));                      // caution once: hysteresis holds warning
        Assert.Empty(Cycle(tracker, 59));                      // back to warning: the streak restarts
        Assert.Empty(Cycle(tracker, 150));                     // advisory
        Assert.Empty(Cycle(tracker, 61));                      // caution
        var down = Assert.Single(Cycle(tracker, 150));         // third lower cycle in a row
        Assert.Equal(AlertLevel.Caution, down.Level);          // the most urgent of the three lower levels
        Assert.Equal("alert-1", down.AlertId);
    }

    [Fact]
    public void A_prediction_hovering_at_a_threshold_does_not_flap()
    {
        var tracker = new AlertTracker(Policy);
        var decisions = new List<AlertDecision>();
        for (var i = 0; i < 20; i++)
        {
            decisions.AddRange(Cycle(tracker, i % 2 == 0 ? 59.9 : 60.1));
        }

        Assert.Equal([AlertChangeKind.Raised], decisions.Select(d => d.Kind));
        Assert.Equal(AlertLevel.Warning, decisions[0].Level);
    }

    [Fact]
    public void An_alert_clears_after_K_cycles_in_a_row_without_a_prediction()
    {
        var tracker = new AlertTracker(Policy);
        Cycle(tracker, 30);
        Assert.Empty(Cycle(tracker, null));
        Assert.Empty(Cycle(tracker, null));
        Assert.Empty(Cycle(tracker, 30));                     // seen again: the count restarts
        Assert.Empty(Cycle(tracker, null));
        Assert.Empty(Cycle(tracker, null));
        var cleared = Assert.Single(Cycle(tracker, null));
        Assert.Equal((AlertChangeKind.Cleared, "alert-1"), (cleared.Kind, cleared.AlertId));
        Assert.Equal(0, tracker.ActiveCount);
        var again = Assert.Single(Cycle(tracker, 30));         // a new encounter is a new alert
        Assert.Equal((AlertChangeKind.Raised, "alert-2"), (again.Kind, again.AlertId));
    }

    [Fact]
    public void A_pair_reported_twice_in_one_cycle_counts_once()
    {
        var tracker = new AlertTracker(Policy);
        var e = new Encounter(true, 30, 50, 40, 1000, 0);
        var decisions = tracker.Step(Tracks, [new TrackConflict(0, 1, e), new TrackConflict(0, 1, e)], T0, NewId, Callsign, Fresh);
        Assert.Single(decisions);
    }

    [Fact]
    public void A_restored_alert_continues_and_clears_by_the_usual_rule()
    {
        var tracker = new AlertTracker(Policy);
        var a = AlertAircraft.Of(Tracks[1], null);
        var b = AlertAircraft.Of(Tracks[0], null);
        tracker.Restore(AlertLifecycle.Raise("alert-old", AlertLevel.Warning, a, b, new Encounter(true, 30, 50, 40, 1000, 0), T0), T0);
        Assert.Empty(Cycle(tracker, 30));                     // same pair, same level: no new alert
        Cycle(tracker, null);
        Cycle(tracker, null);
        Assert.Equal("alert-old", Assert.Single(Cycle(tracker, null)).AlertId);
    }

    [Fact]
    public void Acknowledgements_survive_a_downgrade_and_are_cleared_by_a_more_urgent_level()
    {
        var a = AlertAircraft.Of(Tracks[1], "CALL-B1");
        var b = AlertAircraft.Of(Tracks[0], null);
        var e = new Encounter(true, 90, 130, 110, 2000, 50);
        var raised = AlertLifecycle.Raise("alert-1", AlertLevel.Caution, a, b, e, T0);
        Assert.Equal((1L, AlertState.Active, 90.0), (raised.Version, raised.State, raised.TimeToLossS));
        Assert.Equal(new ClosestApproach(T0.AddSeconds(110), 2000, 50), raised.Cpa);
        var acked = AlertLifecycle.Acknowledge(raised, "red", T0.AddSeconds(5))!;
        Assert.Equal(2, acked.Version);
        Assert.Equal(T0.AddSeconds(5), acked.AcknowledgedBy["red"]);
        Assert.Null(AlertLifecycle.Acknowledge(acked, "red", T0.AddSeconds(6)));
        Assert.Throws<ArgumentException>(() => AlertLifecycle.Acknowledge(acked, "green", T0));
        var lower = AlertLifecycle.ChangeLevel(acked, AlertLevel.Advisory, a, b, e with { TimeIn = 150 }, T0.AddSeconds(10));
        Assert.True(lower.AcknowledgedBy.ContainsKey("red"));
        var higher = AlertLifecycle.ChangeLevel(lower, AlertLevel.Warning, a, b, e with { TimeIn = 40, CpaTime = 50 }, T0.AddSeconds(20));
        Assert.Empty(higher.AcknowledgedBy);
        Assert.Equal((4L, 40.0, T0.AddSeconds(70), T0.AddSeconds(20)), (higher.Version, higher.TimeToLossS, higher.Cpa.Time, higher.PredictedAt));
        var cleared = AlertLifecycle.Clear(higher, T0.AddSeconds(30), ClearReason.Passed);
        Assert.Equal((AlertState.Cleared, T0.AddSeconds(30), 5L, ClearReason.Passed), (cleared.State, cleared.ClearedAt, cleared.Version, cleared.ClearedReason));
    }

    [Fact]
    public void The_policy_refuses_thresholds_out_of_order()
    {
        Assert.Throws<ArgumentException>(() => new AlertTracker(new AlertPolicy(WarningS: 130, LookaheadS: 120)));
        Assert.Throws<ArgumentException>(() => new AlertTracker(new AlertPolicy(AdvisoryS: 100)));
        Assert.Throws<ArgumentException>(() => new AlertTracker(new AlertPolicy(ClearAfterCycles: 0)));
    }

    private List<AlertDecision> Cycle(AlertTracker tracker, double? timeIn) =>
        tracker.Step(Tracks, timeIn is { } t ? [new TrackConflict(0, 1, new Encounter(true, t, t + 20, t + 10, 1000, 0))] : [], T0, NewId, Callsign, Fresh);

    private string NewId() => $"alert-{++_ids}";

    private static string? Callsign(TrackKey key) => $"CALL-{key.Id}";

    private static TrackState? Fresh(TrackKey key) => Tracks.Find(t => t.Party == key.Party && t.Id == key.Id);
}
