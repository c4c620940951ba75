
namespace Deconflict.Tracks;

public sealed record TrackBatchBody
{
    public IReadOnlyList<TrackBody>? Tracks { get; init; }
}
