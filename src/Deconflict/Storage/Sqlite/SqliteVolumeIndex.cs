using Deconflict.Core.Geometry;
using Deconflict.Core.Model;
using Deconflict.Core.Strategic;
using Microsoft.Data.Sqlite;

namespace Deconflict.Storage.Sqlite;

/// <summary>
/// The strategic broad phase in SQLite: the R*Tree volume_index holds one box per volume (split at
/// the antimeridian, as <see cref="GeoBox.LongitudeRanges"/> gives it) in float32, rounded outward
/// by SQLite, so each still contains its volume. Every comparison is closed, as
/// <see cref="VolumeGrid{TKey, TValue}"/>'s: boxes that only touch are candidates, and the exact
/// test decides. The reader asks it on its snapshot, the write session inside its transaction.
/// </summary>
internal static class SqliteVolumeIndex
{
    private const string CandidateSql =
        "SELECT v.declaration FROM volume_index v WHERE v.max_lng >= $w AND v.min_lng <= $e AND v.max_lat >= $s AND v.min_lat <= $n " +
        "AND v.max_alt >= $lo AND v.min_alt <= $hi AND v.max_t >= $t0 AND v.min_t <= $t1";

    private static readonly DateTimeOffset IndexEpoch = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Index time unit: days since 2020 (float32 resolution about 30 s at 2030, rounded outward).</summary>
    public static double Days(DateTimeOffset t) => (t - IndexEpoch).TotalDays;

    /// <summary>Index altitude unit: tens of kilometres.</summary>
    public static double Altitude(double metres) => metres / 10_000.0;

    /// <summary>A box of the index as the broad phase's box, in metres and times again.</summary>
    public static VolumeBox Box(double minLng, double maxLng, double minLat, double maxLat, double minAlt, double maxAlt, double minT, double maxT) =>
        new(new GeoBox(minLat, minLng, maxLat, maxLng), minAlt * 10_000.0, maxAlt * 10_000.0, IndexEpoch.AddDays(minT), IndexEpoch.AddDays(maxT));

    /// <summary>The seqs of the declarations with a box meeting any of <paramref name="boxes"/>, in order (live or not: the caller reads the rows).</summary>
    public static SortedSet<long> Candidates(SqliteConnection c, SqliteTransaction? tx, IReadOnlyList<VolumeBox> boxes)
    {
        using var query = SqliteRows.Command(c, tx, CandidateSql);
        var seqs = new SortedSet<long>();
        foreach (var box in boxes)
        {
            foreach (var (west, east) in box.Area.LongitudeRanges())
            {
                query.Parameters.Clear();
                query.Parameters.AddWithValue("$w", west);
                query.Parameters.AddWithValue("$e", east);
                query.Parameters.AddWithValue("$s", box.Area.South);
                query.Parameters.AddWithValue("$n", box.Area.North);
                query.Parameters.AddWithValue("$lo", Altitude(box.AltitudeLowerM));
                query.Parameters.AddWithValue("$hi", Altitude(box.AltitudeUpperM));
                query.Parameters.AddWithValue("$t0", Days(box.TimeStart));
                query.Parameters.AddWithValue("$t1", Days(box.TimeEnd));
                using var r = query.ExecuteReader();
                while (r.Read())
                {
                    seqs.Add(r.GetInt64(0));
                }
            }
        }

        return seqs;
    }

    /// <summary>Indexes the boxes of every volume of the declaration at <paramref name="seq"/>, with a statement prepared on the writer's connection.</summary>
    public static void Insert(RawStatement insert, long seq, Declaration d)
    {
        foreach (var v in d.Volumes)
        {
            var bounds = v.Outline.Bounds;
            foreach (var (west, east) in bounds.LongitudeRanges())
            {
                insert.Bind(1, west).Bind(2, east).Bind(3, bounds.South).Bind(4, bounds.North)
                    .Bind(5, Altitude(v.AltitudeLowerM)).Bind(6, Altitude(v.AltitudeUpperM)).Bind(7, Days(v.TimeStart)).Bind(8, Days(v.TimeEnd))
                    .Bind(9, seq).Execute();
            }
        }
    }

    /// <summary>The statement <see cref="Insert"/> binds.</summary>
    public const string InsertSql =
        "INSERT INTO volume_index(min_lng, max_lng, min_lat, max_lat, min_alt, max_alt, min_t, max_t, declaration) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
}
