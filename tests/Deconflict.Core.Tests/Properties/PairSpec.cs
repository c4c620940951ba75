using Deconflict.Core.Geometry;

namespace Deconflict.Core.Tests.Properties;

/// <summary>A generated pair: the first shape at <see cref="Centre"/>, the second at a distance and azimuth from it.</summary>
internal sealed record PairSpec(GeoPoint Centre, double AzimuthDeg, double DistanceM, ShapeSpec A, ShapeSpec B);
