namespace Deconflict.Core.Geometry;

/// <summary>A position on the WGS-84 ellipsoid in degrees: latitude in [-90, 90], longitude in [-180, 180].</summary>
public readonly record struct GeoPoint(double Lat, double Lng);
