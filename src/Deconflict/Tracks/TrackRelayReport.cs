using System.Text.Json.Serialization;

namespace Deconflict.Tracks;

/// <summary>
/// One report as a relayed batch carries it (<see cref="TrackRelayMessage"/>): the party's track id,
/// the time of the fix as UTC ticks (100 ns, exactly as the receiving node parsed it, so a repeat
/// is a repeat on every node), WGS-84 degrees, metres above the ellipsoid, east/north/up velocity in
/// m/s, and the callsign when the feed gave one. Every member is nullable so that a message missing
/// one is seen as malformed, not read as zero.
/// </summary>
public sealed record TrackRelayReport
{
    [JsonPropertyName("id")]
    public string? Id { get; init; }

    [JsonPropertyName("t")]
    public long? TimeTicks { get; init; }

    [JsonPropertyName("lat")]
    public double? Lat { get; init; }

    [JsonPropertyName("lng")]
    public double? Lng { get; init; }

    [JsonPropertyName("alt")]
    public double? AltitudeM { get; init; }

    [JsonPropertyName("e")]
    public double? East { get; init; }

    [JsonPropertyName("n")]
    public double? North { get; init; }

    [JsonPropertyName("u")]
    public double? Up { get; init; }

    [JsonPropertyName("cs")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Callsign { get; init; }
}
