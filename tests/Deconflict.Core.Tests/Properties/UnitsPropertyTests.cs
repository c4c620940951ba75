using CsCheck;
using Deconflict.Core.Geometry;
using Deconflict.Core.Volumes;

namespace Deconflict.Core.Tests.Properties;

/// <summary>
/// Unit conversions: every unit's value to metres and back is the value (within two units in the
/// last place), the units agree with each other (1 FL = 100 FT, 1 NM = 1,852 M, 1 KM = 1,000 M), and
/// a volume given in feet, written out in metres and read again is the same volume.
/// </summary>
public sealed class UnitsPropertyTests
{
    private static readonly Gen<LengthUnit> Unit = Gen.Int[0, 4].Select(i => (LengthUnit)i);

    [Fact]
    public void A_value_to_metres_and_back_is_the_value() => RoundTrip(500);

    [Fact]
    [Trait("Category", "Slow")]
    public void A_value_to_metres_and_back_is_the_value_slow() => RoundTrip(200_000);

    [Fact]
    public void Units_agree_with_each_other() =>
        Gen.Double[-1e7, 1e7].Sample(x =>
        {
            Assert.Equal(x * 100.0 * 0.3048, Units.ToMetres(x, LengthUnit.FL), 1e-9 * Math.Max(1.0, Math.Abs(x)));
            Assert.Equal(Units.ToMetres(x * 100.0, LengthUnit.FT), Units.ToMetres(x, LengthUnit.FL), 1e-9 * Math.Max(1.0, Math.Abs(x)));
            Assert.Equal(x * 1852.0, Units.ToMetres(x, LengthUnit.NM));
            Assert.Equal(x * 1000.0, Units.ToMetres(x, LengthUnit.KM));
            Assert.Equal(x, Units.ToMetres(x, LengthUnit.M));
        }, iter: 500);

    [Fact]
    public void Every_unit_symbol_reads_back_as_its_unit()
    {
        foreach (var unit in Enum.GetValues<LengthUnit>())
        {
            Assert.True(Units.TryParse(Units.Symbol(unit), out var read));
            Assert.Equal(unit, read);
        }

        Assert.False(Units.TryParse("ft", out _));
        Assert.False(Units.TryParse("MI", out _));
        Assert.False(Units.TryParse(null, out _));
    }

    [Fact]
    public void A_volume_in_feet_written_in_metres_reads_back_as_the_same_volume() =>
        Gen.Select(Gen.Double[-3_000, 250_000], Gen.Double[1, 30_000], Gen.Double[1, 400_000], Gen.Double[-60, 60], Gen.Double[-180, 180]).Sample(t =>
        {
            var (lowerFt, thicknessFt, radiusFt, lat, lng) = t;
            var input = new F3548Volume4D
            {
                Volume = new F3548Volume3D
                {
                    OutlineCircle = new F3548Circle { Center = new F3548LatLng { Lat = lat, Lng = lng }, Radius = new F3548Radius { Value = radiusFt, Units = "FT" } },
                    AltitudeLower = new F3548Altitude { Value = lowerFt, Reference = "W84", Units = "FT" },
                    AltitudeUpper = new F3548Altitude { Value = lowerFt + thicknessFt, Reference = "W84", Units = "FT" },
                },
                TimeStart = new F3548Time { Value = "2030-01-01T00:00:00Z", Format = "RFC3339" },
                TimeEnd = new F3548Time { Value = "2030-01-01T01:00:00Z", Format = "RFC3339" },
            };
            var parsed = VolumeParser.Parse(input, new GeometryLimits()).Volume!;
            Assert.Equal(Units.ToMetres(lowerFt, LengthUnit.FT), parsed.AltitudeLowerM);
            Assert.Equal(Units.ToMetres(radiusFt, LengthUnit.FT), ((CircleOutline)parsed.Outline).RadiusM);

            var written = VolumeParser.ToF3548(parsed);
            Assert.Equal("M", written.Volume!.AltitudeLower!.Units);
            var again = VolumeParser.Parse(written, new GeometryLimits()).Volume!;
            Assert.Equal(parsed, again);
            Assert.Equal(parsed.AltitudeLowerM, again.AltitudeLowerM);
            Assert.Equal(parsed.AltitudeUpperM, again.AltitudeUpperM);

            // And back to feet: the value given, within one rounding.
            Assert.Equal(lowerFt, Units.FromMetres(again.AltitudeLowerM, LengthUnit.FT), Math.Max(1.0, Math.Abs(lowerFt)) * 4e-16);
        }, iter: 300);

    /// <summary>
    /// x to metres and back: within two units in the last place of x (a multiplication and a
    /// division, each correctly rounded, so a relative error of at most 2^-52).
    /// </summary>
    private static void RoundTrip(long iterations) =>
        Gen.Select(Unit, Gen.Double[-1e9, 1e9]).Sample(t =>
        {
            var (unit, x) = t;
            var back = Units.FromMetres(Units.ToMetres(x, unit), unit);
            Assert.True(WithinTwoUlps(x, back), $"{x} {unit} came back as {back}");
            var metres = Units.ToMetres(x, unit);
            var again = Units.ToMetres(Units.FromMetres(metres, unit), unit);
            Assert.True(WithinTwoUlps(metres, again), $"{metres} m as {unit} came back as {again}");
        }, iter: iterations);

    private static bool WithinTwoUlps(double expected, double actual)
    {
        var magnitude = Math.Abs(expected);
        return Math.Abs(actual - expected) <= 2.0 * (Math.BitIncrement(magnitude) - magnitude);
    }
}
