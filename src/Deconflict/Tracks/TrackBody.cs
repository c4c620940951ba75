
namespace Deconflict.Tracks;

/// <summary>One report as POST /v1/tracks takes it: every value carries its unit in its name.</summary>
public sealed record TrackBody
{
    public string? Id { get; init; }

    public string? Time { get; init; }

    public double? Lat { get; init; }

    public double? Lng { get; init; }

    public double? AltitudeM { get; init; }

    public TrackVelocityBody? Velocity { get; init; }

    public double? GroundSpeedMps { get; init; }

    public double? TrackDeg { get; init; }

    public double? VerticalRateMps { get; init; }

    public string? Callsign { get; init; }
}
