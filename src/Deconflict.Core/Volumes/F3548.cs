namespace Deconflict.Core.Volumes;

// The ASTM F3548-21 Volume4D wire shapes, as received: every property is nullable so that a
// missing field is reported by VolumeParser with its JSON pointer rather than by the serialiser.
// The server serialises them with a snake_case naming policy (OutlinePolygon <-> outline_polygon).

/// <summary>An F3548 Volume4D: a 3D volume and a half-open time window.</summary>
public sealed record F3548Volume4D
{
    public F3548Volume3D? Volume { get; init; }

    public F3548Time? TimeStart { get; init; }

    public F3548Time? TimeEnd { get; init; }
}

/// <summary>An F3548 Volume3D: exactly one outline and an altitude band.</summary>
public sealed record F3548Volume3D
{
    public F3548Polygon? OutlinePolygon { get; init; }

    public F3548Circle? OutlineCircle { get; init; }

    public F3548Altitude? AltitudeLower { get; init; }

    public F3548Altitude? AltitudeUpper { get; init; }
}

/// <summary>An F3548 polygon: vertices as an open ring.</summary>
public sealed record F3548Polygon
{
    public List<F3548LatLng>? Vertices { get; init; }
}

/// <summary>A WGS-84 position in degrees.</summary>
public sealed record F3548LatLng
{
    public double? Lat { get; init; }

    public double? Lng { get; init; }
}

/// <summary>An F3548 circle: centre and radius.</summary>
public sealed record F3548Circle
{
    public F3548LatLng? Center { get; init; }

    public F3548Radius? Radius { get; init; }
}

/// <summary>A radius with its units ("M" or "FT").</summary>
public sealed record F3548Radius
{
    public double? Value { get; init; }

    public string? Units { get; init; }
}

/// <summary>An altitude with its reference ("W84") and units ("M" or "FT").</summary>
public sealed record F3548Altitude
{
    public double? Value { get; init; }

    public string? Reference { get; init; }

    public string? Units { get; init; }
}

/// <summary>A time as an RFC 3339 string with an explicit offset; format, when given, is "RFC3339".</summary>
public sealed record F3548Time
{
    public string? Value { get; init; }

    public string? Format { get; init; }
}
