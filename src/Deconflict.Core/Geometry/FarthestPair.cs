namespace Deconflict.Core.Geometry;

/// <summary>
/// The greatest geodesic distance between two of a set of points (the set's extent): exactly the
/// largest <see cref="Geodesic.Inverse(GeoPoint, GeoPoint)"/> over the pairs, each pair (i, j)
/// solved with i &lt; j, found by branch and bound on a k-d tree of the points' Earth-centred
/// positions instead of by trying every pair.
/// </summary>
/// <remarks>
/// <para>
/// The bound: a geodesic is a space curve whose curvature is the surface's normal curvature, at
/// most 1/R with R = b^2/a (the meridian's radius at the equator, the ellipsoid's smallest). By
/// Schur's comparison theorem a curve of length D and curvature at most 1/R (with D &lt;= pi R) has
/// a chord of at least 2 R sin(D / 2R), so D &lt;= U(c) = 2 R asin(c / 2R) for the chord c. Chords
/// up to 10,000 km belong to geodesics far shorter than pi R (19,900 km), so the bound holds
/// there; longer chords are always solved exactly. D &gt;= c as well, so U is tight: between the
/// true distance and U lies a relative gap of about c^2 (1/R^2 - 1/R'^2) / 24 for the pair's own
/// radius of curvature R', at most 2e-5 at 1,000 km and 2e-7 at 100 km.
/// </para>
/// <para>
/// Cost: O(n log n) to build the tree; each point's search prunes every box whose farthest
/// corner's U cannot beat the best distance so far (seeded with a double sweep), and solves the
/// inverse problem only for pairs that can. That is a few pairs for most shapes and, for a
/// near-circle whose points all have a partner almost diametrically opposite, the partners within
/// the gap above (about 12 per point for a 30,000-vertex circle 100 km across): 0.16 s there,
/// where the pairwise search it replaces took 133 s (docs/performance.md).
/// </para>
/// </remarks>
internal static class FarthestPair
{
    // Smallest radius of curvature of the ellipsoid: the meridian's at the equator.
    private const double MinRadiusM = Wgs84.B * Wgs84.B / Wgs84.A;

    // Chords beyond this are solved exactly (see the remarks).
    private const double MaxBoundedChordM = 10_000_000.0;

    private const int LeafSize = 8;

    /// <summary>The greatest geodesic distance (metres) between two of the points; 0 for fewer than 2.</summary>
    public static double GreatestDistanceM(IReadOnlyList<GeoPoint> points)
    {
        var n = points.Count;
        if (n < 2)
        {
            return 0.0;
        }

        var search = new Search(points);
        var (a, b) = search.DoubleSweep();
        search.Evaluate(Math.Min(a, b), Math.Max(a, b));
        for (var i = 0; i < n; i++)
        {
            search.From(i);
        }

        return search.Best;
    }

    /// <summary>
    /// Least chord whose upper bound U can exceed <paramref name="distanceM"/>: pairs with a shorter
    /// chord cannot beat it. Kept a hair below the exact inverse of U so rounding never prunes a pair
    /// that could.
    /// </summary>
    private static double ChordThreshold(double distanceM)
    {
        // U carries 1e-9 relative and 1 um absolute slack for the inverse problem's rounding.
        var d = (distanceM - 1e-6) / (1.0 + 1e-9);
        if (d <= 0.0)
        {
            return 0.0;
        }

        var half = d / (2.0 * MinRadiusM);
        if (half >= Math.PI / 2.0)
        {
            return MaxBoundedChordM;
        }

        return Math.Min(MaxBoundedChordM, 2.0 * MinRadiusM * Math.Sin(half) * (1.0 - 1e-12));
    }

    private sealed class Search
    {
        private readonly IReadOnlyList<GeoPoint> _points;
        private readonly double[] _xyz;
        private readonly int[] _order;
        private readonly List<Node> _nodes = [];
        private double _threshold2;

        public Search(IReadOnlyList<GeoPoint> points)
        {
            _points = points;
            var n = points.Count;
            _xyz = new double[3 * n];
            for (var i = 0; i < n; i++)
            {
                // Earth-centred, Earth-fixed position on the ellipsoid (height 0).
                var phi = points[i].Lat * Wgs84.DegToRad;
                var lam = points[i].Lng * Wgs84.DegToRad;
                var sinPhi = Math.Sin(phi);
                var nu = Wgs84.A / Math.Sqrt(1.0 - (Wgs84.E2 * sinPhi * sinPhi));
                _xyz[3 * i] = nu * Math.Cos(phi) * Math.Cos(lam);
                _xyz[(3 * i) + 1] = nu * Math.Cos(phi) * Math.Sin(lam);
                _xyz[(3 * i) + 2] = nu * (1.0 - Wgs84.E2) * sinPhi;
            }

            _order = new int[n];
            for (var i = 0; i < n; i++)
            {
                _order[i] = i;
            }

            Build(0, n);
        }

        public double Best { get; private set; }

        /// <summary>Two far-apart points: the farthest (by chord) from point 0, and the farthest from that one.</summary>
        public (int A, int B) DoubleSweep()
        {
            var a = FarthestByChord(0);
            return (a, FarthestByChord(a));
        }

        /// <summary>Solves the pair (i &lt; j) exactly and keeps it if it is the farthest so far.</summary>
        public void Evaluate(int i, int j)
        {
            var d = Geodesic.Inverse(_points[i], _points[j]).DistanceM;
            if (d > Best)
            {
                Best = d;
                var t = ChordThreshold(d);
                _threshold2 = t * t;
            }
        }

        /// <summary>Every pair (i, j) with j &gt; i that can beat the best so far.</summary>
        public void From(int i)
        {
            var px = _xyz[3 * i];
            var py = _xyz[(3 * i) + 1];
            var pz = _xyz[(3 * i) + 2];
            Visit(0, i, px, py, pz);
        }

        private void Visit(int index, int i, double px, double py, double pz)
        {
            var node = _nodes[index];
            if (node.FarthestSquared(px, py, pz) <= _threshold2)
            {
                return;
            }

            if (node.Left < 0)
            {
                for (var k = node.Lo; k < node.Hi; k++)
                {
                    var j = _order[k];
                    if (j > i && Chord2(i, j) > _threshold2)
                    {
                        Evaluate(i, j);
                    }
                }

                return;
            }

            // The child whose farthest corner is farther first: it is likelier to raise the best.
            var left = _nodes[node.Left].FarthestSquared(px, py, pz);
            var right = _nodes[node.Right].FarthestSquared(px, py, pz);
            var (first, second) = left >= right ? (node.Left, node.Right) : (node.Right, node.Left);
            Visit(first, i, px, py, pz);
            Visit(second, i, px, py, pz);
        }

        private double Chord2(int i, int j)
        {
            var dx = _xyz[3 * i] - _xyz[3 * j];
            var dy = _xyz[(3 * i) + 1] - _xyz[(3 * j) + 1];
            var dz = _xyz[(3 * i) + 2] - _xyz[(3 * j) + 2];
            return (dx * dx) + (dy * dy) + (dz * dz);
        }

        private int FarthestByChord(int from)
        {
            var best = from;
            var bestChord = -1.0;
            for (var j = 0; j < _points.Count; j++)
            {
                var c = Chord2(from, j);
                if (c > bestChord)
                {
                    bestChord = c;
                    best = j;
                }
            }

            return best;
        }

        /// <summary>Builds the node for _order[lo..hi), splitting at the median of its widest axis. O(n log^2 n) in all.</summary>
        private int Build(int lo, int hi)
        {
            var min = new double[] { double.MaxValue, double.MaxValue, double.MaxValue };
            var max = new double[] { double.MinValue, double.MinValue, double.MinValue };
            for (var k = lo; k < hi; k++)
            {
                var p = _order[k];
                for (var axis = 0; axis < 3; axis++)
                {
                    min[axis] = Math.Min(min[axis], _xyz[(3 * p) + axis]);
                    max[axis] = Math.Max(max[axis], _xyz[(3 * p) + axis]);
                }
            }

            var index = _nodes.Count;
            _nodes.Add(new Node(lo, hi, -1, -1, min[0], min[1], min[2], max[0], max[1], max[2]));
            if (hi - lo <= LeafSize)
            {
                return index;
            }

            var widest = 0;
            for (var axis = 1; axis < 3; axis++)
            {
                if (max[axis] - min[axis] > max[widest] - min[widest])
                {
                    widest = axis;
                }
            }

            var keys = new double[hi - lo];
            for (var k = lo; k < hi; k++)
            {
                keys[k - lo] = _xyz[(3 * _order[k]) + widest];
            }

            var items = _order[lo..hi];
            Array.Sort(keys, items);
            items.CopyTo(_order, lo);
            var mid = lo + ((hi - lo) / 2);
            var left = Build(lo, mid);
            var right = Build(mid, hi);
            _nodes[index] = _nodes[index] with { Left = left, Right = right };
            return index;
        }
    }

    /// <summary>A box of the tree: the points _order[Lo..Hi), their bounding box, and its children (-1 for a leaf).</summary>
    private readonly record struct Node(int Lo, int Hi, int Left, int Right, double MinX, double MinY, double MinZ, double MaxX, double MaxY, double MaxZ)
    {
        /// <summary>Squared distance from a point to the box's farthest corner: no point of the box is farther.</summary>
        public double FarthestSquared(double px, double py, double pz)
        {
            var dx = Math.Max(Math.Abs(px - MinX), Math.Abs(px - MaxX));
            var dy = Math.Max(Math.Abs(py - MinY), Math.Abs(py - MaxY));
            var dz = Math.Max(Math.Abs(pz - MinZ), Math.Abs(pz - MaxZ));
            return (dx * dx) + (dy * dy) + (dz * dz);
        }
    }
}
