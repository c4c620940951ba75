namespace Deconflict.Core.Volumes;

// The ASTM F3548-21 Volume4D wire shapes, as received: every property is nullable so that a
// missing field is reported by VolumeParser with its JSON pointer rather than by the serialiser.
// The server serialises them with a snake_case naming policy (OutlinePolygon <-> outline_polygon).

/// <summary>An F3548 Volume4D: a 3D volume and a half-open time window.</summary>
public sealed record F3548Volume4D
{
    /// <summary>The outline and altitude band (<c>volume</c>).</summary>
    public F3548Volume3D? Volume { get; init; }

    /// <summary>Start of the window, inclusive (<c>time_start</c>).</summary>
    public F3548Time? TimeStart { get; init; }

    /// <summary>End of the window, exclusive (<c>time_end</c>).</summary>
    public F3548Time? TimeEnd { get; init; }
}

/// <summary>An F3548 Volume3D: exactly one outline and an altitude band.</summary>
public sealed record F3548Volume3D
{
    /// <summary>The polygon outline (<c>outline_polygon</c>), or null when a circle is given.</summary>
    public F3548Polygon? OutlinePolygon { get; init; }

    /// <summary>The circle outline (<c>outline_circle</c>), or null when a polygon is given.</summary>
    public F3548Circle? OutlineCircle { get; init; }

    /// <summary>Bottom of the altitude band (<c>altitude_lower</c>).</summary>
    public F3548Altitude? AltitudeLower { get; init; }

    /// <summary>Top of the altitude band (<c>altitude_upper</c>).</summary>
    public F3548Altitude? AltitudeUpper { get; init; }
}

/// <summary>An F3548 polygon: vertices as an open ring.</summary>
public sealed record F3548Polygon
{
    /// <summary>The vertices, an open ring (the last does not repeat the first).</summary>
    public List<F3548LatLng>? Vertices { get; init; }
}

/// <summary>A WGS-84 position in degrees.</summary>
public sealed record F3548LatLng
{
    /// <summary>Latitude in degrees, [-90, 90].</summary>
    public double? Lat { get; init; }

    /// <summary>Longitude in degrees, [-180, 180].</summary>
    public double? Lng { get; init; }
}

/// <summary>An F3548 circle: centre and radius.</summary>
public sealed record F3548Circle
{
    /// <summary>The centre.</summary>
    public F3548LatLng? Center { get; init; }

    /// <summary>The radius with its units.</summary>
    public F3548Radius? Radius { get; init; }
}

/// <summary>A radius with its units ("M", "FT", "KM" or "NM").</summary>
public sealed record F3548Radius
{
    /// <summary>The value, in the given units.</summary>
    public double? Value { get; init; }

    /// <summary>Units: "M" (metres), "FT" (international feet, 0.3048 m), "KM" or "NM" (1,852 m).</summary>
    public string? Units { get; init; }
}

/// <summary>An altitude with its reference ("W84"; "AMSL" or "MSL" taken as W84) and units ("M", "FT", "KM", "NM" or "FL").</summary>
public sealed record F3548Altitude
{
    /// <summary>The value, in the given units.</summary>
    public double? Value { get; init; }

    /// <summary>Altitude reference: "W84" (height above the WGS-84 ellipsoid); "AMSL" or "MSL", taken as W84; none for a flight level; "AGL" is refused.</summary>
    public string? Reference { get; init; }

    /// <summary>Units: "M", "FT" (0.3048 m), "KM", "NM" (1,852 m) or "FL" (flight level: hundreds of feet, taken as W84).</summary>
    public string? Units { get; init; }
}

/// <summary>A time as an RFC 3339 string with an explicit offset; format, when given, is "RFC3339".</summary>
public sealed record F3548Time
{
    /// <summary>The time as RFC 3339 with an explicit offset ('Z' or +hh:mm).</summary>
    public string? Value { get; init; }

    /// <summary>The time format; when given, "RFC3339".</summary>
    public string? Format { get; init; }
}
