
namespace Deconflict.Tracks;

public sealed record TrackVelocityBody(double? EastMps, double? NorthMps, double? UpMps);
