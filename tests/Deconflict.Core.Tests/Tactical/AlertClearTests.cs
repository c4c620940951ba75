using Deconflict.Core.Tactical;

namespace Deconflict.Core.Tests.Tactical;

/// <summary>
/// Each reason an alert clears for, produced by an encounter along the equator with explicit
/// reports and cycle times, through the track table, the detector and the tracker as the service
/// runs them (every second; D = 3 NM, H = 1,000 ft, levels at 60/120/180 s, 3 cycles to clear,
/// stale after 15 s). The expected times are worked out by hand: along the equator a degree of
/// longitude is a pi / 180 = 111,319.49 m of the WGS-84 ellipsoid, and head-on aircraft close at the
/// sum of their speeds, so a gap g is inside 3 NM from (g - D) / closing to (g + D) / closing with
/// the closest approach at g / closing. Every expected event time is checked to be at least 0.05 s
/// from a whole second, so the tangent-plane extrapolation (centimetres off the equator here) cannot
/// move it to another cycle.
/// </summary>
public class AlertClearTests
{
    private const double MetresPerDegree = 6378137 * Math.PI / 180;
    private const double D = 5556;
    private const double H = 304.8;
    private const double Gap = 0.1 * MetresPerDegree;   // 11,131.9 m
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Two_aircraft_that_pass_each_other_clear_as_passed_three_cycles_after_they_are_3_NM_apart_again()
    {
        // 200 m/s each, head-on: inside 3 NM from 13.94 s, closest at 27.83 s, out at 41.72 s.
        var entry = Whole((Gap - D) / 400);
        var exit = Whole((Gap + D) / 400);
        var sky = new Airspace();
        for (var t = 0; t <= 50; t++)
        {
            if (t % 5 == 0)
            {
                sky.Report("blue", "B1", t, 200 * t, 200, 0);
                sky.Report("red", "R1", t, Gap - (200 * t), -200, 0);
            }

            sky.Cycle(t);
        }

        Assert.Equal(
            [(0.0, AlertChangeKind.Raised, AlertLevel.Warning, null), (entry, AlertChangeKind.LevelChanged, AlertLevel.Loss, null), (exit + 2, AlertChangeKind.Cleared, AlertLevel.Loss, ClearReason.Passed)],
            sky.Decisions);
        Assert.Equal((14.0, 44.0), (entry, exit + 2));
    }

    [Fact]
    public void An_aircraft_that_turns_away_before_the_closest_approach_clears_as_diverging()
    {
        // Head-on at 200 m/s each; at 10 s red turns to 045 (141.42 m/s east and north), 7,131.9 m
        // from blue. Relative to blue it then moves at (-58.58, 141.42) m/s: its closest approach,
        // 7,131.9 x 141.42 / 153.06 = 6,589 m, is still 17.8 s ahead, outside 3 NM: no loss any more.
        var s = Gap - 4000;
        var (vx, vy) = ((200 * Math.Sqrt(0.5)) - 200, 200 * Math.Sqrt(0.5));
        var miss = s * vy / Math.Sqrt((vx * vx) + (vy * vy));
        Assert.InRange(miss, 6588, 6590);
        Assert.InRange(-s * vx / ((vx * vx) + (vy * vy)), 17.8, 17.9);
        var sky = new Airspace();
        for (var t = 0; t <= 16; t++)
        {
            if (t % 5 == 0)
            {
                sky.Report("blue", "B1", t, 200 * t, 200, 0);
            }

            if (t is 0 or 5)
            {
                sky.Report("red", "R1", t, Gap - (200 * t), -200, 0);
            }
            else if (t == 10)
            {
                sky.Report("red", "R1", t, Gap - 2000, 200 * Math.Sqrt(0.5), 200 * Math.Sqrt(0.5));
            }

            sky.Cycle(t);
        }

        // The first cycle without the prediction is the turn's (10 s); the third clears.
        Assert.Equal([(0.0, AlertChangeKind.Raised, AlertLevel.Warning, null), (12.0, AlertChangeKind.Cleared, AlertLevel.Warning, ClearReason.Diverging)], sky.Decisions);
    }

    [Fact]
    public void A_track_that_stops_reporting_is_lost_at_exactly_the_staleness_limit_and_clears_as_stale_when_its_predicted_loss_is_over()
    {
        // 100 m/s each, head-on: inside 3 NM from 27.88 s, closest at 55.66 s, out at 83.44 s.
        // Red's last report is at 5 s: fresh while less than 15 s old, stale at 20 s exactly.
        var exit = Whole((Gap + D) / 200);
        var sky = new Airspace();
        foreach (var t in Enumerable.Range(0, 20).Select(t => (double)t).Append(19.999).Concat(Enumerable.Range(20, 71).Select(t => (double)t)))
        {
            if (t % 5 == 0)
            {
                sky.Report("blue", "B1", t, 100 * t, 100, 0);
            }

            if (t is 0 or 5)
            {
                sky.Report("red", "R1", t, Gap - (100 * t), -100, 0);
            }

            sky.Cycle(t);
        }

        Assert.Equal(
            [(0.0, AlertChangeKind.Raised, AlertLevel.Warning, null), (20.0, AlertChangeKind.TrackLost, AlertLevel.Warning, null), (exit, AlertChangeKind.Cleared, AlertLevel.Warning, ClearReason.TrackStale)],
            sky.Decisions);
        Assert.Equal(84.0, exit);   // the first cycle at or after 83.44 s

        // The lost decision: red flagged, blue not, both as the last cycle that saw them (19.999 s), with that cycle's prediction.
        var lost = sky.Log.Single(d => d.Decision.Kind == AlertChangeKind.TrackLost).Decision;
        Assert.Equal((false, true), (lost.A!.Lost, lost.B!.Lost));
        Assert.Equal(("B1", T0.AddSeconds(15), "R1", T0.AddSeconds(5)), (lost.A.TrackId, lost.A.Time, lost.B.TrackId, lost.B.Time));
        Assert.Equal(T0.AddSeconds(19.999), lost.PredictedAt);
        Assert.Equal((Gap - D) / 200 - 19.999, lost.Encounter.TimeIn, 0.01);
        Assert.Equal(0, sky.Tracker.ActiveCount);
    }

    [Fact]
    public void A_lost_track_that_reports_again_is_regained_and_the_alert_then_clears_by_what_both_report()
    {
        // As above, but red reports again at 30 s, on its course: inside 3 NM since 27.88 s (loss).
        var exit = Whole((Gap + D) / 200);
        var sky = new Airspace();
        for (var t = 0; t <= 90; t++)
        {
            if (t % 5 == 0)
            {
                sky.Report("blue", "B1", t, 100 * t, 100, 0);
                if (t is <= 5 or >= 30)
                {
                    sky.Report("red", "R1", t, Gap - (100 * t), -100, 0);
                }
            }

            sky.Cycle(t);
        }

        Assert.Equal(
            [(0.0, AlertChangeKind.Raised, AlertLevel.Warning, null), (20.0, AlertChangeKind.TrackLost, AlertLevel.Warning, null),
             (30.0, AlertChangeKind.TrackRegained, AlertLevel.Loss, null), (exit + 2, AlertChangeKind.Cleared, AlertLevel.Loss, ClearReason.Passed)],
            sky.Decisions);
        var regained = sky.Log.Single(d => d.Decision.Kind == AlertChangeKind.TrackRegained).Decision;
        Assert.Equal((false, false), (regained.A!.Lost, regained.B!.Lost));
    }

    [Fact]
    public void Losing_a_track_after_the_prediction_is_gone_clears_by_the_usual_rule()
    {
        // Passed as in the first scenario (out at 41.72 s); red's reports stop at 40 s, stale at 55 s.
        // The prediction is gone at 42 s while both report: the alert clears at 44 s as passed, never lost.
        var sky = new Airspace();
        for (var t = 0; t <= 60; t++)
        {
            if (t % 5 == 0)
            {
                sky.Report("blue", "B1", t, 200 * t, 200, 0);
                if (t <= 40)
                {
                    sky.Report("red", "R1", t, Gap - (200 * t), -200, 0);
                }
            }

            sky.Cycle(t);
        }

        Assert.Equal(ClearReason.Passed, sky.Decisions[^1].Reason);
        Assert.DoesNotContain(sky.Decisions, d => d.Kind == AlertChangeKind.TrackLost);
    }

    /// <summary>A time in seconds that is not within 0.05 s of a whole second, rounded up to the cycle that first sees it.</summary>
    private static double Whole(double seconds)
    {
        Assert.True(Math.Abs(seconds - Math.Round(seconds)) > 0.05, $"{seconds} s is too close to a cycle");
        return Math.Ceiling(seconds);
    }

    private sealed class Airspace
    {
        private readonly TrackTable _table = new(TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(60));
        private int _ids;

        public AlertTracker Tracker { get; } = new(new AlertPolicy(WarningS: 60, LookaheadS: 120, AdvisoryS: 180, ClearAfterCycles: 3));

        public List<(double At, AlertDecision Decision)> Log { get; } = [];

        public List<(double At, AlertChangeKind Kind, AlertLevel Level, ClearReason? Reason)> Decisions =>
            [.. Log.Select(d => (d.At, d.Decision.Kind, d.Decision.Level, d.Decision.Reason))];

        /// <summary>A report at <paramref name="t"/> s of an aircraft <paramref name="eastM"/> metres east of 0 E on the equator at FL300.</summary>
        public void Report(string party, string id, double t, double eastM, double eastMps, double northMps) =>
            Assert.Equal(TrackUpdate.Accepted, _table.Report(party, new TrackReport(id, T0.AddSeconds(t), 0, eastM / MetresPerDegree, 9144, new Enu(eastMps, northMps, 0))));

        public void Cycle(double t)
        {
            var now = T0.AddSeconds(t);
            var live = _table.Live(now);
            var predictions = TacticalDetector.Detect(live, now, D, H, 180);
            foreach (var d in Tracker.Step(live, predictions, now, () => $"alert-{++_ids}", _ => null, k => _table.Fresh(k, now)))
            {
                Log.Add((t, d));
            }
        }
    }
}
