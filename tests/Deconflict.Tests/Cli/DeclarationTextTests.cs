using System.Text.Json.Nodes;
using Deconflict.Cli;

namespace Deconflict.Tests.Cli;

/// <summary>How the CLI says volumes and tables to a person; expected values worked out by hand.</summary>
public sealed class DeclarationTextTests
{
    [Theory]
    [InlineData(3048.0, "10,000 ft (FL100, 3,048 m)")] // 10,000 ft = FL100
    [InlineData(1524.0, "5,000 ft (1,524 m)")] // below FL100: feet only
    [InlineData(3063.24, "10,050 ft (3,063.2 m)")] // not a whole flight level
    [InlineData(0.0, "0 ft (0 m)")]
    public void Altitudes_are_given_in_feet_with_the_flight_level_from_FL100(double metres, string expected) =>
        Assert.Equal(expected, DeclarationText.Altitude(metres));

    [Theory]
    [InlineData(0.0, 1524.0, "0–5,000 ft")]
    [InlineData(1524.0, 3657.6, "5,000 ft–FL120")]
    [InlineData(4572.0, 7620.0, "FL150–FL250")]
    public void A_band_names_its_unit_once(double lower, double upper, string expected) =>
        Assert.Equal(expected, DeclarationText.BandText(lower, upper));

    [Theory]
    [InlineData("2027-06-01T09:00:00Z", "2027-06-01T11:00:00Z", "2027-06-01 09:00–11:00")]
    [InlineData("2027-06-01T22:00:00Z", "2027-06-02T02:00:00Z", "2027-06-01 22:00–2027-06-02 02:00")]
    [InlineData("2027-06-01T09:00:30Z", "2027-06-01T09:05:00Z", "2027-06-01 09:00:30–09:05:00")]
    [InlineData("2027-06-01T12:00:00+03:00", "2027-06-01T14:00:00+03:00", "2027-06-01 09:00–11:00")] // in UTC
    public void A_window_is_said_in_utc_with_the_date_once_when_it_is_one_day(string start, string end, string expected) =>
        Assert.Equal(expected, DeclarationText.WindowText(DateTimeOffset.Parse(start, System.Globalization.CultureInfo.InvariantCulture), DateTimeOffset.Parse(end, System.Globalization.CultureInfo.InvariantCulture)));

    [Fact]
    public void Volumes_give_the_earliest_start_latest_end_lowest_floor_highest_ceiling_and_the_centre_of_their_box()
    {
        var volumes = JsonNode.Parse("""
            [ { "volume": { "outline_polygon": { "vertices": [ { "lat": 35.0, "lng": 38.0 }, { "lat": 35.0, "lng": 38.5 }, { "lat": 35.4, "lng": 38.5 } ] },
                            "altitude_lower": { "value": 150, "reference": "W84", "units": "FL" },
                            "altitude_upper": { "value": 7620, "reference": "W84", "units": "M" } },
                "time_start": { "value": "2027-06-01T10:00:00Z", "format": "RFC3339" }, "time_end": { "value": "2027-06-01T11:00:00Z", "format": "RFC3339" } },
              { "volume": { "outline_polygon": { "vertices": [ { "lat": 35.4, "lng": 38.5 }, { "lat": 35.4, "lng": 39.0 }, { "lat": 35.8, "lng": 39.0 } ] },
                            "altitude_lower": { "value": 10000, "reference": "W84", "units": "FT" },
                            "altitude_upper": { "value": 20000, "reference": "W84", "units": "FT" } },
                "time_start": { "value": "2027-06-01T09:00:00Z", "format": "RFC3339" }, "time_end": { "value": "2027-06-01T10:30:00Z", "format": "RFC3339" } } ]
            """)!.AsArray();
        Assert.Equal("2027-06-01 09:00–11:00", DeclarationText.WindowText(DeclarationText.Window(volumes)));
        Assert.Equal("FL100–FL250", DeclarationText.BandText(DeclarationText.Band(volumes)));
        Assert.Equal("35.400,38.500", DeclarationText.Where(volumes)); // box 35.0-35.8 N, 38.0-39.0 E
        Assert.Equal("polygon of 3 vertices, bbox 35.0000,38.0000 to 35.4000,38.5000", DeclarationText.Outline(volumes[0]!["volume"]));
    }

    [Fact]
    public void A_circle_is_its_centre_and_radius_in_nautical_miles_and_kilometres()
    {
        var volume = JsonNode.Parse("""{ "outline_circle": { "center": { "lat": 35.4, "lng": 35.9 }, "radius": { "value": 2.5, "units": "KM" } } }""");
        Assert.Equal("circle centred 35.4000,35.9000, radius 1.35 NM (2.5 km)", DeclarationText.Outline(volume)); // 2,500 m / 1,852 m = 1.3499 NM
    }

    [Fact]
    public void A_narrow_table_keeps_the_ids_whole_cuts_names_then_drops_the_least_useful_columns()
    {
        TableColumn[] columns = [new("ID"), new("NAME", Rank: 1, MaxWidth: 20, MinWidth: 6), new("WHERE", Rank: 2), new("NOTE", Rank: 3)];
        string[][] rows = [["op-0123456789", "Combat air patrol north", "35.975,39.000", "x"]];

        Assert.Equal(
            "ID             NAME                  WHERE          NOTE\nop-0123456789  Combat air patrol n…  35.975,39.000  x",
            TableFormat.Render(columns, rows, width: null).ReplaceLineEndings("\n"));

        // 13 + 2 + 6 + 2 + 13 = 36: WHERE fits once NAME is cut to 6; NOTE (4 more and a gap) does not.
        Assert.Equal("ID             NAME    WHERE\nop-0123456789  Comba…  35.975,39.000", TableFormat.Render(columns, rows, width: 36).ReplaceLineEndings("\n"));

        // The id is never dropped or cut, even when it alone is too wide.
        Assert.Equal("ID\nop-0123456789", TableFormat.Render(columns, rows, width: 8).ReplaceLineEndings("\n"));
        Assert.Equal("(none)", TableFormat.Render(columns, [], width: 80));
    }
}
