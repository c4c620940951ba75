using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Deconflict.Core.Strategic;

/// <summary>
/// The in-memory broad phase: 4D boxes binned by latitude, longitude and time in cells of a fixed
/// size, altitude tested per entry. A box goes into every cell it covers (split at the
/// antimeridian); a box longer than <see cref="MaxTimeBins"/> time bins (a zone valid for weeks) goes
/// into its spatial cells' "any time" bin instead, which every query also reads. A query visits the
/// cells its box covers and tests their entries, each key reported once. Each key carries a value
/// (the writer keeps the declaration there), so a hit costs no further lookup.
/// Cost: O(cells covered + entries in them). With 100,000 operations of 1 to 50 km over
/// 2,000 x 2,000 km and 48 h, 0.5 degree cells and 6 h bins, a query reads about 120 entries in
/// about 5 cells (finer cells and bins read hardly fewer, since a box is then in more of them, and
/// cost a lookup each: 0.25 degrees and 3 h read 104 entries in 13 cells, no faster).
/// </summary>
/// <remarks>
/// <para>
/// Layout, because a query's cost is memory latency, not arithmetic (the benchmark's check took
/// 3 us warm and 15 us with its data out of cache, docs/performance.md): entries are compact structs
/// in one array per cell, so a query streams through memory instead of chasing a pointer per entry
/// (12 us a query with class entries and no time bins); cells sit in an open-addressed table of
/// structs, so finding one costs one cache miss instead of four through a Dictionary of Lists;
/// boxes filed under "any time" have their own table, small enough to stay in cache when there
/// are few of them; and a hit reads key, value and the de-duplication stamp from one struct.
/// Measured on the benchmark (100,000 operations, 1,024 different queries in turn): a query took
/// 3.5-3.8 us with 36-byte entries of floats and minutes, 1.3-1.8 us with the 16-bit entries
/// below; the table and the values in it took the writer's FindCandidates from 3.6-5.0 us to
/// 3.3-3.6 us before that. The grid takes 39 MB for 100,000 operations.
/// </para>
/// <para>
/// Why not the store's R*Tree: one SQLite R*Tree query costs 15-60 us at 100,000 rows (measured
/// during development, docs/performance.md), more than the whole check may take. The R*Tree stays
/// the persisted index this grid is loaded from, and serves bbox listings.
/// </para>
/// Not thread-safe: it belongs to the single writer.
/// </remarks>
public sealed class VolumeGrid<TKey, TValue>
    where TKey : notnull
{
    /// <summary>Boxes spanning more time bins than this are filed under "any time".</summary>
    public const int MaxTimeBins = 16;

    private const long AnyTime = -1;

    // Up to this many bins (a year of 6 h bins) a query walks its bins; beyond, it reads its cells' lists.
    private const long MaxQueryBins = 1460;

    private readonly long _binTicks;
    private readonly double _cellDeg;
    private readonly int _latCells;
    private readonly int _lngCells;
    private readonly CellTable _cells = new();
    private readonly CellTable _anyTime = new();
    private readonly Dictionary<TKey, int> _slots = [];
    private readonly Stack<int> _free = new();
    private readonly List<int> _scratchHits = [];
    private readonly List<(CellKey Cell, Entry[] Entries, int Length)> _found = [];
    private Slot[] _slotData = new Slot[64];
    private int _slotsUsed;
    private int _stamp;

    /// <param name="cellDeg">Cell size in degrees of latitude and longitude (0.5 by default: about 55 km).</param>
    /// <param name="binHours">Time bin length in hours (6 by default).</param>
    public VolumeGrid(double cellDeg = 0.5, double binHours = 6)
    {
        if (!(cellDeg is > 0.0 and <= 90.0))
        {
            throw new ArgumentOutOfRangeException(nameof(cellDeg), cellDeg, "Cell size must be in (0, 90] degrees.");
        }

        if (!(binHours is >= 1.0 / 60.0 and <= 24.0 * 366.0))
        {
            throw new ArgumentOutOfRangeException(nameof(binHours), binHours, "A time bin must be a minute to a year long.");
        }

        _binTicks = TimeSpan.FromHours(binHours).Ticks;
        _cellDeg = cellDeg;
        _latCells = (int)Math.Ceiling(180.0 / cellDeg);
        _lngCells = (int)Math.Ceiling(360.0 / cellDeg);
    }

    public int Count => _slots.Count;

    /// <summary>Replaces the boxes and value of a key (an empty list removes it).</summary>
    public void Set(TKey key, IReadOnlyList<VolumeBox> boxes, TValue value)
    {
        Remove(key);
        if (boxes.Count == 0)
        {
            return;
        }

        var slot = _free.Count > 0 ? _free.Pop() : _slotsUsed++;
        if (slot >= _slotData.Length)
        {
            Array.Resize(ref _slotData, _slotData.Length * 2);
        }

        foreach (var box in boxes)
        {
            FileBox(slot, box, add: true);
        }

        _slotData[slot] = new Slot(key, value, [.. boxes]);
        _slots.Add(key, slot);
    }

    public bool TryGet(TKey key, out IReadOnlyList<VolumeBox> boxes, out TValue value)
    {
        if (_slots.TryGetValue(key, out var slot))
        {
            boxes = _slotData[slot].Boxes;
            value = _slotData[slot].Value;
            return true;
        }

        boxes = [];
        value = default!;
        return false;
    }

    /// <summary>Replaces the value of a key, keeping its boxes. False when the key is not in the grid.</summary>
    public bool TrySetValue(TKey key, TValue value)
    {
        if (!_slots.TryGetValue(key, out var slot))
        {
            return false;
        }

        _slotData[slot].Value = value;
        return true;
    }

    public void Remove(TKey key)
    {
        if (!_slots.Remove(key, out var slot))
        {
            return;
        }

        ref var data = ref _slotData[slot];
        foreach (var box in data.Boxes)
        {
            FileBox(slot, box, add: false);
        }

        data = default;
        _free.Push(slot);
    }

    /// <summary>
    /// Adds to <paramref name="found"/> every key with a box meeting the query box (closed
    /// intervals in every dimension: touching boxes are candidates, the exact test decides). It may
    /// also add a key whose box is apart from the query by less than the entries' rounding (see
    /// <see cref="Codes"/>: 2/65535 of a cell, 2/65535 of a time bin or 2 days under "any time",
    /// 2 m of altitude), never miss one.
    /// </summary>
    public void Query(VolumeBox query, ICollection<TKey> found)
    {
        var hits = _scratchHits;
        hits.Clear();
        Collect(query, NextStamp(), hits);
        foreach (var slot in hits)
        {
            found.Add(_slotData[slot].Key);
        }
    }

    /// <summary>
    /// Adds to <paramref name="found"/> the key and value of every key with a box meeting any of
    /// the query boxes, each key once, under the rule of <see cref="Query(VolumeBox, ICollection{TKey})"/>.
    /// </summary>
    public void Query(IReadOnlyList<VolumeBox> queries, ICollection<KeyValuePair<TKey, TValue>> found)
    {
        var hits = _scratchHits;
        hits.Clear();
        var stamp = NextStamp();
        for (var i = 0; i < queries.Count; i++)
        {
            Collect(queries[i], stamp, hits);
        }

        foreach (var slot in hits)
        {
            ref readonly var data = ref _slotData[slot];
            found.Add(new KeyValuePair<TKey, TValue>(data.Key, data.Value));
        }
    }

    /// <summary>
    /// A stamp no slot holds: after 2^31 queries the stamps start again from 1, so a slot last
    /// reported about 2^32 queries earlier (seven weeks at 1,000 a second) cannot look reported.
    /// </summary>
    private int NextStamp()
    {
        if (_stamp == int.MaxValue)
        {
            for (var i = 0; i < _slotsUsed; i++)
            {
                _slotData[i].Stamp = 0;
            }

            _stamp = 0;
        }

        return ++_stamp;
    }

    /// <summary>Adds to <paramref name="hits"/> the slot of every entry meeting the query not yet stamped with <paramref name="stamp"/>.</summary>
    private void Collect(VolumeBox query, int stamp, List<int> hits)
    {
        var area = query.Area;
        if (area.CrossesAntimeridian)
        {
            Collect(query, area.West, 180.0, stamp, hits);
            Collect(query, -180.0, area.East, stamp, hits);
        }
        else
        {
            Collect(query, area.West, area.East, stamp, hits);
        }
    }

    private void Collect(VolumeBox query, double west, double east, int stamp, List<int> hits)
    {
        var start = query.TimeStart.UtcTicks;
        var end = query.TimeEnd.UtcTicks;
        var b0 = Bin(start);
        var b1 = Bin(end);
        var walkBins = b1 - b0 <= MaxQueryBins;
        var anyTime = _anyTime.Count > 0;
        var (y0, y1, x0, x1) = CellRange(query.Area.South, query.Area.North, west, east);

        // First find every cell, then scan them: the lookups do not depend on each other, so
        // their cache misses overlap instead of each waiting behind the previous cell's scan.
        var found = _found;
        found.Clear();
        for (var y = y0; y <= y1; y++)
        {
            for (var x = x0; x <= x1; x++)
            {
                if (anyTime)
                {
                    _anyTime.Find(new CellKey(y, x, AnyTime), found);
                }

                if (walkBins)
                {
                    for (var t = b0; t <= b1; t++)
                    {
                        _cells.Find(new CellKey(y, x, t), found);
                    }
                }
                else
                {
                    // A query over years would walk more bins than there are cells: read the
                    // cells of this place in its bins instead.
                    _cells.At(y, x, b0, b1, found);
                }
            }
        }

        // The query in each cell's codes: its bounds clamped to the cell and rounded outward the
        // same way as the entries', lower bounds against the entries' upper ones and the reverse.
        var (low, high) = Codes.Range(Codes.AltitudeUnits(query.AltitudeLowerM), Codes.AltitudeUnits(query.AltitudeUpperM));
        foreach (var (cell, entries, length) in CollectionsMarshal.AsSpan(found))
        {
            var (south, north) = Codes.Range(CellUnits(query.Area.South, cell.Lat, 90.0), CellUnits(query.Area.North, cell.Lat, 90.0));
            var (w, e) = Codes.Range(CellUnits(west, cell.Lng, 180.0), CellUnits(east, cell.Lng, 180.0));
            var (ts, te) = Codes.Range(TimeUnits(start, cell.Time), TimeUnits(end, cell.Time));
            var q = Entry.Query(south, w, ts, low, north, e, te, high);
            Scan(entries.AsSpan(0, length), q, stamp, hits);
        }
    }

    private void Scan(ReadOnlySpan<Entry> entries, Vector128<ushort> query, int stamp, List<int> hits)
    {
        foreach (ref readonly var e in entries)
        {
            if (e.Meets(query))
            {
                ref var stamped = ref _slotData[e.Slot].Stamp;
                if (stamped != stamp)
                {
                    stamped = stamp;
                    hits.Add(e.Slot);
                }
            }
        }
    }

    /// <summary>A latitude (origin 90) or longitude (origin 180) in code units of cell <paramref name="index"/>.</summary>
    private double CellUnits(double degrees, int index, double origin) => (degrees + origin - (index * _cellDeg)) / _cellDeg * Codes.Max;

    /// <summary>A time in code units of time bin <paramref name="bin"/>, or of days since 2000 for "any time".</summary>
    private double TimeUnits(long ticks, long bin) => bin == AnyTime
        ? (ticks - EpochTicks) / (double)TimeSpan.TicksPerDay
        : (ticks - (bin * _binTicks)) / (double)_binTicks * Codes.Max;

    /// <summary>The time bins a box is filed under, or (AnyTime, AnyTime) when it spans more than <see cref="MaxTimeBins"/>.</summary>
    private (long First, long Last) TimeBins(VolumeBox box)
    {
        var first = Bin(box.TimeStart.UtcTicks);
        var last = Bin(box.TimeEnd.UtcTicks);
        return last - first >= MaxTimeBins ? (AnyTime, AnyTime) : (first, last);
    }

    private long Bin(long ticks) => ticks / _binTicks;

    private (int Y0, int Y1, int X0, int X1) CellRange(double south, double north, double west, double east) => (
        Math.Clamp((int)Math.Floor((south + 90.0) / _cellDeg), 0, _latCells - 1),
        Math.Clamp((int)Math.Floor((north + 90.0) / _cellDeg), 0, _latCells - 1),
        Math.Clamp((int)Math.Floor((west + 180.0) / _cellDeg), 0, _lngCells - 1),
        Math.Clamp((int)Math.Floor((east + 180.0) / _cellDeg), 0, _lngCells - 1));

    /// <summary>
    /// Files a box's entries in every cell and time bin it meets, or takes them out. Removal walks
    /// the same cells again from the box (the grid's cell size and bins never change) instead of
    /// keeping each key's list of cells: that list was one more object per live declaration, about
    /// 150 bytes, for the collector to mark and promote (docs/performance.md).
    /// </summary>
    private void FileBox(int slot, VolumeBox box, bool add)
    {
        var (t0, t1) = TimeBins(box);
        var table = t0 == AnyTime ? _anyTime : _cells;
        var area = box.Area;
        var start = box.TimeStart.UtcTicks;
        var end = box.TimeEnd.UtcTicks;
        var low = Codes.Low(Codes.AltitudeUnits(box.AltitudeLowerM));
        var high = Codes.High(Codes.AltitudeUnits(box.AltitudeUpperM));
        foreach (var (west, east) in area.LongitudeRanges())
        {
            var (y0, y1, x0, x1) = CellRange(area.South, area.North, west, east);
            for (var y = y0; y <= y1; y++)
            {
                var (south, north) = Codes.Range(CellUnits(area.South, y, 90.0), CellUnits(area.North, y, 90.0));
                for (var x = x0; x <= x1; x++)
                {
                    var (w, e) = Codes.Range(CellUnits(west, x, 180.0), CellUnits(east, x, 180.0));
                    for (var t = t0; t <= t1; t++)
                    {
                        var cell = new CellKey(y, x, t);
                        if (add)
                        {
                            var (ts, te) = Codes.Range(TimeUnits(start, t), TimeUnits(end, t));
                            table.Add(cell, new Entry(slot, south, w, ts, low, north, e, te, high));
                        }
                        else
                        {
                            table.Remove(cell, slot);
                        }
                    }
                }
            }
        }
    }

    private readonly record struct CellKey(int Lat, int Lng, long Time);

    /// <summary>What the grid keeps per key; Stamp marks the last query that reported it.</summary>
    private struct Slot(TKey key, TValue value, VolumeBox[] boxes)
    {
        public readonly TKey Key = key;
        public TValue Value = value;
        public int Stamp;
        public readonly VolumeBox[] Boxes = boxes;
    }

    /// <summary>
    /// Cells by key in one array of structs with linear probing (load at most 1/2), so a lookup
    /// usually reads one cache line; deletion shifts later entries back, so no tombstones pile up
    /// as time bins come and go.
    /// </summary>
    private sealed class CellTable
    {
        private Cell[] _table = new Cell[256];
        private int _mask = 255;

        public int Count { get; private set; }

        /// <summary>Adds the cell's entries to <paramref name="found"/> when the cell exists.</summary>
        public void Find(CellKey key, List<(CellKey Cell, Entry[] Entries, int Length)> found)
        {
            for (var i = Home(key, _mask); ; i = (i + 1) & _mask)
            {
                ref readonly var c = ref _table[i];
                if (c.Entries is null)
                {
                    return;
                }

                if (c.Key == key)
                {
                    found.Add((c.Key, c.Entries, c.Length));
                    return;
                }
            }
        }

        /// <summary>
        /// Adds every cell at a place whose time bin is in [first, last] (a linear pass over the
        /// table). Only those: in a bin the query does not overlap, its codes would clamp to the
        /// bin's edge and meet every entry reaching that edge.
        /// </summary>
        public void At(int lat, int lng, long first, long last, List<(CellKey Cell, Entry[] Entries, int Length)> found)
        {
            foreach (ref readonly var c in _table.AsSpan())
            {
                if (c.Entries is not null && c.Key.Lat == lat && c.Key.Lng == lng && c.Key.Time >= first && c.Key.Time <= last)
                {
                    found.Add((c.Key, c.Entries, c.Length));
                }
            }
        }

        public void Add(CellKey key, in Entry entry)
        {
            if ((Count + 1) * 2 > _table.Length)
            {
                Grow();
            }

            var i = Home(key, _mask);
            while (_table[i].Entries is not null && _table[i].Key != key)
            {
                i = (i + 1) & _mask;
            }

            ref var c = ref _table[i];
            if (c.Entries is null)
            {
                c = new Cell { Key = key, Entries = new Entry[4] };
                Count++;
            }
            else if (c.Length == c.Entries.Length)
            {
                Array.Resize(ref c.Entries, c.Length * 2);
            }

            c.Entries[c.Length++] = entry;
        }

        /// <summary>Removes the entries of a slot from a cell (order within a cell does not matter), and the cell once empty.</summary>
        public void Remove(CellKey key, int slot)
        {
            var i = Home(key, _mask);
            while (_table[i].Entries is not null && _table[i].Key != key)
            {
                i = (i + 1) & _mask;
            }

            ref var c = ref _table[i];
            if (c.Entries is null)
            {
                return;
            }

            for (var k = c.Length - 1; k >= 0; k--)
            {
                if (c.Entries[k].Slot == slot)
                {
                    c.Entries[k] = c.Entries[--c.Length];
                }
            }

            if (c.Length > 0)
            {
                return;
            }

            // Backward-shift deletion: move up any later entry of the run whose home is not
            // between the hole and it, so every key stays reachable from its home.
            var hole = i;
            for (var j = (hole + 1) & _mask; _table[j].Entries is not null; j = (j + 1) & _mask)
            {
                var home = Home(_table[j].Key, _mask);
                if (((j - home) & _mask) >= ((j - hole) & _mask))
                {
                    _table[hole] = _table[j];
                    hole = j;
                }
            }

            _table[hole] = default;
            Count--;
        }

        private void Grow()
        {
            var old = _table;
            _table = new Cell[old.Length * 2];
            _mask = _table.Length - 1;
            foreach (var c in old)
            {
                if (c.Entries is null)
                {
                    continue;
                }

                var i = Home(c.Key, _mask);
                while (_table[i].Entries is not null)
                {
                    i = (i + 1) & _mask;
                }

                _table[i] = c;
            }
        }

        private static int Home(CellKey key, int mask)
        {
            // A multiplicative mix of the three coordinates (odd 64-bit constants), top bits taken.
            var h = ((ulong)(uint)key.Lat * 0x9E3779B97F4A7C15UL) ^ ((ulong)(uint)key.Lng * 0xC2B2AE3D27D4EB4FUL) ^ ((ulong)key.Time * 0x165667B19E3779F9UL);
            h ^= h >> 29;
            h *= 0xBF58476D1CE4E5B9UL;
            return (int)(h >> 32) & mask;
        }

        private struct Cell
        {
            public CellKey Key;
            public Entry[]? Entries;
            public int Length;
        }
    }

    /// <summary>
    /// Bounds as 16-bit codes, relative to the cell they are filed in: latitude and longitude in
    /// 1/65535 of the cell, time in 1/65535 of the time bin (days since 2000 under "any time"),
    /// altitude in metres above -1,000 m. Values beyond the cell (or the codes' range: below
    /// -1,000 m, above 64,535 m, before 2000 or after 2179) clamp to its edge, and each bound is
    /// rounded outward by one unit more than its rounding needs. Why no candidate is lost: the map
    /// from value to code is monotone, so a point two boxes share maps to a code both their code
    /// ranges hold. Why few are added: a query reads only cells and bins it overlaps, and by
    /// Helly's property in one dimension (intervals that meet pairwise share a point) two boxes
    /// that both overlap a cell but not each other stay apart inside it, so only boxes apart by
    /// less than two units (about 2 m in a 0.5 degree cell, 0.7 s in a 6 h bin, 2 m of altitude,
    /// 2 days under "any time") come through.
    /// </summary>
    private static class Codes
    {
        public const double Max = ushort.MaxValue;

        public static double AltitudeUnits(double metres) => metres + 1000.0;

        public static ushort Low(double units) => (ushort)Math.Clamp(Math.Floor(units) - 1.0, 0.0, Max);

        public static ushort High(double units) => (ushort)Math.Clamp(Math.Ceiling(units) + 1.0, 0.0, Max);

        public static (ushort Low, ushort High) Range(double low, double high) => (Low(low), High(high));
    }

    /// <summary>
    /// A box as the grid stores it in one cell: 20 bytes instead of a VolumeBox's 72, because a query's cost is
    /// the memory it streams through (about 120 entries for the benchmark's query, mostly not in
    /// cache; 36-byte entries of floats and minutes took about 3 us). Lower bounds are stored as
    /// they are and upper bounds complemented (65535 - code), so "every lower bound at most the
    /// query's upper, every upper at least the query's lower" is one unsigned comparison of eight
    /// lanes.
    /// </summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    private readonly struct Entry
    {
        private readonly ushort _south;
        private readonly ushort _west;
        private readonly ushort _start;
        private readonly ushort _low;
        private readonly ushort _notNorth;
        private readonly ushort _notEast;
        private readonly ushort _notEnd;
        private readonly ushort _notHigh;
        public readonly int Slot;

        public Entry(int slot, ushort south, ushort west, ushort start, ushort low, ushort north, ushort east, ushort end, ushort high)
        {
            Slot = slot;
            _south = south;
            _west = west;
            _start = start;
            _low = low;
            _notNorth = (ushort)(ushort.MaxValue - north);
            _notEast = (ushort)(ushort.MaxValue - east);
            _notEnd = (ushort)(ushort.MaxValue - end);
            _notHigh = (ushort)(ushort.MaxValue - high);
        }

        /// <summary>The vector an entry's lanes must not exceed to meet a query with these codes.</summary>
        public static Vector128<ushort> Query(ushort south, ushort west, ushort start, ushort low, ushort north, ushort east, ushort end, ushort high) =>
            Vector128.Create(north, east, end, high, (ushort)(ushort.MaxValue - south), (ushort)(ushort.MaxValue - west), (ushort)(ushort.MaxValue - start), (ushort)(ushort.MaxValue - low));

        public bool Meets(Vector128<ushort> query) =>
            Vector128.LessThanOrEqualAll(Vector128.LoadUnsafe(ref Unsafe.As<Entry, ushort>(ref Unsafe.AsRef(in this))), query);
    }

    private static readonly long EpochTicks = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;
}
