
namespace Deconflict.Core.Strategic;

/// <summary>
/// The in-memory broad phase: 4D boxes binned by latitude and longitude in cells of a fixed size,
/// altitude and time tested per entry. A box goes into every cell it covers (split at the
/// antimeridian); a query visits the cells its box covers and tests their entries, each key
/// reported once. Cost: O(cells covered + entries in them); with 100,000 operations of 1 to 50 km
/// over 2,000 x 2,000 km and 0.5 degree cells, a query reads about 4 cells of about 100 entries.
/// Not thread-safe: it belongs to the single writer.
/// </summary>
/// <remarks>
/// Why not the store's R*Tree: one SQLite R*Tree query costs 15-60 us at 100,000 rows (measured,
/// docs/performance.md), more than the whole check is allowed; this grid answers in about 2 us.
/// The R*Tree stays the persisted index this grid is loaded from, and serves bbox listings.
/// </remarks>
public sealed class VolumeGrid<TKey>
    where TKey : notnull
{
    private const int LngCells = 1 << 16;
    private readonly double _cellDeg;
    private readonly Dictionary<long, List<Entry>> _cells = [];
    private readonly Dictionary<TKey, Holder> _keys = [];
    private int _stamp;

    /// <param name="cellDeg">Cell size in degrees of latitude and longitude (0.5 by default: about 55 km).</param>
    public VolumeGrid(double cellDeg = 0.5)
    {
        if (!(cellDeg is > 0.0 and <= 90.0))
        {
            throw new ArgumentOutOfRangeException(nameof(cellDeg), cellDeg, "Cell size must be in (0, 90] degrees.");
        }

        _cellDeg = cellDeg;
    }

    public int Count => _keys.Count;

    /// <summary>Replaces the boxes of a key (an empty list removes it).</summary>
    public void Set(TKey key, IReadOnlyList<VolumeBox> boxes)
    {
        Remove(key);
        if (boxes.Count == 0)
        {
            return;
        }

        var holder = new Holder(key, [.. boxes]);
        _keys.Add(key, holder);
        foreach (var box in boxes)
        {
            foreach (var (west, east) in box.Area.LongitudeRanges())
            {
                var entry = new Entry(holder, box.Area.South, box.Area.North, west, east, box.AltitudeLowerM, box.AltitudeUpperM, box.TimeStart.UtcTicks, box.TimeEnd.UtcTicks);
                foreach (var cell in Cells(box.Area.South, box.Area.North, west, east))
                {
                    if (!_cells.TryGetValue(cell, out var list))
                    {
                        _cells.Add(cell, list = []);
                    }

                    list.Add(entry);
                    holder.Cells.Add(cell);
                }
            }
        }
    }

    public bool TryGet(TKey key, out IReadOnlyList<VolumeBox> boxes)
    {
        if (_keys.TryGetValue(key, out var h))
        {
            boxes = h.Boxes;
            return true;
        }

        boxes = [];
        return false;
    }

    public void Remove(TKey key)
    {
        if (!_keys.Remove(key, out var holder))
        {
            return;
        }

        foreach (var cell in holder.Cells)
        {
            if (_cells.TryGetValue(cell, out var list))
            {
                list.RemoveAll(e => ReferenceEquals(e.Holder, holder));
                if (list.Count == 0)
                {
                    _cells.Remove(cell);
                }
            }
        }
    }

    /// <summary>
    /// Adds to <paramref name="found"/> every key with a box meeting the query box (closed
    /// intervals in every dimension: touching boxes are candidates, the exact test decides).
    /// </summary>
    public void Query(VolumeBox query, ICollection<TKey> found)
    {
        var stamp = ++_stamp;
        var t0 = query.TimeStart.UtcTicks;
        var t1 = query.TimeEnd.UtcTicks;
        foreach (var (west, east) in query.Area.LongitudeRanges())
        {
            foreach (var cell in Cells(query.Area.South, query.Area.North, west, east))
            {
                if (!_cells.TryGetValue(cell, out var list))
                {
                    continue;
                }

                foreach (var e in list)
                {
                    if (e.Holder.Stamp != stamp && e.TimeEnd >= t0 && e.TimeStart <= t1 && e.AltitudeUpper >= query.AltitudeLowerM &&
                        e.AltitudeLower <= query.AltitudeUpperM && e.North >= query.Area.South && e.South <= query.Area.North &&
                        e.East >= west && e.West <= east)
                    {
                        e.Holder.Stamp = stamp;
                        found.Add(e.Holder.Key);
                    }
                }
            }
        }
    }

    private IEnumerable<long> Cells(double south, double north, double west, double east)
    {
        var latCells = (int)Math.Ceiling(180.0 / _cellDeg);
        var lngCells = (int)Math.Ceiling(360.0 / _cellDeg);
        var y0 = Math.Clamp((int)Math.Floor((south + 90.0) / _cellDeg), 0, latCells - 1);
        var y1 = Math.Clamp((int)Math.Floor((north + 90.0) / _cellDeg), 0, latCells - 1);
        var x0 = Math.Clamp((int)Math.Floor((west + 180.0) / _cellDeg), 0, lngCells - 1);
        var x1 = Math.Clamp((int)Math.Floor((east + 180.0) / _cellDeg), 0, lngCells - 1);
        for (var y = y0; y <= y1; y++)
        {
            for (var x = x0; x <= x1; x++)
            {
                yield return ((long)y * LngCells) + x;
            }
        }
    }

    private sealed class Holder(TKey key, VolumeBox[] boxes)
    {
        public TKey Key { get; } = key;

        public VolumeBox[] Boxes { get; } = boxes;

        public List<long> Cells { get; } = [];

        public int Stamp { get; set; }
    }

    private sealed record Entry(Holder Holder, double South, double North, double West, double East, double AltitudeLower, double AltitudeUpper, long TimeStart, long TimeEnd);
}
