namespace Deconflict.Tracks;

/// <summary>The caller's live tracks at <see cref="Time"/> (the service's clock), by party then id.</summary>
public sealed record TrackListView(DateTimeOffset Time, IReadOnlyList<TrackView> Items);
