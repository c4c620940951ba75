using System.Globalization;
using Deconflict.Core.Geometry;
using Deconflict.Core.Model;

namespace Deconflict.Core.Volumes;

/// <summary>
/// A refused volume: a stable <see cref="Code"/> (<c>invalid-volume</c>, <c>invalid-time</c>,
/// <c>unknown-units</c> or <c>limit-exceeded</c>), a human sentence, a JSON pointer into the volume
/// (e.g. <c>/volume/altitude_upper/units</c>), and for <c>limit-exceeded</c> the limit that was exceeded.
/// </summary>
public sealed record VolumeError(string Code, string Detail, string Pointer, int? Limit = null);

/// <summary>The outcome of parsing a volume: the volume in SI units, or the error.</summary>
public sealed record VolumeParseResult(Volume4D? Volume, VolumeError? Error);

/// <summary>
/// Converts the F3548 Volume4D wire shape to a validated <see cref="Volume4D"/> in SI units and
/// back. Units are converted once, here at the edge, exactly (<see cref="Units"/>): lengths in
/// "M", "FT" (0.3048 m), "KM" or "NM" (1,852 m), altitudes also in "FL" (flight level n = n x 100 ft),
/// upper-case as F3548 spells them. A missing or unknown unit or altitude reference, and an AGL
/// altitude (no terrain model), are refused with <c>unknown-units</c>, never guessed.
/// </summary>
public static class VolumeParser
{
    /// <summary>Error code for a malformed or out-of-range volume.</summary>
    public const string InvalidVolume = "invalid-volume";

    /// <summary>Error code for a time that is not RFC 3339 with an offset, or not a date and time that exists.</summary>
    public const string InvalidTime = "invalid-time";

    /// <summary>Error code for a missing or unsupported unit or altitude reference.</summary>
    public const string UnknownUnits = "unknown-units";

    /// <summary>Error code for a volume over a documented size limit (e.g. vertices per polygon).</summary>
    public const string LimitExceeded = "limit-exceeded";

    /// <summary>Lowest accepted altitude, metres above the WGS-84 ellipsoid (the Dead Sea shore is about -430 m MSL, -400 m on the ellipsoid).</summary>
    public const double MinAltitudeM = -1_000.0;

    /// <summary>Highest accepted altitude, metres above the WGS-84 ellipsoid (above any airspace use).</summary>
    public const double MaxAltitudeM = 100_000.0;

    /// <summary>The units a length (a circle's radius) may be given in, as a sentence lists them.</summary>
    private const string LengthUnits = "\"M\", \"FT\", \"KM\" and \"NM\"";

    /// <summary>The units an altitude may be given in: the lengths and flight levels.</summary>
    private const string AltitudeUnits = "\"M\", \"FT\", \"KM\", \"NM\" and \"FL\" (flight level, hundreds of feet)";

    /// <summary>Parses and validates an F3548 Volume4D against the geometry limits.</summary>
    public static VolumeParseResult Parse(F3548Volume4D? input, GeometryLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        if (input is null)
        {
            return Fail(InvalidVolume, "The volume is missing.", "");
        }

        var v = input.Volume;
        if (v is null)
        {
            return Fail(InvalidVolume, "The volume has no 'volume' (outline and altitudes).", "/volume");
        }

        if ((v.OutlinePolygon is null) == (v.OutlineCircle is null))
        {
            return Fail(InvalidVolume, "A volume needs exactly one of outline_polygon and outline_circle.", "/volume");
        }

        var outline = v.OutlinePolygon is not null
            ? ParsePolygon(v.OutlinePolygon, limits, out var error)
            : ParseCircle(v.OutlineCircle!, limits, out error);
        if (error is not null)
        {
            return new VolumeParseResult(null, error);
        }

        var lower = ParseAltitude(v.AltitudeLower, "altitude_lower", out error);
        if (error is not null)
        {
            return new VolumeParseResult(null, error);
        }

        var upper = ParseAltitude(v.AltitudeUpper, "altitude_upper", out error);
        if (error is not null)
        {
            return new VolumeParseResult(null, error);
        }

        if (!(lower < upper))
        {
            return Fail(InvalidVolume, string.Create(CultureInfo.InvariantCulture,
                $"altitude_upper ({upper} m) must be above altitude_lower ({lower} m): the band must have positive thickness."),
                "/volume/altitude_upper/value");
        }

        var start = ParseTime(input.TimeStart, "time_start", out error);
        if (error is not null)
        {
            return new VolumeParseResult(null, error);
        }

        var end = ParseTime(input.TimeEnd, "time_end", out error);
        if (error is not null)
        {
            return new VolumeParseResult(null, error);
        }

        if (!(end > start))
        {
            return Fail(InvalidVolume,
                "time_end must be after time_start: the window [time_start, time_end) must not be empty.", "/time_end/value");
        }

        return new VolumeParseResult(new Volume4D(outline!, lower, upper, start, end), null);
    }

    /// <summary>
    /// Writes a volume as F3548: altitudes in metres on W84, times as RFC 3339 UTC with 'Z', the
    /// outline as given (polygon vertices, or circle centre and radius in metres).
    /// </summary>
    public static F3548Volume4D ToF3548(Volume4D v)
    {
        ArgumentNullException.ThrowIfNull(v);
        var volume = new F3548Volume3D
        {
            OutlinePolygon = v.Outline is PolygonOutline p
                ? new F3548Polygon { Vertices = [.. p.Vertices.Select(x => new F3548LatLng { Lat = x.Lat, Lng = x.Lng })] }
                : null,
            OutlineCircle = v.Outline is CircleOutline c
                ? new F3548Circle
                {
                    Center = new F3548LatLng { Lat = c.Center.Lat, Lng = c.Center.Lng },
                    Radius = new F3548Radius { Value = c.RadiusM, Units = "M" },
                }
                : null,
            AltitudeLower = new F3548Altitude { Value = v.AltitudeLowerM, Reference = "W84", Units = "M" },
            AltitudeUpper = new F3548Altitude { Value = v.AltitudeUpperM, Reference = "W84", Units = "M" },
        };
        return new F3548Volume4D { Volume = volume, TimeStart = WriteTime(v.TimeStart), TimeEnd = WriteTime(v.TimeEnd) };
    }

    /// <summary>RFC 3339 in UTC with 'Z' and only the fractional digits needed (<see cref="Rfc3339.FormatUtc"/>).</summary>
    private static F3548Time WriteTime(DateTimeOffset t) => new() { Value = Rfc3339.FormatUtc(t), Format = "RFC3339" };

    private static VolumeParseResult Fail(string code, string detail, string pointer) =>
        new(null, new VolumeError(code, detail, pointer));

    private static Outline? ParsePolygon(F3548Polygon polygon, GeometryLimits limits, out VolumeError? error)
    {
        const string path = "/volume/outline_polygon";
        if (polygon.Vertices is null)
        {
            error = new VolumeError(InvalidVolume, "outline_polygon has no vertices.", path + "/vertices");
            return null;
        }

        // Counted before a single vertex is parsed or any geometry is derived.
        if (polygon.Vertices.Count > limits.MaxVertices)
        {
            error = new VolumeError(LimitExceeded, OutlineFactory.VertexLimitError(polygon.Vertices.Count, limits), path + "/vertices", limits.MaxVertices);
            return null;
        }

        var points = new List<GeoPoint>(polygon.Vertices.Count);
        for (var i = 0; i < polygon.Vertices.Count; i++)
        {
            var pointer = string.Create(CultureInfo.InvariantCulture, $"{path}/vertices/{i}");
            var p = ParseLatLng(polygon.Vertices[i], pointer, string.Create(CultureInfo.InvariantCulture, $"Vertex {i}"), out error);
            if (error is not null)
            {
                return null;
            }

            points.Add(p);
        }

        var result = OutlineFactory.Polygon(points, limits);
        error = result.Error is null ? null : new VolumeError(InvalidVolume, result.Error, path);
        return result.Outline;
    }

    private static Outline? ParseCircle(F3548Circle circle, GeometryLimits limits, out VolumeError? error)
    {
        const string path = "/volume/outline_circle";
        var center = ParseLatLng(circle.Center, path + "/center", "The circle's centre", out error);
        if (error is not null)
        {
            return null;
        }

        if (circle.Radius is null)
        {
            error = new VolumeError(InvalidVolume, "outline_circle has no radius.", path + "/radius");
            return null;
        }

        var radius = ToMetres(circle.Radius.Value, circle.Radius.Units, path + "/radius", "The circle's radius", altitude: false, out error);
        if (error is not null)
        {
            return null;
        }

        var result = OutlineFactory.Circle(center, radius, limits);
        error = result.Error is null ? null : new VolumeError(InvalidVolume, result.Error, path);
        return result.Outline;
    }

    private static GeoPoint ParseLatLng(F3548LatLng? p, string pointer, string what, out VolumeError? error)
    {
        error = null;
        if (p is null)
        {
            error = new VolumeError(InvalidVolume, $"{what} is missing.", pointer);
            return default;
        }

        if (p.Lat is not { } lat || !double.IsFinite(lat) || lat < -90.0 || lat > 90.0)
        {
            error = new VolumeError(InvalidVolume, $"{what} needs a latitude (lat) in degrees within [-90, 90].", pointer + "/lat");
            return default;
        }

        if (p.Lng is not { } lng || !double.IsFinite(lng) || lng < -180.0 || lng > 180.0)
        {
            error = new VolumeError(InvalidVolume, $"{what} needs a longitude (lng) in degrees within [-180, 180].", pointer + "/lng");
            return default;
        }

        return new GeoPoint(lat, lng);
    }

    private static double ToMetres(double? value, string? units, string pointer, string what, bool altitude, out VolumeError? error)
    {
        error = null;
        if (value is not { } x || !double.IsFinite(x))
        {
            error = new VolumeError(InvalidVolume, $"{what} needs a finite value (a number, in its units).", pointer + "/value");
            return 0.0;
        }

        var supported = altitude ? AltitudeUnits : LengthUnits;
        if (!Units.TryParse(units, out var unit) || (unit == LengthUnit.FL && !altitude))
        {
            var detail = units switch
            {
                null => $"{what} has no units; give one of {supported} (a value without units is refused, not guessed).",
                "FL" => $"{what} has units \"FL\": a flight level is an altitude, not a length; give one of {supported}.",
                _ when Units.TryParse(units.ToUpperInvariant(), out var upper) && (upper != LengthUnit.FL || altitude) =>
                    $"{what} has units \"{units}\"; units are written in capitals: \"{Units.Symbol(upper)}\".",
                _ => $"{what} has units \"{units}\"; the supported units are {supported}.",
            };
            error = new VolumeError(UnknownUnits, detail, pointer + "/units");
            return 0.0;
        }

        return Units.ToMetres(x, unit);
    }

    private static double ParseAltitude(F3548Altitude? altitude, string name, out VolumeError? error)
    {
        var pointer = "/volume/" + name;
        if (altitude is null)
        {
            error = new VolumeError(InvalidVolume, $"The volume has no {name}.", pointer);
            return 0.0;
        }

        if (ReferenceError(altitude, name) is { } refused)
        {
            error = new VolumeError(UnknownUnits, refused, pointer + "/reference");
            return 0.0;
        }

        var metres = ToMetres(altitude.Value, altitude.Units, pointer, name, altitude: true, out error);
        if (error is not null)
        {
            return 0.0;
        }

        if (metres < MinAltitudeM || metres > MaxAltitudeM)
        {
            error = new VolumeError(InvalidVolume, string.Create(CultureInfo.InvariantCulture,
                $"{name} is {metres} m; altitudes must be within [{MinAltitudeM}, {MaxAltitudeM}] m above the WGS-84 ellipsoid."),
                pointer + "/value");
            return 0.0;
        }

        return metres;
    }

    /// <summary>
    /// Null when the altitude's reference can be honoured: W84; AMSL or MSL, taken as W84 (the
    /// service has no geoid model; the geoid lies within about 110 m of the ellipsoid everywhere,
    /// inside the default vertical buffer of 1,000 ft); none or W84 with units FL (a flight level is
    /// on the standard pressure datum, which the service does not model: it is taken as W84, as
    /// API.md says). AGL is refused by name: without a terrain model it cannot be compared.
    /// </summary>
    private static string? ReferenceError(F3548Altitude altitude, string name)
    {
        var reference = altitude.Reference;
        if (altitude.Units == "FL")
        {
            return reference is null or "W84" ? null
                : $"{name} is a flight level with reference \"{reference}\"; a flight level is on the standard pressure datum (taken as W84): give no reference, or \"W84\".";
        }

        return reference switch
        {
            "W84" or "AMSL" or "MSL" => null,
            null => $"{name} has no reference; give \"W84\" (height above the WGS-84 ellipsoid) or \"AMSL\" (taken as W84), or units \"FL\" for a flight level.",
            "AGL" => $"{name} has reference \"AGL\": AGL altitudes cannot be deconflicted, because the service has no terrain model; give \"W84\" (height above the WGS-84 ellipsoid), \"AMSL\" (taken as W84) or a flight level (units \"FL\").",
            _ => $"{name} has reference \"{reference}\"; the supported references are \"W84\" (height above the WGS-84 ellipsoid) and \"AMSL\" or \"MSL\" (taken as W84).",
        };
    }

    private static DateTimeOffset ParseTime(F3548Time? time, string name, out VolumeError? error)
    {
        error = null;
        var pointer = "/" + name;
        if (time is null)
        {
            error = new VolumeError(InvalidVolume, $"The volume has no {name}.", pointer);
            return default;
        }

        if (time.Format is not null && time.Format != "RFC3339")
        {
            error = new VolumeError(InvalidTime, $"{name} has format \"{time.Format}\"; the supported format is \"RFC3339\".", pointer + "/format");
            return default;
        }

        var result = Rfc3339.Parse(time.Value, out var parsed);
        if (result != Rfc3339Result.Ok)
        {
            error = new VolumeError(InvalidTime, result == Rfc3339Result.Malformed
                ? $"{name} must be an RFC 3339 time with an explicit offset, such as 2026-11-26T09:00:00Z or 2026-11-26T11:00:00+02:00."
                : $"{name} is not a valid date and time (\"{time.Value}\").",
                pointer + "/value");
            return default;
        }

        return parsed;
    }
}
