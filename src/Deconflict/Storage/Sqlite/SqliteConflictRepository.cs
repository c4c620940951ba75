using Deconflict.Core.Model;
using Microsoft.Data.Sqlite;

namespace Deconflict.Storage.Sqlite;

/// <summary>
/// Strategic conflicts in the single writer's open transaction. Persistence only: the writer keeps
/// its own index of the live conflicts by their sides (Conflicts/LiveConflicts), loaded from
/// <see cref="LiveSidesAsync"/>, so <see cref="LiveOfAsync"/>, which scans, serves it only when no
/// index is kept.
/// </summary>
internal sealed class SqliteConflictRepository(SqliteWriteConnection write) : IConflictRepository, IDisposable
{
    private RawStatement? _insertConflict;

    public ValueTask<Conflict?> GetAsync(string id) =>
        new(SqliteRows.GetConflict(write.Connection, null, id));

    public ValueTask<Conflict?> GetByKeyAsync(long key)
    {
        var cmd = write.Cmd($"SELECT {StoreRows.ConflictColumns} FROM conflicts WHERE seq = $seq");
        cmd.Parameters.AddWithValue("$seq", key);
        using var r = cmd.ExecuteReader();
        return new(r.Read() ? StoreRows.ReadConflict(r) : null);
    }

    // No index on the sides (two random B-tree writes per conflict, docs/performance.md): a scan.
    // Conflict ids are time-ordered (UUID v7), so ordinal order is creation order.
    public ValueTask<IReadOnlyList<Conflict>> LiveOfAsync(string declarationId)
    {
        var cmd = write.Cmd($"SELECT {StoreRows.ConflictColumns} FROM conflicts WHERE state <> 'resolved' AND (a_id = $id OR b_id = $id)");
        cmd.Parameters.AddWithValue("$id", declarationId);
        var list = new List<Conflict>();
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                list.Add(StoreRows.ReadConflict(r));
            }
        }

        list.Sort((x, y) => string.CompareOrdinal(x.Id, y.Id));
        return new(list);
    }

    public ValueTask<IReadOnlyList<(long Key, string A, string B)>> LiveSidesAsync()
    {
        var sides = new List<(long, string, string)>();
        using var r = write.Cmd("SELECT seq, a_id, b_id FROM conflicts WHERE state <> 'resolved' ORDER BY seq").ExecuteReader();
        while (r.Read())
        {
            sides.Add((r.GetInt64(0), r.GetString(1), r.GetString(2)));
        }

        return new(sides);
    }

    public ValueTask<long> InsertAsync(Conflict c)
    {
        _insertConflict ??= new RawStatement(write.Connection,
            "INSERT INTO conflicts(id, version, state, a_kind, a_id, a_party, a_version, b_kind, b_id, b_party, b_version, time_start, time_end, " +
            "altitude_lower_m, altitude_upper_m, acknowledged_by, accepted_by, created_at, updated_at, resolved_at, record_index) VALUES (?1, ?2, ?3, " +
            "?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21) RETURNING seq");
        var seq = _insertConflict.Bind(1, c.Id).Bind(2, c.Version).Bind(3, StoreRows.Enum(c.State))
            .Bind(4, StoreRows.Enum(c.A.Kind)).Bind(5, c.A.Id).Bind(6, c.A.Party).Bind(7, c.A.Version)
            .Bind(8, StoreRows.Enum(c.B.Kind)).Bind(9, c.B.Id).Bind(10, c.B.Party).Bind(11, c.B.Version)
            .Bind(12, StoreRows.Text(c.Overlap.TimeStart)).Bind(13, StoreRows.Text(c.Overlap.TimeEnd)).Bind(14, c.Overlap.AltitudeLowerM).Bind(15, c.Overlap.AltitudeUpperM)
            .Bind(16, StoreRows.TimesJson(c.AcknowledgedBy)).Bind(17, StoreRows.TimesJson(c.AcceptedBy)).Bind(18, StoreRows.Ms(c.CreatedAt)).Bind(19, StoreRows.Ms(c.UpdatedAt))
            .Bind(20, c.ResolvedAt is { } resolved ? StoreRows.Ms(resolved) : null).Bind(21, write.NextRecordIndex())
            .ExecuteReturningInt64();
        return new(seq);
    }

    public ValueTask<long> UpdateAsync(Conflict c)
    {
        var cmd = write.Cmd(
            "UPDATE conflicts SET version = $version, state = $state, a_kind = $a_kind, a_id = $a_id, a_party = $a_party, a_version = $a_version, " +
            "b_kind = $b_kind, b_id = $b_id, b_party = $b_party, b_version = $b_version, time_start = $t0, time_end = $t1, altitude_lower_m = $lo, " +
            "altitude_upper_m = $hi, acknowledged_by = $acks, accepted_by = $accepts, created_at = $created, updated_at = $updated, resolved_at = $resolved, record_index = $ri " +
            "WHERE id = $id RETURNING seq");
        BindConflict(cmd, c);
        cmd.Parameters.AddWithValue("$ri", write.NextRecordIndex());
        var seq = (long)(cmd.ExecuteScalar() ?? throw new InvalidOperationException($"no conflict {c.Id} to update"));
        return new(seq);
    }

    private static void BindConflict(SqliteCommand cmd, Conflict c)
    {
        cmd.Parameters.Clear();
        cmd.Parameters.AddWithValue("$id", c.Id);
        cmd.Parameters.AddWithValue("$version", c.Version);
        cmd.Parameters.AddWithValue("$state", StoreRows.Enum(c.State));
        BindRef(cmd, "a", c.A);
        BindRef(cmd, "b", c.B);
        cmd.Parameters.AddWithValue("$t0", StoreRows.Text(c.Overlap.TimeStart));
        cmd.Parameters.AddWithValue("$t1", StoreRows.Text(c.Overlap.TimeEnd));
        cmd.Parameters.AddWithValue("$lo", c.Overlap.AltitudeLowerM);
        cmd.Parameters.AddWithValue("$hi", c.Overlap.AltitudeUpperM);
        cmd.Parameters.AddWithValue("$acks", StoreRows.TimesJson(c.AcknowledgedBy));
        cmd.Parameters.AddWithValue("$accepts", StoreRows.TimesJson(c.AcceptedBy));
        cmd.Parameters.AddWithValue("$created", StoreRows.Ms(c.CreatedAt));
        cmd.Parameters.AddWithValue("$updated", StoreRows.Ms(c.UpdatedAt));
        cmd.Parameters.AddWithValue("$resolved", c.ResolvedAt is { } r ? StoreRows.Ms(r) : DBNull.Value);
    }

    private static void BindRef(SqliteCommand cmd, string side, ConflictRef r)
    {
        cmd.Parameters.AddWithValue($"${side}_kind", StoreRows.Enum(r.Kind));
        cmd.Parameters.AddWithValue($"${side}_id", r.Id);
        cmd.Parameters.AddWithValue($"${side}_party", r.Party);
        cmd.Parameters.AddWithValue($"${side}_version", r.Version);
    }

    public void Dispose() => _insertConflict?.Dispose();
}
