using System.Text.Json.Serialization;

namespace Deconflict.Tracks;

/// <summary>
/// A batch of track reports one node accepted, as it goes to the other nodes on the tracks subject
/// (<see cref="TrackRelay"/>), version <see cref="CurrentVersion"/>: the node that accepted it
/// (<see cref="Origin"/>, so that it skips its own), the party that reported, when the node received
/// it (unix milliseconds, its clock) and the reports. Any change to the shape is a new version; a
/// node drops and counts a version it does not know.
/// </summary>
public sealed record TrackRelayMessage
{
    public const int CurrentVersion = 1;

    [JsonPropertyName("v")]
    public int? Version { get; init; }

    [JsonPropertyName("origin")]
    public string? Origin { get; init; }

    [JsonPropertyName("party")]
    public string? Party { get; init; }

    [JsonPropertyName("at")]
    public long? ReceivedMs { get; init; }

    [JsonPropertyName("reports")]
    public IReadOnlyList<TrackRelayReport?>? Reports { get; init; }
}
