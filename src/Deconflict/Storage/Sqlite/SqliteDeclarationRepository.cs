using Deconflict.Core.Model;
using Deconflict.Core.Strategic;
using Microsoft.Data.Sqlite;

namespace Deconflict.Storage.Sqlite;

/// <summary>
/// Operations and zones in the single writer's open transaction: rows, and their boxes in the
/// R*Tree volume_index (<see cref="SqliteVolumeIndex"/>). Persistence only: the writer keeps its
/// own index of the live declarations in memory (Declarations/LiveDeclarations, since one process
/// writes SQLite alone), loaded from <see cref="LiveBoxesAsync"/>, so it asks the queries here
/// that scan (<see cref="EndedByAsync"/>, <see cref="LiveCountAsync"/>) only when it starts.
/// </summary>
internal sealed class SqliteDeclarationRepository(SqliteWriteConnection write, SqliteRows rows) : IDeclarationRepository, IDisposable
{
    private const string LiveStates = "('planned', 'active')";

    private RawStatement? _insertDeclaration;
    private RawStatement? _insertVolumeIndex;

    public ValueTask<Declaration?> GetAsync(DeclarationKind kind, string id) =>
        new(rows.GetDeclaration(write.Connection, null, StoreRows.Enum(kind), id));

    public ValueTask<Declaration?> GetByKeyAsync(long key)
    {
        var cmd = write.Cmd($"SELECT {StoreRows.DeclarationColumns} FROM declarations d WHERE d.seq = $seq");
        cmd.Parameters.AddWithValue("$seq", key);
        using var r = cmd.ExecuteReader();
        return new(r.Read() ? rows.ReadDeclaration(r) : null);
    }

    public ValueTask<bool> IdExistsAsync(string id)
    {
        var cmd = write.Cmd("SELECT EXISTS(SELECT 1 FROM declarations WHERE id = $id)");
        cmd.Parameters.AddWithValue("$id", id);
        return new((long)cmd.ExecuteScalar()! == 1);
    }

    // Through the index on kind and party: the party's own rows only.
    public ValueTask<int> LiveCountAsync(string party)
    {
        var cmd = write.Cmd($"SELECT COUNT(*) FROM declarations WHERE kind IN ('operation', 'zone') AND party = $party AND state IN {LiveStates}");
        cmd.Parameters.AddWithValue("$party", party);
        return new((int)(long)cmd.ExecuteScalar()!);
    }

    /// <summary>The R*Tree's candidates, then their rows, in the open transaction (so it sees its own writes).</summary>
    public ValueTask<IReadOnlyList<Declaration>> FindCandidatesAsync(IReadOnlyList<VolumeBox> boxes)
    {
        var found = new List<Declaration>();
        var read = write.Cmd($"SELECT {StoreRows.DeclarationColumns} FROM declarations d WHERE d.seq = $seq AND d.state IN {LiveStates}");
        var seqParameter = read.Parameters.Add("$seq", SqliteType.Integer);
        foreach (var seq in SqliteVolumeIndex.Candidates(write.Connection, null, boxes))
        {
            seqParameter.Value = seq;
            using var r = read.ExecuteReader();
            if (r.Read())
            {
                found.Add(rows.ReadDeclaration(r));
            }
        }

        return new(found);
    }

    public ValueTask<long> InsertAsync(Declaration d)
    {
        _insertDeclaration ??= new RawStatement(write.Connection,
            "INSERT INTO declarations(id, kind, party, version, state, priority, rule, name, volumes, details, starts_at, ends_at, created_at, updated_at, record_index, details_salt) " +
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16) RETURNING seq");
        var seq = _insertDeclaration.Bind(1, d.Id).Bind(2, StoreRows.Enum(d.Kind)).Bind(3, d.Party).Bind(4, d.Version).Bind(5, StoreRows.Enum(d.State))
            .Bind(6, d.Priority).Bind(7, d.Rule is { } rule ? StoreRows.Enum(rule) : null).Bind(8, d.Name).Bind(9, StoreRows.VolumesJson(d.Volumes))
            .Bind(10, d.DetailsJson).Bind(11, StoreRows.Ms(d.StartsAt)).Bind(12, StoreRows.Ms(d.EndsAt)).Bind(13, StoreRows.Ms(d.CreatedAt)).Bind(14, StoreRows.Ms(d.UpdatedAt))
            .Bind(15, write.NextRecordIndex()).Bind(16, d.DetailsSalt).ExecuteReturningInt64();
        SqliteVolumeIndex.Insert(_insertVolumeIndex ??= new RawStatement(write.Connection, SqliteVolumeIndex.InsertSql), seq, d);
        rows.Remember(d);
        return new(seq);
    }

    public ValueTask<long> UpdateAsync(Declaration d)
    {
        var cmd = write.Cmd(
            "UPDATE declarations SET kind = $kind, party = $party, version = $version, state = $state, priority = $priority, rule = $rule, name = $name, " +
            "volumes = $volumes, details = $details, starts_at = $starts, ends_at = $ends, created_at = $created, updated_at = $updated, record_index = $ri, details_salt = $salt WHERE id = $id RETURNING seq");
        BindDeclaration(cmd, d);
        cmd.Parameters.AddWithValue("$ri", write.NextRecordIndex());
        var seq = (long)(cmd.ExecuteScalar() ?? throw new InvalidOperationException($"no declaration {d.Id} to update"));
        var delete = write.Cmd("DELETE FROM volume_index WHERE id IN (SELECT id FROM volume_index WHERE declaration = $seq)");
        delete.Parameters.Clear();
        delete.Parameters.AddWithValue("$seq", seq);
        delete.ExecuteNonQuery();
        SqliteVolumeIndex.Insert(_insertVolumeIndex ??= new RawStatement(write.Connection, SqliteVolumeIndex.InsertSql), seq, d);
        rows.Remember(d);
        return new(seq);
    }

    /// <summary>
    /// A scan of the rows: no index on the ends is kept, since its inserts at random positions
    /// wrote about one page per submission (docs/performance.md) and the writer keeps the ends in
    /// memory. Ties at one end are in seq order.
    /// </summary>
    public ValueTask<IReadOnlyList<Declaration>> EndedByAsync(DateTimeOffset now, int limit)
    {
        var cmd = write.Cmd($"SELECT {StoreRows.DeclarationColumns} FROM declarations d WHERE d.state IN {LiveStates} AND d.ends_at <= $now ORDER BY d.ends_at, d.seq LIMIT $limit");
        cmd.Parameters.AddWithValue("$now", StoreRows.Ms(now));
        cmd.Parameters.AddWithValue("$limit", limit);
        var list = new List<Declaration>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            list.Add(rows.ReadDeclaration(r));
        }

        return new(list);
    }

    /// <summary>
    /// One scan that reads no volume: the live declarations' boxes from the R*Tree, joined to their
    /// rows for their ends (ends_at, the end of the last volume, written with the row), grouped by
    /// declaration. Every declaration has a box per volume, so none is missed.
    /// </summary>
    public ValueTask<IReadOnlyList<LiveDeclarationBoxes>> LiveBoxesAsync()
    {
        var live = new List<LiveDeclarationBoxes>();
        var boxes = new List<VolumeBox>();
        (long Seq, long End) current = (-1, 0);
        using (var r = write.Cmd(
            "SELECT v.declaration, v.min_lng, v.max_lng, v.min_lat, v.max_lat, v.min_alt, v.max_alt, v.min_t, v.max_t, d.ends_at " +
            $"FROM volume_index v JOIN declarations d ON d.seq = v.declaration WHERE d.state IN {LiveStates} ORDER BY v.declaration").ExecuteReader())
        {
            while (r.Read())
            {
                var seq = r.GetInt64(0);
                if (seq != current.Seq && boxes.Count > 0)
                {
                    live.Add(new LiveDeclarationBoxes(current.Seq, [.. boxes], StoreRows.Time(current.End)));
                    boxes.Clear();
                }

                current = (seq, r.GetInt64(9));
                boxes.Add(SqliteVolumeIndex.Box(r.GetDouble(1), r.GetDouble(2), r.GetDouble(3), r.GetDouble(4), r.GetDouble(5), r.GetDouble(6), r.GetDouble(7), r.GetDouble(8)));
            }
        }

        if (boxes.Count > 0)
        {
            live.Add(new LiveDeclarationBoxes(current.Seq, [.. boxes], StoreRows.Time(current.End)));
        }

        return new(live);
    }

    private static void BindDeclaration(SqliteCommand cmd, Declaration d)
    {
        cmd.Parameters.Clear();
        cmd.Parameters.AddWithValue("$id", d.Id);
        cmd.Parameters.AddWithValue("$kind", StoreRows.Enum(d.Kind));
        cmd.Parameters.AddWithValue("$party", d.Party);
        cmd.Parameters.AddWithValue("$version", d.Version);
        cmd.Parameters.AddWithValue("$state", StoreRows.Enum(d.State));
        cmd.Parameters.AddWithValue("$priority", d.Priority);
        cmd.Parameters.AddWithValue("$rule", d.Rule is { } rule ? StoreRows.Enum(rule) : DBNull.Value);
        cmd.Parameters.AddWithValue("$name", (object?)d.Name ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$volumes", StoreRows.VolumesJson(d.Volumes));
        cmd.Parameters.AddWithValue("$details", (object?)d.DetailsJson ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$salt", (object?)d.DetailsSalt ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$starts", StoreRows.Ms(d.StartsAt));
        cmd.Parameters.AddWithValue("$ends", StoreRows.Ms(d.EndsAt));
        cmd.Parameters.AddWithValue("$created", StoreRows.Ms(d.CreatedAt));
        cmd.Parameters.AddWithValue("$updated", StoreRows.Ms(d.UpdatedAt));
    }

    public void Dispose()
    {
        _insertDeclaration?.Dispose();
        _insertVolumeIndex?.Dispose();
    }
}
