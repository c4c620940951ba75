using System.Globalization;

namespace Deconflict.Core.Volumes;

/// <summary>Exact conversions between <see cref="LengthUnit"/>s and metres, the unit used inside.</summary>
public static class Units
{
    /// <summary>Metres in one foot, exactly (international yard and pound agreement, 1959).</summary>
    public const double MetresPerFoot = 0.3048;

    /// <summary>Metres in one nautical mile, exactly (International Hydrographic Conference, 1929).</summary>
    public const double MetresPerNauticalMile = 1852.0;

    /// <summary>Metres in one unit.</summary>
    public static double MetresPer(LengthUnit unit) => unit switch
    {
        LengthUnit.M => 1.0,
        LengthUnit.FT => MetresPerFoot,
        LengthUnit.KM => 1000.0,
        LengthUnit.NM => MetresPerNauticalMile,
        LengthUnit.FL => 100.0 * MetresPerFoot,
        _ => throw new ArgumentOutOfRangeException(nameof(unit), unit, "Not a length unit."),
    };

    /// <summary>
    /// A value in <paramref name="unit"/> as metres: one multiplication, correctly rounded; a flight
    /// level is first made feet (n x 100, exact for any whole level), so FL150 is 15,000 ft = 4,572 m
    /// exactly as 15,000 FT is.
    /// </summary>
    public static double ToMetres(double value, LengthUnit unit) =>
        unit == LengthUnit.FL ? value * 100.0 * MetresPerFoot : value * MetresPer(unit);

    /// <summary>Metres as a value in <paramref name="unit"/> (one division: correctly rounded).</summary>
    public static double FromMetres(double metres, LengthUnit unit) => metres / MetresPer(unit);

    /// <summary>The unit spelled as its upper-case symbol (M, FT, KM, NM, FL); false for anything else.</summary>
    public static bool TryParse(string? symbol, out LengthUnit unit)
    {
        unit = default;
        return symbol is "M" or "FT" or "KM" or "NM" or "FL" && Enum.TryParse(symbol, ignoreCase: false, out unit);
    }

    /// <summary>The unit's symbol, as <see cref="TryParse"/> reads it.</summary>
    public static string Symbol(LengthUnit unit) => unit.ToString().ToUpper(CultureInfo.InvariantCulture);
}
