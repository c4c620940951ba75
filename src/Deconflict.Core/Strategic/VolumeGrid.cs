namespace Deconflict.Core.Strategic;

/// <summary>
/// The in-memory broad phase: 4D boxes binned by latitude, longitude and time in cells of a fixed
/// size, altitude tested per entry. A box goes into every cell it covers (split at the
/// antimeridian); a box longer than <see cref="MaxTimeBins"/> time bins (a zone valid for weeks) goes
/// into its spatial cells' "any time" bin instead, which every query also reads. A query visits the
/// cells its box covers and tests their entries, each key reported once.
/// Cost: O(cells covered + entries in them). With 100,000 operations of 1 to 50 km over
/// 2,000 x 2,000 km and 48 h, 0.5 degree cells and 6 h bins, a query reads about 150 entries.
/// Entries are compact structs in per-cell lists, so a query streams through memory instead of
/// chasing a pointer per entry (12 us a query with class entries and no time bins, measured on the
/// benchmark).
/// Not thread-safe: it belongs to the single writer.
/// </summary>
/// <remarks>
/// Why not the store's R*Tree: one SQLite R*Tree query costs 15-60 us at 100,000 rows (measured
/// during development, docs/performance.md), more than the whole check may take. The R*Tree stays
/// the persisted index this grid is loaded from, and serves bbox listings.
/// </remarks>
public sealed class VolumeGrid<TKey>
    where TKey : notnull
{
    /// <summary>Boxes spanning more time bins than this are filed under "any time".</summary>
    public const int MaxTimeBins = 16;

    private const long AnyTime = -1;

    // Up to about a year of 6 h bins a query walks its bins; beyond, it reads its cells' lists.
    private const long MaxQueryBins = 1460;
    private static readonly long TimeBinTicks = TimeSpan.FromHours(6).Ticks;

    private readonly double _cellDeg;
    private readonly int _latCells;
    private readonly int _lngCells;
    private readonly Dictionary<CellKey, List<Entry>> _cells = [];
    private readonly Dictionary<TKey, int> _slots = [];
    private readonly List<Holder?> _holders = [];
    private readonly Stack<int> _free = new();
    private int[] _stamps = new int[64];
    private int _stamp;

    /// <param name="cellDeg">Cell size in degrees of latitude and longitude (0.5 by default: about 55 km).</param>
    public VolumeGrid(double cellDeg = 0.5)
    {
        if (!(cellDeg is > 0.0 and <= 90.0))
        {
            throw new ArgumentOutOfRangeException(nameof(cellDeg), cellDeg, "Cell size must be in (0, 90] degrees.");
        }

        _cellDeg = cellDeg;
        _latCells = (int)Math.Ceiling(180.0 / cellDeg);
        _lngCells = (int)Math.Ceiling(360.0 / cellDeg);
    }

    public int Count => _slots.Count;

    /// <summary>Replaces the boxes of a key (an empty list removes it).</summary>
    public void Set(TKey key, IReadOnlyList<VolumeBox> boxes)
    {
        Remove(key);
        if (boxes.Count == 0)
        {
            return;
        }

        var slot = _free.Count > 0 ? _free.Pop() : _holders.Count;
        var holder = new Holder(key, [.. boxes]);
        if (slot == _holders.Count)
        {
            _holders.Add(holder);
        }
        else
        {
            _holders[slot] = holder;
        }

        if (slot >= _stamps.Length)
        {
            Array.Resize(ref _stamps, _stamps.Length * 2);
        }

        _stamps[slot] = 0;
        _slots.Add(key, slot);
        foreach (var box in boxes)
        {
            var (t0, t1) = TimeBins(box);
            foreach (var (west, east) in box.Area.LongitudeRanges())
            {
                var entry = new Entry(slot, box.Area.South, box.Area.North, west, east, box.AltitudeLowerM, box.AltitudeUpperM, box.TimeStart.UtcTicks, box.TimeEnd.UtcTicks);
                var (y0, y1, x0, x1) = CellRange(box.Area.South, box.Area.North, west, east);
                for (var y = y0; y <= y1; y++)
                {
                    for (var x = x0; x <= x1; x++)
                    {
                        for (var t = t0; t <= t1; t++)
                        {
                            var cell = new CellKey(y, x, t);
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
        }
    }

    public bool TryGet(TKey key, out IReadOnlyList<VolumeBox> boxes)
    {
        if (_slots.TryGetValue(key, out var slot))
        {
            boxes = _holders[slot]!.Boxes;
            return true;
        }

        boxes = [];
        return false;
    }

    public void Remove(TKey key)
    {
        if (!_slots.Remove(key, out var slot))
        {
            return;
        }

        var holder = _holders[slot]!;
        foreach (var cell in holder.Cells)
        {
            if (_cells.TryGetValue(cell, out var list))
            {
                list.RemoveAll(e => e.Slot == slot);
                if (list.Count == 0)
                {
                    _cells.Remove(cell);
                }
            }
        }

        _holders[slot] = null;
        _free.Push(slot);
    }

    /// <summary>
    /// Adds to <paramref name="found"/> every key with a box meeting the query box (closed
    /// intervals in every dimension: touching boxes are candidates, the exact test decides). It may
    /// also add a key whose box is apart from the query by less than the entries' rounding (a
    /// float's precision, about 1e-5 degrees or 0.001 m; one minute), never miss one.
    /// </summary>
    public void Query(VolumeBox query, ICollection<TKey> found)
    {
        var stamp = ++_stamp;
        var b0 = Bin(query.TimeStart.UtcTicks);
        var b1 = Bin(query.TimeEnd.UtcTicks);
        // Query bounds rounded outward the same way as entries: a box touching the query still meets it.
        var m0 = MinuteDown(query.TimeStart.UtcTicks);
        var m1 = MinuteUp(query.TimeEnd.UtcTicks);
        var walkBins = b1 - b0 <= MaxQueryBins;
        foreach (var (west, east) in query.Area.LongitudeRanges())
        {
            var (y0, y1, x0, x1) = CellRange(query.Area.South, query.Area.North, west, east);
            for (var y = y0; y <= y1; y++)
            {
                for (var x = x0; x <= x1; x++)
                {
                    Scan(new CellKey(y, x, AnyTime));
                    if (walkBins)
                    {
                        for (var t = b0; t <= b1; t++)
                        {
                            Scan(new CellKey(y, x, t));
                        }
                    }
                    else
                    {
                        // A query over years would walk more bins than there are cells: read the
                        // cells of this place instead, whatever their time.
                        foreach (var (cell, _) in _cells)
                        {
                            if (cell.Lat == y && cell.Lng == x && cell.Time != AnyTime)
                            {
                                Scan(cell);
                            }
                        }
                    }

                    void Scan(CellKey cell)
                    {
                        if (!_cells.TryGetValue(cell, out var list))
                        {
                            return;
                        }

                        foreach (ref readonly var e in System.Runtime.InteropServices.CollectionsMarshal.AsSpan(list))
                        {
                            if (e.MinuteEnd >= m0 && e.MinuteStart <= m1 && e.AltitudeUpper >= query.AltitudeLowerM &&
                                e.AltitudeLower <= query.AltitudeUpperM && e.North >= query.Area.South && e.South <= query.Area.North &&
                                e.East >= west && e.West <= east && _stamps[e.Slot] != stamp)
                            {
                                _stamps[e.Slot] = stamp;
                                found.Add(_holders[e.Slot]!.Key);
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>The time bins a box is filed under, or (AnyTime, AnyTime) when it spans more than <see cref="MaxTimeBins"/>.</summary>
    private static (long First, long Last) TimeBins(VolumeBox box)
    {
        var first = Bin(box.TimeStart.UtcTicks);
        var last = Bin(box.TimeEnd.UtcTicks);
        return last - first >= MaxTimeBins ? (AnyTime, AnyTime) : (first, last);
    }

    private static long Bin(long ticks) => ticks / TimeBinTicks;

    private (int Y0, int Y1, int X0, int X1) CellRange(double south, double north, double west, double east) => (
        Math.Clamp((int)Math.Floor((south + 90.0) / _cellDeg), 0, _latCells - 1),
        Math.Clamp((int)Math.Floor((north + 90.0) / _cellDeg), 0, _latCells - 1),
        Math.Clamp((int)Math.Floor((west + 180.0) / _cellDeg), 0, _lngCells - 1),
        Math.Clamp((int)Math.Floor((east + 180.0) / _cellDeg), 0, _lngCells - 1));

    private readonly record struct CellKey(int Lat, int Lng, long Time);

    private sealed class Holder(TKey key, VolumeBox[] boxes)
    {
        public TKey Key { get; } = key;

        public VolumeBox[] Boxes { get; } = boxes;

        public List<CellKey> Cells { get; } = [];
    }

    /// <summary>
    /// A box as the grid stores it: 36 bytes instead of 72, because a query's cost is the memory it
    /// streams through (about 700 entries for the benchmark's query, mostly not in cache). Every
    /// bound is rounded outward (floats for degrees and metres, whole minutes for times), so an
    /// entry contains its box and the grid still never misses a candidate.
    /// </summary>
    private readonly struct Entry
    {
        public readonly int Slot;
        public readonly int MinuteStart;
        public readonly int MinuteEnd;
        public readonly float South;
        public readonly float North;
        public readonly float West;
        public readonly float East;
        public readonly float AltitudeLower;
        public readonly float AltitudeUpper;

        public Entry(int slot, double south, double north, double west, double east, double altitudeLower, double altitudeUpper, long ticksStart, long ticksEnd)
        {
            Slot = slot;
            South = Down(south);
            North = Up(north);
            West = Down(west);
            East = Up(east);
            AltitudeLower = Down(altitudeLower);
            AltitudeUpper = Up(altitudeUpper);
            MinuteStart = MinuteDown(ticksStart);
            MinuteEnd = MinuteUp(ticksEnd);
        }

        private static float Down(double x)
        {
            var f = (float)x;
            return f > x ? MathF.BitDecrement(f) : f;
        }

        private static float Up(double x)
        {
            var f = (float)x;
            return f < x ? MathF.BitIncrement(f) : f;
        }
    }

    // Minutes since 2000-01-01: a 32-bit count reaches beyond the year 6000.
    private static readonly long EpochTicks = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;

    private static int MinuteDown(long ticks) =>
        (int)Math.Clamp(Math.Floor((ticks - EpochTicks) / (double)TimeSpan.TicksPerMinute), int.MinValue, int.MaxValue);

    private static int MinuteUp(long ticks) =>
        (int)Math.Clamp(Math.Ceiling((ticks - EpochTicks) / (double)TimeSpan.TicksPerMinute), int.MinValue, int.MaxValue);
}
