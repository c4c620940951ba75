using Deconflict.Core.Geometry;

namespace Deconflict.Core.Volumes;

/// <summary>
/// A validated 4D volume in SI units: an outline on WGS-84, an altitude band in metres above the
/// WGS-84 ellipsoid, and a half-open UTC time window [TimeStart, TimeEnd).
/// </summary>
public sealed record Volume4D(Outline Outline, double AltitudeLowerM, double AltitudeUpperM, DateTimeOffset TimeStart, DateTimeOffset TimeEnd);

/// <summary>Agreed buffers added around every volume before intersecting (metres).</summary>
public readonly record struct Separation(double HorizontalM, double VerticalM);

/// <summary>
/// Where two volumes conflict: the time window both occupy (half-open) and the altitude band where
/// they meet. When the bands are apart but closer than the vertical buffer, the band is the gap
/// between them (lower = the lower volume's top, upper = the upper volume's bottom).
/// </summary>
public sealed record VolumeOverlap(DateTimeOffset TimeStart, DateTimeOffset TimeEnd, double AltitudeLowerM, double AltitudeUpperM);
