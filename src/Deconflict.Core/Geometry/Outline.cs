using System.Collections.Immutable;
using NetTopologySuite.Geometries;
using NetTopologySuite.Operation.Distance;
using NetTopologySuite.Operation.RelateNG;

namespace Deconflict.Core.Geometry;

/// <summary>
/// The 2D outline of a volume on the WGS-84 ellipsoid: a polygon with geodesic edges or a
/// geodesic circle. Created only by <see cref="OutlineFactory"/>, which validates the input and
/// computes, once, the prepared data that makes repeated intersection tests cheap.
/// </summary>
/// <remarks>
/// Boundary rule: a polygon edge is the shortest path on the ellipsoid between its two vertices;
/// a circle is every point within its radius by geodesic distance. An outline is a closed region
/// (its boundary belongs to it). Equality compares the outline as given (vertices, or centre and
/// radius), not the prepared data.
/// </remarks>
public abstract record Outline
{
    /// <summary>A conservative latitude/longitude box: it contains every point of the outline, including the poleward bulge of geodesic edges.</summary>
    public abstract GeoBox Bounds { get; }

    /// <summary>Area on the ellipsoid in square metres (better than 0.1 %; see the factory for the method).</summary>
    public abstract double AreaM2 { get; }

    /// <summary>A spherical cap that contains the outline, for constant-time rejection of far-apart pairs.</summary>
    internal abstract OutlineCap Cap { get; }

}

/// <summary>
/// A polygon whose edges are geodesics between consecutive vertices, the last joined back to the
/// first. The region is the smaller one the ring encloses, whatever the vertex order.
/// </summary>
public sealed record PolygonOutline : Outline
{
    internal PolygonOutline(ImmutableArray<GeoPoint> vertices, PreparedPolygon prepared)
    {
        Vertices = vertices;
        Prepared = prepared;
    }

    /// <summary>The vertices as given: an open ring (the last vertex does not repeat the first).</summary>
    public ImmutableArray<GeoPoint> Vertices { get; }

    /// <inheritdoc/>
    public override GeoBox Bounds => Prepared.Bounds;

    /// <inheritdoc/>
    public override double AreaM2 => Prepared.AreaM2;

    internal override OutlineCap Cap => Prepared.Cap;

    internal PreparedPolygon Prepared { get; }

    /// <summary>Equal when the vertices are equal, in order.</summary>
    public bool Equals(PolygonOutline? other) =>
        other is not null && (ReferenceEquals(this, other) || Vertices.AsSpan().SequenceEqual(other.Vertices.AsSpan()));

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var v in Vertices)
        {
            hash.Add(v);
        }

        return hash.ToHashCode();
    }
}

/// <summary>Every point within <see cref="RadiusM"/> metres of <see cref="Center"/> by geodesic distance.</summary>
public sealed record CircleOutline : Outline
{
    internal CircleOutline(GeoPoint center, double radiusM, PreparedCircle prepared)
    {
        Center = center;
        RadiusM = radiusM;
        Prepared = prepared;
    }

    /// <summary>The centre as given.</summary>
    public GeoPoint Center { get; }

    /// <summary>The radius in metres (positive).</summary>
    public double RadiusM { get; }

    /// <inheritdoc/>
    public override GeoBox Bounds => Prepared.Bounds;

    /// <inheritdoc/>
    public override double AreaM2 => Prepared.AreaM2;

    internal override OutlineCap Cap => Prepared.Cap;

    internal PreparedCircle Prepared { get; }

    /// <summary>Equal when centre and radius are equal.</summary>
    public bool Equals(CircleOutline? other) =>
        other is not null && (ReferenceEquals(this, other) || (Center == other.Center && RadiusM.Equals(other.RadiusM)));

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Center, RadiusM);
}

/// <summary>
/// A cap that contains an outline: every point of the outline is within <see cref="RadiusM"/>
/// metres (geodesic) of <see cref="Center"/>. <see cref="Angle"/> = RadiusM / b bounds the angle on
/// the auxiliary sphere between the centre's and any point's reduced unit vectors (because
/// b * angle &lt;= geodesic distance), which is what the rejection test compares. A struct held
/// inside its prepared outline: every live declaration the writer keeps carries one, and the
/// collector's pauses grow with the number of objects it marks, not their bytes
/// (docs/performance.md).
/// </summary>
internal readonly record struct OutlineCap(GeoPoint Center, Vec3 Vector, double RadiusM)
{
    public double Angle { get; } = RadiusM / Wgs84.B;
}

/// <summary>Prepared data of a circle, computed once at creation.</summary>
internal sealed class PreparedCircle(GeoPoint center, double radiusM, GeoBox bounds, double areaM2)
{
    public GeoPoint Center { get; } = center;

    public double RadiusM { get; } = radiusM;

    public GeoBox Bounds { get; } = bounds;

    public double AreaM2 { get; } = areaM2;

    public OutlineCap Cap { get; } = new(center, Wgs84.ReducedUnitVector(center), radiusM);

    /// <summary>The disc of <see cref="RadiusM"/> around the centre is the circle itself.</summary>
    public double InnerRadiusM => RadiusM;

    /// <summary>The AEQD centred on the circle: the circle is exactly the disc of radius RadiusM there.</summary>
    public LocalProjection Frame { get; } = new(center);
}

/// <summary>
/// Prepared data of a polygon, computed once at creation: the ring densified along its geodesic
/// edges, its points' unit vectors and segment lengths (for cheap distance bounds), its own AEQD
/// frame centred on the bounding cap with the ring projected there, and (on first use) the
/// NetTopologySuite polygon of that projected ring with a prepared relate and a facet-distance index.
/// </summary>
internal sealed class PreparedPolygon
{
    public PreparedPolygon(IReadOnlyList<GeoPoint> vertices, GeoPoint[] ring, GeoBox bounds, double areaM2, OutlineCap cap, double[] x, double[] y)
    {
        VertexVectors = new Vec3[vertices.Count];
        for (var i = 0; i < VertexVectors.Length; i++)
        {
            VertexVectors[i] = Wgs84.ReducedUnitVector(vertices[i]);
        }

        for (var i = 0; i < VertexVectors.Length; i++)
        {
            var edge = VertexVectors[i].AngleTo(VertexVectors[(i + 1) % VertexVectors.Length]);
            EdgeDeviationRad = Math.Max(EdgeDeviationRad, Volumes.SeparationBounds.EdgeDeviationRad(edge));
        }

        Ring = ring;
        Bounds = bounds;
        AreaM2 = areaM2;
        Cap = cap;
        Frame = new LocalProjection(cap.Center);
        Vectors = new Vec3[ring.Length];
        SegmentM = new double[ring.Length];
        for (var i = 0; i < ring.Length; i++)
        {
            Vectors[i] = Wgs84.ReducedUnitVector(ring[i]);
        }

        for (var i = 0; i < ring.Length; i++)
        {
            SegmentM[i] = Geodesic.Inverse(ring[i], ring[(i + 1) % ring.Length]).DistanceM;
            MaxSegmentM = Math.Max(MaxSegmentM, SegmentM[i]);
        }

        InnerRadiusM = InnerRadius(x, y);
    }

    /// <summary>
    /// Radius of a disc around <see cref="OutlineCap.Center"/> that lies inside the polygon (-1 when
    /// the centre is outside or within 1 m of the boundary: no such disc): the distance from the frame's origin to the nearest ring chord, where
    /// distances from the origin are exact, less 1 m for the chords' offset from the geodesic edges.
    /// It lets two overlapping outlines be recognised without the exact test.
    /// </summary>
    public double InnerRadiusM { get; }

    /// <summary>Reduced unit vectors of the given (distinct, not densified) vertices, for the cheap separation bounds.</summary>
    public Vec3[] VertexVectors { get; }

    /// <summary>The largest angle (radians, auxiliary sphere) by which an edge's geodesic departs from the great-circle arc between its vertices.</summary>
    public double EdgeDeviationRad { get; }

    /// <summary>The densified ring (open, longitudes normalised), in the order the vertices were given.</summary>
    public GeoPoint[] Ring { get; }

    public GeoBox Bounds { get; }

    public double AreaM2 { get; }

    public OutlineCap Cap { get; }

    /// <summary>Reduced unit vectors of <see cref="Ring"/>.</summary>
    public Vec3[] Vectors { get; }

    /// <summary>Geodesic length of segment i (Ring[i] to Ring[i + 1], wrapping), metres.</summary>
    public double[] SegmentM { get; }

    public double MaxSegmentM { get; }

    /// <summary>The AEQD centred on <see cref="OutlineCap.Center"/>.</summary>
    public LocalProjection Frame { get; }

    /// <summary>Ring projected in <see cref="Frame"/> (metres east).</summary>
    public double[] X => Projected().X;

    /// <summary>Ring projected in <see cref="Frame"/> (metres north).</summary>
    public double[] Y => Projected().Y;

    /// <summary>
    /// The ring projected in <see cref="Frame"/>, computed on first use with the same projection
    /// the factory validated the ring with, so the values are the same. Only the exact tests that
    /// the separation bounds leave undecided need it, so most of the writer's 100,000 cached
    /// outlines never do; kept for each, it was about 300 of the 2,200 bytes a cached polygon
    /// operation keeps alive (30 MB of heap the collector walks).
    /// </summary>
    private ProjectedRing Projected()
    {
        if (Volatile.Read(ref _projected) is { } done)
        {
            return done;
        }

        var x = new double[Ring.Length];
        var y = new double[Ring.Length];
        for (var i = 0; i < Ring.Length; i++)
        {
            (x[i], y[i]) = Frame.Forward(Ring[i]);
        }

        // Another thread may have made the same arrays meanwhile: either copy will do.
        return Interlocked.CompareExchange(ref _projected, new ProjectedRing(x, y), null) ?? _projected;
    }

    private ProjectedRing? _projected;

    private sealed record ProjectedRing(double[] X, double[] Y);

    /// <summary>
    /// The NetTopologySuite polygon of the projected ring with its prepared relate and facet-distance
    /// index, built on first use (call under <see cref="Sync"/>). Only the exact polygon/polygon
    /// test needs them, and <c>SeparationBounds</c> leaves it about one pair in 250; kept for every
    /// stored outline they made up most of a 700 MB heap at 100,000 operations, and the garbage
    /// collector's pauses grew with it (docs/performance.md).
    /// </summary>
    public (RelateNG Relate, IndexedFacetDistance Distance) FrameIndexes()
    {
        if (_frameIndexes is { } built)
        {
            return built;
        }

        var coords = new Coordinate[X.Length + 1];
        for (var i = 0; i < X.Length; i++)
        {
            coords[i] = new Coordinate(X[i], Y[i]);
        }

        coords[^1] = coords[0];
        var polygon = OutlineFactory.PlanarFactory.CreatePolygon(coords);
        var indexes = (RelateNG.Prepare(polygon), new IndexedFacetDistance(polygon));
        _frameIndexes = indexes;
        return indexes;
    }

    private (RelateNG Relate, IndexedFacetDistance Distance)? _frameIndexes;

    /// <summary>
    /// Serialises building and use of <see cref="FrameIndexes"/>: NetTopologySuite's prepared
    /// operations build lazy caches on first use and are not documented as thread-safe, while
    /// outlines are shared between requests.
    /// </summary>
    public Lock Sync => Volatile.Read(ref _sync) ?? Interlocked.CompareExchange(ref _sync, new Lock(), null) ?? _sync;

    // Made on first use, like the indexes it guards.
    private Lock? _sync;

    /// <summary>See <see cref="InnerRadiusM"/>; from the ring the factory projected.</summary>
    private static double InnerRadius(double[] x, double[] y)
    {
        if (!ContainsProjected(x, y, 0.0, 0.0))
        {
            return -1.0;
        }

        var nearest = DistanceToRingM(x, y, 0.0, 0.0);
        return nearest > 1.0 ? nearest - 1.0 : -1.0;
    }

    /// <summary>Planar distance in <see cref="Frame"/> from a point to the nearest chord of the projected ring. O(n).</summary>
    public double DistanceToRingM(double px, double py)
    {
        var ring = Projected();
        return DistanceToRingM(ring.X, ring.Y, px, py);
    }

    /// <summary>
    /// Crossing-number point-in-polygon test in <see cref="Frame"/> coordinates (half-open rule on
    /// y, so a point exactly on the boundary may go either way: callers treat the boundary through
    /// a distance test). O(n).
    /// </summary>
    public bool ContainsProjected(double px, double py)
    {
        var ring = Projected();
        return ContainsProjected(ring.X, ring.Y, px, py);
    }

    private static double DistanceToRingM(double[] xs, double[] ys, double px, double py)
    {
        var nearest = double.PositiveInfinity;
        for (int i = 0, j = xs.Length - 1; i < xs.Length; j = i++)
        {
            var dx = xs[i] - xs[j];
            var dy = ys[i] - ys[j];
            var len2 = (dx * dx) + (dy * dy);
            var t = len2 > 0.0 ? Math.Clamp(-(((xs[j] - px) * dx) + ((ys[j] - py) * dy)) / len2, 0.0, 1.0) : 0.0;
            var x = xs[j] + (t * dx) - px;
            var y = ys[j] + (t * dy) - py;
            nearest = Math.Min(nearest, Math.Sqrt((x * x) + (y * y)));
        }

        return nearest;
    }

    private static bool ContainsProjected(double[] xs, double[] ys, double px, double py)
    {
        var inside = false;
        var n = xs.Length;
        for (int i = 0, j = n - 1; i < n; j = i++)
        {
            var yi = ys[i];
            var yj = ys[j];
            if ((yi > py) != (yj > py))
            {
                var xCross = xs[i] + ((py - yi) / (yj - yi) * (xs[j] - xs[i]));
                if (px < xCross)
                {
                    inside = !inside;
                }
            }
        }

        return inside;
    }
}
