using Deconflict.Core.Geometry;
using Deconflict.Core.Volumes;

namespace Deconflict.Core.Tests.Volumes;

public class VolumeParserTests
{
    private static readonly GeometryLimits Limits = new();

    private static readonly F3548Polygon Polygon = new()
    {
        Vertices = [Ll(35.40, 35.90), Ll(35.50, 35.90), Ll(35.50, 36.00), Ll(35.40, 36.00)],
    };

    private static readonly F3548Circle CircleM = new() { Center = Ll(35.4, 35.9), Radius = new F3548Radius { Value = 5000, Units = "M" } };

    private static readonly F3548Volume4D Valid = new()
    {
        Volume = new F3548Volume3D
        {
            OutlinePolygon = Polygon,
            AltitudeLower = Alt(3000, "M"),
            AltitudeUpper = Alt(30000, "FT"),
        },
        TimeStart = new F3548Time { Value = "2026-11-26T09:00:00Z", Format = "RFC3339" },
        TimeEnd = new F3548Time { Value = "2026-11-26T11:00:00Z", Format = "RFC3339" },
    };

    [Fact]
    public void Valid_polygon_volume_is_converted_to_SI_once()
    {
        var result = VolumeParser.Parse(Valid, Limits);
        Assert.Null(result.Error);
        var v = result.Volume!;
        Assert.Equal(3000.0, v.AltitudeLowerM);
        Assert.Equal(30000 * 0.3048, v.AltitudeUpperM, 1e-9);
        Assert.Equal(new DateTimeOffset(2026, 11, 26, 9, 0, 0, TimeSpan.Zero), v.TimeStart);
        Assert.Equal(TimeSpan.Zero, v.TimeStart.Offset);
        var polygon = Assert.IsType<PolygonOutline>(v.Outline);
        Assert.Equal(new GeoPoint(35.40, 35.90), polygon.Vertices[0]);
    }

    /// <summary>
    /// Every unit the design lists, converted exactly: expected metres by hand from the definitions
    /// (1 ft = 0.3048 m, 1 NM = 1,852 m, 1 km = 1,000 m, FL n = n x 100 ft), not from Units.
    /// </summary>
    [Theory]
    [InlineData(150.0, "FL", null, 4572.0)]
    [InlineData(150.0, "FL", "W84", 4572.0)]
    [InlineData(250.0, "FL", null, 7620.0)]
    [InlineData(10_000.0, "FT", "W84", 3048.0)]
    [InlineData(2.5, "KM", "W84", 2500.0)]
    [InlineData(1.5, "NM", "W84", 2778.0)]
    [InlineData(3000.0, "M", "AMSL", 3000.0)]
    [InlineData(3000.0, "M", "MSL", 3000.0)]
    public void Altitudes_in_every_unit_and_reference_become_exact_metres_on_W84(double value, string units, string? reference, double metres)
    {
        var input = Valid with { Volume = Valid.Volume! with { AltitudeLower = new F3548Altitude { Value = value, Units = units, Reference = reference }, AltitudeUpper = Alt(20_000, "M") } };
        var result = VolumeParser.Parse(input, Limits);
        Assert.Null(result.Error);
        Assert.Equal(metres, result.Volume!.AltitudeLowerM);
    }

    [Theory]
    [InlineData(5.0, "NM", 9260.0)]
    [InlineData(2.5, "KM", 2500.0)]
    [InlineData(10_000.0, "FT", 3048.0)]
    [InlineData(1234.5, "M", 1234.5)]
    public void A_circle_radius_in_every_length_unit_becomes_exact_metres(double value, string units, double metres)
    {
        var input = Valid with { Volume = Valid.Volume! with { OutlinePolygon = null, OutlineCircle = CircleM with { Radius = new F3548Radius { Value = value, Units = units } } } };
        var result = VolumeParser.Parse(input, Limits);
        Assert.Null(result.Error);
        Assert.Equal(metres, Assert.IsType<CircleOutline>(result.Volume!.Outline).RadiusM);
    }

    [Fact]
    public void Circle_radius_in_feet_and_offsets_are_converted()
    {
        var input = Valid with
        {
            Volume = Valid.Volume! with { OutlinePolygon = null, OutlineCircle = CircleM with { Radius = new F3548Radius { Value = 1000, Units = "FT" } } },
            TimeStart = new F3548Time { Value = "2026-11-26T11:30:00.123456789+02:30" },
            TimeEnd = new F3548Time { Value = "2026-11-26t10:00:00z" },
        };
        var result = VolumeParser.Parse(input, Limits);
        Assert.Null(result.Error);
        var circle = Assert.IsType<CircleOutline>(result.Volume!.Outline);
        Assert.Equal(304.8, circle.RadiusM, 1e-9);
        Assert.Equal(new DateTimeOffset(2026, 11, 26, 9, 0, 0, TimeSpan.Zero).AddTicks(1234567), result.Volume.TimeStart);
        Assert.Equal(TimeSpan.Zero, result.Volume.TimeStart.Offset);
        Assert.Equal(new DateTimeOffset(2026, 11, 26, 10, 0, 0, TimeSpan.Zero), result.Volume.TimeEnd);
    }

    [Fact]
    public void ToF3548_writes_metres_W84_and_utc_and_round_trips()
    {
        foreach (var input in new[] { Valid, Valid with { Volume = Valid.Volume! with { OutlinePolygon = null, OutlineCircle = CircleM } } })
        {
            var v = VolumeParser.Parse(input, Limits).Volume!;
            var written = VolumeParser.ToF3548(v);
            Assert.Equal("W84", written.Volume!.AltitudeUpper!.Reference);
            Assert.Equal("M", written.Volume.AltitudeUpper.Units);
            Assert.Equal(30000 * 0.3048, written.Volume.AltitudeUpper.Value!.Value, 1e-9);
            Assert.Equal("2026-11-26T09:00:00Z", written.TimeStart!.Value);
            Assert.Equal("RFC3339", written.TimeStart.Format);
            var again = VolumeParser.Parse(written, Limits).Volume!;
            Assert.Equal(v, again);
        }

        var parsed = VolumeParser.Parse(Valid, Limits).Volume!;
        var offset = parsed with { TimeStart = new DateTimeOffset(2026, 11, 26, 11, 0, 0, 500, TimeSpan.FromHours(2)) };
        Assert.Equal("2026-11-26T09:00:00.5Z", VolumeParser.ToF3548(offset).TimeStart!.Value);
    }

    public static TheoryData<string, string, string, string> Errors => new()
    {
        { "null input", VolumeParser.InvalidVolume, "", "missing" },
        { "no volume", VolumeParser.InvalidVolume, "/volume", "no 'volume'" },
        { "both outlines", VolumeParser.InvalidVolume, "/volume", "exactly one of outline_polygon and outline_circle" },
        { "no outline", VolumeParser.InvalidVolume, "/volume", "exactly one of outline_polygon and outline_circle" },
        { "no vertices", VolumeParser.InvalidVolume, "/volume/outline_polygon/vertices", "no vertices" },
        { "vertex without lat", VolumeParser.InvalidVolume, "/volume/outline_polygon/vertices/1/lat", "Vertex 1 needs a latitude" },
        { "vertex lng out of range", VolumeParser.InvalidVolume, "/volume/outline_polygon/vertices/2/lng", "Vertex 2 needs a longitude" },
        { "null vertex", VolumeParser.InvalidVolume, "/volume/outline_polygon/vertices/0", "Vertex 0 is missing" },
        { "two vertices", VolumeParser.InvalidVolume, "/volume/outline_polygon", "at least 3 distinct vertices" },
        { "closing vertex", VolumeParser.InvalidVolume, "/volume/outline_polygon", "last vertex must not repeat the first" },
        { "bow tie", VolumeParser.InvalidVolume, "/volume/outline_polygon", "self-intersecting" },
        { "circle without centre", VolumeParser.InvalidVolume, "/volume/outline_circle/center", "centre is missing" },
        { "circle without radius", VolumeParser.InvalidVolume, "/volume/outline_circle/radius", "no radius" },
        { "radius without value", VolumeParser.InvalidVolume, "/volume/outline_circle/radius/value", "needs a finite value" },
        { "radius without units", VolumeParser.UnknownUnits, "/volume/outline_circle/radius/units", "has no units" },
        { "radius as a flight level", VolumeParser.UnknownUnits, "/volume/outline_circle/radius/units", "a flight level is an altitude, not a length" },
        { "radius in miles", VolumeParser.UnknownUnits, "/volume/outline_circle/radius/units", "the supported units are \"M\", \"FT\", \"KM\" and \"NM\"" },
        { "zero radius", VolumeParser.InvalidVolume, "/volume/outline_circle", "positive finite number" },
        { "circle too big", VolumeParser.InvalidVolume, "/volume/outline_circle", "the limit is 1000 km" },
        { "no altitude_lower", VolumeParser.InvalidVolume, "/volume/altitude_lower", "no altitude_lower" },
        { "altitude without units", VolumeParser.UnknownUnits, "/volume/altitude_upper/units", "altitude_upper has no units" },
        { "altitude in lowercase m", VolumeParser.UnknownUnits, "/volume/altitude_upper/units", "units are written in capitals: \"M\"" },
        { "altitude in lowercase fl", VolumeParser.UnknownUnits, "/volume/altitude_upper/units", "units are written in capitals: \"FL\"" },
        { "flight level above the ground", VolumeParser.UnknownUnits, "/volume/altitude_lower/reference", "a flight level is on the standard pressure datum" },
        { "altitude without reference", VolumeParser.UnknownUnits, "/volume/altitude_lower/reference", "altitude_lower has no reference" },
        { "altitude above ground", VolumeParser.UnknownUnits, "/volume/altitude_upper/reference", "AGL altitudes cannot be deconflicted, because the service has no terrain model" },
        { "altitude above the geoid in another spelling", VolumeParser.UnknownUnits, "/volume/altitude_upper/reference", "the supported references are \"W84\"" },
        { "altitude without value", VolumeParser.InvalidVolume, "/volume/altitude_lower/value", "needs a finite value" },
        { "altitude NaN", VolumeParser.InvalidVolume, "/volume/altitude_lower/value", "needs a finite value" },
        { "altitude below -1,000 m", VolumeParser.InvalidVolume, "/volume/altitude_lower/value", "within [-1000, 100000] m" },
        { "altitude above 100 km in feet", VolumeParser.InvalidVolume, "/volume/altitude_upper/value", "within [-1000, 100000] m" },
        { "band of zero thickness", VolumeParser.InvalidVolume, "/volume/altitude_upper/value", "must be above altitude_lower" },
        { "band upside down", VolumeParser.InvalidVolume, "/volume/altitude_upper/value", "must be above altitude_lower" },
        { "no time_start", VolumeParser.InvalidVolume, "/time_start", "no time_start" },
        { "time without value", VolumeParser.InvalidTime, "/time_start/value", "RFC 3339 time with an explicit offset" },
        { "time without offset", VolumeParser.InvalidTime, "/time_start/value", "RFC 3339 time with an explicit offset" },
        { "time as date only", VolumeParser.InvalidTime, "/time_end/value", "RFC 3339 time with an explicit offset" },
        { "impossible date", VolumeParser.InvalidTime, "/time_start/value", "not a valid date and time" },
        { "other format", VolumeParser.InvalidTime, "/time_end/format", "format \"ISO8601\"" },
        { "zero-length window", VolumeParser.InvalidVolume, "/time_end/value", "must not be empty" },
        { "window ending before it starts", VolumeParser.InvalidVolume, "/time_end/value", "must not be empty" },
        { "same instant written with two offsets", VolumeParser.InvalidVolume, "/time_end/value", "must not be empty" },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void Errors_name_code_pointer_and_problem(string name, string code, string pointer, string fragment)
    {
        var result = VolumeParser.Parse(Mutate(name), Limits);
        Assert.Null(result.Volume);
        Assert.NotNull(result.Error);
        Assert.Equal(code, result.Error!.Code);
        Assert.Equal(pointer, result.Error.Pointer);
        Assert.True(result.Error.Detail.Contains(fragment, StringComparison.Ordinal), $"{name}: '{result.Error.Detail}' lacks '{fragment}'");
    }

    private static F3548Volume4D? Mutate(string name)
    {
        var v = Valid.Volume!;
        F3548Volume4D With(F3548Volume3D volume) => Valid with { Volume = volume };
        F3548Volume4D Circle(F3548Circle circle) => With(v with { OutlinePolygon = null, OutlineCircle = circle });
        F3548Volume4D Vertices(params F3548LatLng?[] vertices) => With(v with { OutlinePolygon = new F3548Polygon { Vertices = [.. vertices.Cast<F3548LatLng>()] } });
        F3548Volume4D Times(string? start, string? end) => Valid with { TimeStart = new F3548Time { Value = start }, TimeEnd = new F3548Time { Value = end } };
        return name switch
        {
            "null input" => null,
            "no volume" => Valid with { Volume = null },
            "both outlines" => With(v with { OutlineCircle = CircleM }),
            "no outline" => With(v with { OutlinePolygon = null }),
            "no vertices" => With(v with { OutlinePolygon = new F3548Polygon() }),
            "vertex without lat" => Vertices(Ll(35, 35), new F3548LatLng { Lng = 35.1 }, Ll(35.1, 35.1)),
            "vertex lng out of range" => Vertices(Ll(35, 35), Ll(35, 35.1), Ll(35.1, 181)),
            "null vertex" => Vertices(null, Ll(35, 35.1), Ll(35.1, 35.1)),
            "two vertices" => Vertices(Ll(35, 35), Ll(35, 35.1)),
            "closing vertex" => Vertices(Ll(35, 35), Ll(35, 35.1), Ll(35.1, 35.1), Ll(35, 35)),
            "bow tie" => Vertices(Ll(35, 35), Ll(35.1, 35.1), Ll(35, 35.1), Ll(35.1, 35)),
            "circle without centre" => Circle(CircleM with { Center = null }),
            "circle without radius" => Circle(CircleM with { Radius = null }),
            "radius without value" => Circle(CircleM with { Radius = new F3548Radius { Units = "M" } }),
            "radius without units" => Circle(CircleM with { Radius = new F3548Radius { Value = 5 } }),
            "radius as a flight level" => Circle(CircleM with { Radius = new F3548Radius { Value = 5, Units = "FL" } }),
            "radius in miles" => Circle(CircleM with { Radius = new F3548Radius { Value = 5, Units = "MI" } }),
            "zero radius" => Circle(CircleM with { Radius = new F3548Radius { Value = 0, Units = "M" } }),
            "circle too big" => Circle(CircleM with { Radius = new F3548Radius { Value = 2_000_000, Units = "FT" } }),
            "no altitude_lower" => With(v with { AltitudeLower = null }),
            "altitude without units" => With(v with { AltitudeUpper = Alt(100, null) }),
            "altitude in lowercase m" => With(v with { AltitudeUpper = Alt(30000, "m") }),
            "altitude in lowercase fl" => With(v with { AltitudeUpper = Alt(150, "fl") }),
            "flight level above the ground" => With(v with { AltitudeLower = new F3548Altitude { Value = 100, Units = "FL", Reference = "AGL" } }),
            "altitude without reference" => With(v with { AltitudeLower = new F3548Altitude { Value = 100, Units = "M" } }),
            "altitude above ground" => With(v with { AltitudeUpper = new F3548Altitude { Value = 100, Units = "M", Reference = "AGL" } }),
            "altitude above the geoid in another spelling" => With(v with { AltitudeUpper = new F3548Altitude { Value = 100, Units = "M", Reference = "EGM96" } }),
            "altitude without value" => With(v with { AltitudeLower = new F3548Altitude { Units = "M", Reference = "W84" } }),
            "altitude NaN" => With(v with { AltitudeLower = Alt(double.NaN, "M") }),
            "altitude below -1,000 m" => With(v with { AltitudeLower = Alt(-1000.5, "M") }),
            "altitude above 100 km in feet" => With(v with { AltitudeUpper = Alt(330_000, "FT") }),
            "band of zero thickness" => With(v with { AltitudeLower = Alt(304.8, "M"), AltitudeUpper = Alt(1000, "FT") }),
            "band upside down" => With(v with { AltitudeLower = Alt(5000, "M"), AltitudeUpper = Alt(4000, "M") }),
            "no time_start" => Valid with { TimeStart = null },
            "time without value" => Times(null, "2026-11-26T11:00:00Z"),
            "time without offset" => Times("2026-11-26T09:00:00", "2026-11-26T11:00:00Z"),
            "time as date only" => Times("2026-11-26T09:00:00Z", "2026-11-27"),
            "impossible date" => Times("2026-02-30T09:00:00Z", "2026-11-26T11:00:00Z"),
            "other format" => Valid with { TimeEnd = new F3548Time { Value = "2026-11-26T11:00:00Z", Format = "ISO8601" } },
            "zero-length window" => Times("2026-11-26T09:00:00Z", "2026-11-26T09:00:00Z"),
            "window ending before it starts" => Times("2026-11-26T09:00:00Z", "2026-11-26T08:59:59.999Z"),
            "same instant written with two offsets" => Times("2026-11-26T09:00:00Z", "2026-11-26T11:00:00+02:00"),
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, "unknown case"),
        };
    }

    private static F3548LatLng Ll(double lat, double lng) => new() { Lat = lat, Lng = lng };

    private static F3548Altitude Alt(double value, string? units) => new() { Value = value, Units = units, Reference = "W84" };
}
