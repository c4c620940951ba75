using System.Collections.Immutable;
using Deconflict.Core.Geometry;
using Deconflict.Core.Model;
using Deconflict.Core.Volumes;

namespace Deconflict.Benchmarks;

/// <summary>
/// Realistic random traffic for the strategic benchmarks, as the issue sets it: outlines 1 to 50 km
/// across (polygons and circles) over a 2,000 x 2,000 km region, altitude bands, windows of 1 to 6 h
/// spread over 48 h. Seeded, so every run measures the same operations.
/// </summary>
public sealed class Scenario(int seed)
{
    /// <summary>
    /// Midnight UTC thirty days from today: the load tools post these volumes to a server on the
    /// real clock, which refuses times more than a year ahead of it (TimeWindowOptions). The
    /// volumes' relations, and so the work measured, do not depend on the date.
    /// </summary>
    public static readonly DateTimeOffset Start = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero).AddDays(30);

    // Centre of the region (Syria) and its half-size: 1,000 km each way.
    private static readonly GeoPoint Centre = new(35.0, 38.5);
    private const double HalfRegionM = 1_000_000;

    private readonly Random _random = new(seed);

    public ImmutableArray<Volume4D> Volumes()
    {
        var east = (_random.NextDouble() * 2 - 1) * HalfRegionM;
        var north = (_random.NextDouble() * 2 - 1) * HalfRegionM;
        var distance = Math.Sqrt((east * east) + (north * north));
        var azimuth = Math.Atan2(east, north) * 180 / Math.PI;
        var centre = Geodesic.Direct(Centre, azimuth, distance);
        var sizeM = 1_000 + (_random.NextDouble() * 49_000);
        var outline = _random.NextDouble() < 0.3
            ? OutlineFactory.Circle(centre, sizeM / 2, new GeometryLimits()).Outline!
            : Polygon(centre, sizeM / 2);
        var lower = Math.Round(_random.NextDouble() * 9000);
        var upper = lower + 300 + Math.Round(_random.NextDouble() * 6000);
        var start = Start.AddMinutes(Math.Floor(_random.NextDouble() * 48 * 60));
        var end = start.AddMinutes(60 + Math.Floor(_random.NextDouble() * 300));
        return [new Volume4D(outline, lower, upper, start, end)];
    }

    public Declaration Operation(string id, string party) =>
        new(DeclarationKind.Operation, id, party, 1, DeclarationState.Planned, 0, null, null, Volumes(), null, Start, Start);

    /// <summary>A convex polygon of 5 to 10 vertices at random azimuths around the centre, radius about r.</summary>
    private Outline Polygon(GeoPoint centre, double radiusM)
    {
        var n = 5 + _random.Next(6);
        var azimuths = Enumerable.Range(0, n).Select(i => (360.0 * i / n) + (_random.NextDouble() * 20)).ToArray();
        var vertices = azimuths.Select(a => Geodesic.Direct(centre, a, radiusM * (0.8 + (0.2 * _random.NextDouble())))).ToArray();
        var result = OutlineFactory.Polygon(vertices, new GeometryLimits());
        return result.Outline ?? throw new InvalidOperationException(result.Error);
    }
}
