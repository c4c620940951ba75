using Deconflict.Core.Feeds;
using Deconflict.Core.Tactical;

namespace Deconflict.Core.Tests.Feeds;

/// <summary>Cursor on Target events into track reports: mapping, skipping, refusing and hostile XML.</summary>
public sealed class CursorOnTargetTests
{
    private const string Viper = """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <event version="2.0" uid="VIPER11" type="a-f-A-M-F-Q" time="2026-11-26T09:00:00.500Z" start="2026-11-26T09:00:00.500Z" stale="2026-11-26T09:00:30Z" how="m-g">
          <point lat="35.41253" lon="35.95104" hae="7315.2" ce="10" le="15"/>
          <detail><track course="95.6" speed="232.7"/><contact callsign="VIPER 11"/></detail>
        </event>
        """;

    [Fact]
    public void An_air_track_becomes_a_report()
    {
        var result = CursorOnTarget.Parse(Viper);
        var r = Assert.Single(result.Reports);
        SbsReplayTests.AssertReport(
            new TrackReport("VIPER11", new DateTimeOffset(2026, 11, 26, 9, 0, 0, 500, TimeSpan.Zero), 35.41253, 35.95104, 7315.2,
                new Enu(232.7 * Math.Sin(95.6 * Math.PI / 180), 232.7 * Math.Cos(95.6 * Math.PI / 180), 0), "VIPER 11"),
            r);
        Assert.Empty(result.Skipped);
        Assert.Empty(result.Refused);
    }

    [Fact]
    public void Slope_splits_the_speed_into_ground_speed_and_vertical_rate_and_times_are_made_utc()
    {
        const string xml = """<event version="2.0" uid="U1" type="a-h-A" time="2026-11-26T11:00:00+02:00" start="2026-11-26T09:00:00Z" stale="2026-11-26T09:01:00Z" how="m-r"><point lat="-10" lon="179.5" hae="-20" ce="9999999" le="9999999"/><detail><track course="0" speed="200" slope="30"/></detail></event>""";
        var r = Assert.Single(CursorOnTarget.Parse(xml).Reports);
        Assert.Equal(new DateTimeOffset(2026, 11, 26, 9, 0, 0, TimeSpan.Zero), r.Time);
        Assert.Equal(TimeSpan.Zero, r.Time.Offset);
        Assert.Equal(0, r.Velocity.East, 1e-9);
        Assert.Equal(200 * Math.Sqrt(3) / 2, r.Velocity.North, 1e-9);
        Assert.Equal(100, r.Velocity.Up, 1e-9);
        Assert.Equal(-20, r.AltitudeM);
        Assert.Null(r.Callsign);
    }

    [Fact]
    public void Several_events_concatenated_each_with_a_declaration_or_inside_a_wrapper()
    {
        var concatenated = Viper + "\n" + Viper.Replace("VIPER11", "VIPER12", StringComparison.Ordinal) + Viper.Replace("a-f-A-M-F-Q", "a-f-G-U-C", StringComparison.Ordinal);
        var a = CursorOnTarget.Parse(concatenated);
        Assert.Equal(["VIPER11", "VIPER12"], a.Reports.Select(r => r.Id));
        Assert.Equal(new CotIssue(2, "VIPER11", "type a-f-G-U-C is not an air track"), Assert.Single(a.Skipped));

        var wrapped = "<?xml version=\"1.0\"?><events><batch>" + Viper.Replace("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>", string.Empty, StringComparison.Ordinal) + "</batch></events>";
        Assert.Equal("VIPER11", Assert.Single(CursorOnTarget.Parse(wrapped).Reports).Id);
    }

    [Theory]
    [InlineData("a-f-A", true)]
    [InlineData("a-h-A-M-F-Q", true)]
    [InlineData("a-u-A-C-F", true)]
    [InlineData("a-f-G-U-C", false)]
    [InlineData("a-f-S", false)]
    [InlineData("a-f", false)]
    [InlineData("b-m-p-s-p-i", false)]
    [InlineData("t-x-c-t", false)]
    [InlineData("A-f-A", false)]
    [InlineData("a-f-AIR", false)]
    public void Only_air_tracks_are_tracks(string type, bool air) => Assert.Equal(air, CursorOnTarget.IsAirTrack(type));

    [Theory]
    [InlineData("""<event uid="X" type="a-f-A" time="2026-11-26T09:00:00Z"><point lat="35" lon="36" hae="9999999" ce="1" le="1"/><detail><track course="1" speed="1"/></detail></event>""", "altitude unknown (hae 9999999)")]
    [InlineData("""<event uid="X" type="a-f-A" time="2026-11-26T09:00:00Z"><point lat="35" lon="36" hae="100" ce="1" le="1"/><detail/></event>""", "no detail/track (velocity unknown)")]
    [InlineData("""<event uid="X" type="a-f-A" time="2026-11-26T09:00:00"><point lat="35" lon="36" hae="100"/><detail><track course="1" speed="1"/></detail></event>""", "bad or missing time '2026-11-26T09:00:00' (RFC 3339 with a zone, e.g. 2026-11-26T09:00:00Z)")]
    [InlineData("""<event uid="X" type="a-f-A" time="2026-11-26T09:00:00Z"><point lat="95" lon="36" hae="100"/><detail><track course="1" speed="1"/></detail></event>""", "bad or missing point lat '95' (degrees in [-90, 90])")]
    [InlineData("""<event uid="X" type="a-f-A" time="2026-11-26T09:00:00Z"><point lat="35" lon="east" hae="100"/><detail><track course="1" speed="1"/></detail></event>""", "bad or missing point lon 'east' (degrees in [-180, 180])")]
    [InlineData("""<event uid="X" type="a-f-A" time="2026-11-26T09:00:00Z"><point lat="35" lon="36"/><detail><track course="1" speed="1"/></detail></event>""", "bad or missing point hae '' (metres above the WGS-84 ellipsoid)")]
    [InlineData("""<event uid="X" type="a-f-A" time="2026-11-26T09:00:00Z"><detail><track course="1" speed="1"/></detail></event>""", "no point")]
    [InlineData("""<event uid="X" type="a-f-A" time="2026-11-26T09:00:00Z"><point lat="35" lon="36" hae="100"/><detail><track course="1" speed="-1"/></detail></event>""", "bad or missing track speed '-1' (m/s, not negative)")]
    [InlineData("""<event uid="X" type="a-f-A" time="2026-11-26T09:00:00Z"><point lat="35" lon="36" hae="100"/><detail><track speed="1"/></detail></event>""", "bad or missing track course '' (degrees)")]
    [InlineData("""<event uid="X" type="a-f-A" time="2026-11-26T09:00:00Z"><point lat="35" lon="36" hae="100"/><detail><track course="1" speed="1" slope="91"/></detail></event>""", "bad track slope '91' (degrees in [-90, 90])")]
    [InlineData("""<event uid=" " type="a-f-A" time="2026-11-26T09:00:00Z"><point lat="35" lon="36" hae="100"/><detail><track course="1" speed="1"/></detail></event>""", "no uid")]
    public void Incomplete_air_events_are_refused_with_a_reason(string xml, string reason)
    {
        var result = CursorOnTarget.Parse(xml + Viper.Replace("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>", string.Empty, StringComparison.Ordinal));
        Assert.Equal(reason, Assert.Single(result.Refused).Reason);
        Assert.Equal(0, result.Refused[0].Index);
        Assert.Equal("VIPER11", Assert.Single(result.Reports).Id);
    }

    [Theory]
    [InlineData("<event uid=\"X\"><point></event>", "Malformed Cursor on Target XML")]
    [InlineData("not xml at all <", "Malformed Cursor on Target XML")]
    [InlineData("<!DOCTYPE event [<!ENTITY x \"boom\">]><event uid=\"&x;\"/>", "DTD")]
    [InlineData("<!DOCTYPE event SYSTEM \"file:///etc/passwd\"><event/>", "DTD")]
    public void Malformed_or_hostile_xml_is_refused_whole_with_a_clear_message(string xml, string message)
    {
        var e = Assert.Throws<FormatException>(() => CursorOnTarget.Parse(xml));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Input_over_the_bound_is_refused()
    {
        var e = Assert.Throws<FormatException>(() => CursorOnTarget.Parse(Viper, maxChars: 100));
        Assert.Contains("larger than the limit of 100", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_stream_splitter_cuts_events_across_chunks_and_drops_what_is_between()
    {
        var stream = "<?xml version=\"1.0\"?>" + Viper + "garbage" + Viper.Replace("VIPER11", "VIPER12", StringComparison.Ordinal) + "<events>" + Viper.Replace("VIPER11", "VIPER13", StringComparison.Ordinal) + "</events><eve";
        var splitter = new CotStreamSplitter();
        var events = new List<string>();
        for (var i = 0; i < stream.Length; i += 7)
        {
            events.AddRange(splitter.Push(stream.AsSpan(i, Math.Min(7, stream.Length - i))));
        }

        Assert.Equal(3, events.Count);
        Assert.All(events, e => Assert.StartsWith("<event ", e, StringComparison.Ordinal));
        Assert.All(events, e => Assert.EndsWith("</event>", e, StringComparison.Ordinal));
        Assert.Equal(["VIPER11", "VIPER12", "VIPER13"], events.Select(e => Assert.Single(CursorOnTarget.Parse(e).Reports).Id));
    }

    [Fact]
    public void The_stream_splitter_drops_an_event_that_never_ends()
    {
        var splitter = new CotStreamSplitter(maxEventChars: 1000);
        Assert.Empty(splitter.Push("<event uid=\"X\">" + new string('x', 2000)));
        Assert.Equal(1, splitter.Oversized);
        Assert.Single(splitter.Push(Viper));
    }
}
