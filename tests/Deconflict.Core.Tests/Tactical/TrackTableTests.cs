using Deconflict.Core.Tactical;

namespace Deconflict.Core.Tests.Tactical;

public class TrackTableTests
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 9, 0, 0, TimeSpan.Zero);

    private static TrackReport At(string id, double seconds, double lat = 35.0) =>
        new(id, T0.AddSeconds(seconds), lat, 38.0, 9000, new Enu(100, 0, 0));

    [Fact]
    public void A_newer_report_replaces_the_state_and_late_or_repeated_ones_are_ignored()
    {
        var table = new TrackTable(TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(60));
        Assert.Equal(TrackUpdate.Accepted, table.Report("blue", At("B1", 2, lat: 35.2)));
        Assert.Equal(TrackUpdate.OutOfOrder, table.Report("blue", At("B1", 1, lat: 35.1)));
        Assert.Equal(TrackUpdate.Duplicate, table.Report("blue", At("B1", 2, lat: 35.3)));
        var live = Assert.Single(table.Live(T0.AddSeconds(3)));
        Assert.Equal(35.2, live.Lat);
        Assert.Equal(T0.AddSeconds(2), live.Time);
        Assert.Equal(TrackUpdate.Accepted, table.Report("blue", At("B1", 2.001, lat: 35.4)));
        Assert.Equal(35.4, Assert.Single(table.Live(T0.AddSeconds(3))).Lat);
    }

    [Fact]
    public void Track_ids_are_scoped_by_party()
    {
        var table = new TrackTable(TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(60));
        Assert.Equal(2, table.Report("blue", [At("LEAD1", 1), At("LEAD2", 1)]));
        Assert.Equal(1, table.Report("red", [At("LEAD1", 0)]));
        Assert.Equal(3, table.Count);
        Assert.Equal(["blue/LEAD1", "blue/LEAD2", "red/LEAD1"], table.Live(T0.AddSeconds(1)).Select(s => $"{s.Party}/{s.Id}").Order());
    }

    [Fact]
    public void A_batch_counts_only_what_it_accepted_and_applies_in_order()
    {
        var table = new TrackTable(TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(60));
        Assert.Equal(2, table.Report("blue", [At("B1", 1), At("B1", 1), At("B1", 0.5), At("B1", 3)]));
        Assert.Equal(T0.AddSeconds(3), Assert.Single(table.Live(T0.AddSeconds(3))).Time);
    }

    [Fact]
    public void A_track_is_stale_at_exactly_the_stale_age_and_dropped_at_the_drop_age()
    {
        var table = new TrackTable(TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(60));
        table.Report("blue", At("B1", 0));
        Assert.Single(table.Live(T0.AddSeconds(14.999)));
        Assert.Empty(table.Live(T0.AddSeconds(15)));   // half-open: fresh for [t, t + 15 s)
        Assert.Equal(1, table.Count);                 // stale, but kept for a late feed to resume
        table.Live(T0.AddSeconds(59.999));
        Assert.Equal(1, table.Count);
        table.Live(T0.AddSeconds(60));
        Assert.Equal(0, table.Count);
        Assert.Equal(TrackUpdate.Accepted, table.Report("blue", At("B1", 0)));   // forgotten: even an old time is new again
    }

    [Fact]
    public void A_track_is_fresh_by_the_same_rule_as_the_live_list()
    {
        var table = new TrackTable(TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(60));
        table.Report("blue", At("B1", 0));
        Assert.Equal(T0, table.Fresh(new TrackKey("blue", "B1"), T0.AddSeconds(14.999))?.Time);
        Assert.Null(table.Fresh(new TrackKey("blue", "B1"), T0.AddSeconds(15)));   // stale at exactly 15 s, as in Live
        Assert.Null(table.Fresh(new TrackKey("red", "B1"), T0));
    }

    [Fact]
    public void The_callsign_is_kept_when_a_later_report_has_none()
    {
        var table = new TrackTable(TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(60));
        table.Report("blue", At("B1", 0) with { Callsign = "VIPER11" });
        table.Report("blue", At("B1", 1));
        Assert.Equal("VIPER11", table.CallsignOf(new TrackKey("blue", "B1")));
        Assert.Null(table.CallsignOf(new TrackKey("red", "B1")));
    }

    [Fact]
    public void Reports_from_many_threads_keep_the_newest_per_track()
    {
        var table = new TrackTable(TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(60));
        Parallel.For(0, 8, worker =>
        {
            for (var i = 0; i < 2000; i++)
            {
                // Every worker reports the same 100 tracks at shuffled times; the newest must win.
                table.Report("blue", At($"T{i % 100}", ((i * 7919) + (worker * 131)) % 1000 / 100.0));
            }
        });
        var newest = Enumerable.Range(0, 8).SelectMany(w => Enumerable.Range(0, 2000).Select(i => (Id: $"T{i % 100}", Time: ((i * 7919) + (w * 131)) % 1000)))
            .GroupBy(r => r.Id).ToDictionary(g => g.Key, g => T0.AddSeconds(g.Max(r => r.Time) / 100.0));
        var live = table.Live(T0.AddSeconds(10));
        Assert.Equal(100, live.Count);
        Assert.All(live, s => Assert.Equal(newest[s.Id], s.Time));
    }

    [Fact]
    public void Ages_must_be_sensible()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrackTable(TimeSpan.Zero, TimeSpan.FromSeconds(60)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrackTable(TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(10)));
    }
}
