namespace Deconflict.Core.Geometry;

/// <summary>
/// Limits on outlines, agreed configuration rather than literals: the largest area (default
/// 250,000 km^2), the largest extent, the greatest geodesic distance between two points of an
/// outline (default 1,000 km, within which the intersection tests keep their accuracy promise),
/// the most vertices a polygon may have (default 2,000) and the longest perimeter of a polygon
/// (default 10,000 km).
/// </summary>
/// <remarks>
/// The vertex limit is checked before any geometry work, so a refused polygon costs only its
/// parsing. Real plans stay far below it: an F3548 operational intent or a USMTF ACO airspace is a
/// polygon of tens of vertices (the demo's and the test scenarios' have 4 to 60), and one traced
/// along a border or a coastline reaches a few hundred; 2,000 is several times that. At the limit
/// the outline costs milliseconds to prepare (docs/performance.md), where a 30,000-vertex one cost
/// a minute before the outline work was made O(n log n).
/// <para>
/// The perimeter limit bounds the densified ring (a point every 8 km at most), which all the
/// outline work is linear in: without it, 2,000 vertices within the 1,000 km extent could have
/// 2,000 edges of 500 km (a star), 126,000 ring points and over a second of work each. A convex
/// outline within the extent has a perimeter of at most pi x 1,000 km = 3,142 km; 10,000 km
/// leaves room for concave ones, and keeps the ring under 2,000 + 1,250 points.
/// </para>
/// </remarks>
public sealed record GeometryLimits(double MaxAreaM2 = 250_000_000_000, double MaxExtentM = 1_000_000, int MaxVertices = 2_000, double MaxPerimeterM = 10_000_000);
