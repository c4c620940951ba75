using Deconflict.Core.Model;
using Deconflict.Core.Strategic;
using Npgsql;

namespace Deconflict.Storage.Postgres;

/// <summary>
/// The strategic broad phase in PostGIS: table volume_index holds one row per volume box (split
/// at the antimeridian, as <see cref="Core.Geometry.GeoBox.LongitudeRanges"/> gives it) under a
/// multicolumn GiST index on (area, during, altitude). Every comparison is closed, as
/// <see cref="VolumeGrid{TKey, TValue}"/>'s: boxes that only touch are candidates, and the exact
/// test decides. The reader and the writer's session ask the same query, the session inside its
/// transaction (so it sees its own writes).
/// </summary>
internal static class PostgresVolumeIndex
{
    private const string Boxes =
        "unnest($1::float8[], $2::float8[], $3::float8[], $4::float8[], $5::float8[], $6::float8[], $7::timestamptz[], $8::timestamptz[]) AS q(w, s, e, n, lo, hi, t0, t1)";

    /// <summary>The live declarations with a box meeting any of the query boxes ($1..$8, <see cref="Arguments"/>), in seq order.</summary>
    public const string CandidatesSql =
        $"SELECT {StoreRows.DeclarationColumns} FROM declarations d WHERE d.state IN ('planned', 'active') AND d.seq IN (" +
        $"SELECT v.declaration FROM {Boxes} JOIN volume_index v ON v.area && ST_MakeEnvelope(q.w, q.s, q.e, q.n, 4326) " +
        "AND v.during && tstzrange(q.t0, q.t1, '[]') AND v.altitude && float8range(q.lo, q.hi, '[]')) ORDER BY d.seq";

    private const string InsertSql =
        $"INSERT INTO volume_index(declaration, area, during, altitude) SELECT $9, ST_MakeEnvelope(q.w, q.s, q.e, q.n, 4326), " +
        $"tstzrange(q.t0, q.t1, '[]'), float8range(q.lo, q.hi, '[]') FROM {Boxes}";

    /// <summary>The query boxes as the eight arrays of <see cref="CandidatesSql"/>, one element per longitude range.</summary>
    public static object[] Arguments(IEnumerable<VolumeBox> boxes)
    {
        var (w, s, e, n) = (new List<double>(), new List<double>(), new List<double>(), new List<double>());
        var (lo, hi, t0, t1) = (new List<double>(), new List<double>(), new List<DateTime>(), new List<DateTime>());
        foreach (var box in boxes)
        {
            foreach (var (west, east) in box.Area.LongitudeRanges())
            {
                w.Add(west);
                e.Add(east);
                s.Add(box.Area.South);
                n.Add(box.Area.North);

                // A box given upside down is read as the range between its ends: a superset.
                lo.Add(Math.Min(box.AltitudeLowerM, box.AltitudeUpperM));
                hi.Add(Math.Max(box.AltitudeLowerM, box.AltitudeUpperM));
                t0.Add(Floor(box.TimeStart < box.TimeEnd ? box.TimeStart : box.TimeEnd));
                t1.Add(Ceiling(box.TimeStart < box.TimeEnd ? box.TimeEnd : box.TimeStart));
            }
        }

        return [w.ToArray(), s.ToArray(), e.ToArray(), n.ToArray(), lo.ToArray(), hi.ToArray(), t0.ToArray(), t1.ToArray()];
    }

    /// <summary>Indexes the boxes of every volume of the declaration at <paramref name="seq"/>; gives the rows written.</summary>
    public static int Insert(NpgsqlConnection c, NpgsqlTransaction tx, long seq, Declaration d)
    {
        var args = Arguments(d.Volumes.Select(VolumeBox.Of));
        return PostgresSql.Execute(c, tx, InsertSql, [.. args, seq]);
    }

    public static List<Declaration> Candidates(NpgsqlConnection c, NpgsqlTransaction? tx, IReadOnlyList<VolumeBox> boxes, Func<NpgsqlDataReader, Declaration> read) =>
        boxes.Count == 0 ? [] : PostgresSql.List(c, tx, read, CandidatesSql, Arguments(boxes));

    // PostgreSQL keeps microseconds: a start is rounded down and an end up to one, so a stored
    // range holds its volume's times and a query's range holds its box's.
    private static DateTime Floor(DateTimeOffset t)
    {
        var ticks = t.UtcTicks;
        return new DateTime(ticks - (ticks % 10), DateTimeKind.Utc);
    }

    private static DateTime Ceiling(DateTimeOffset t)
    {
        var ticks = t.UtcTicks;
        var up = ticks % 10 == 0 ? ticks : Math.Min(ticks - (ticks % 10) + 10, DateTime.MaxValue.Ticks - (DateTime.MaxValue.Ticks % 10));
        return new DateTime(up, DateTimeKind.Utc);
    }
}
