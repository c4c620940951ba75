namespace Deconflict.Tracks;

/// <summary>
/// What became of a batch of reports: <see cref="Accepted"/> taken into the track table,
/// <see cref="Ignored"/> late or repeated, <see cref="Skipped"/> Cursor on Target events that are
/// not positions.
/// </summary>
public sealed record TrackBatchAcceptedView(int Accepted, int Ignored, int Skipped);
