using Deconflict.Core.Model;
using Microsoft.Data.Sqlite;

namespace Deconflict.Storage.Sqlite;

/// <summary>Strategic conflicts in the single writer's open transaction, with the in-memory index of live ones (journalled on the shared connection).</summary>
internal sealed class SqliteConflictRepository(SqliteWriteConnection write) : IConflictRepository, IDisposable
{
    // Live (not resolved) conflicts by the declarations on either side. Only the writer asks which
    // conflicts a declaration has, so this replaces two database indexes that cost two random
    // B-tree writes per conflict (docs/performance.md).
    private readonly LiveConflictIndex _liveConflicts = new();
    private readonly List<long> _conflictSeqs = [];
    private RawStatement? _insertConflict;
    private bool _liveLoaded;

    /// <summary>
    /// When a transaction begins: fills the map of live conflicts from their rows, once per
    /// session (one scan beside the declarations' two, none of which reads a volume).
    /// </summary>
    internal void Begin()
    {
        if (_liveLoaded)
        {
            return;
        }

        using (var r = write.Cmd("SELECT seq, a_id, b_id FROM conflicts WHERE state <> 'resolved'").ExecuteReader())
        {
            while (r.Read())
            {
                _liveConflicts.Add(r.GetString(1), r.GetInt64(0));
                _liveConflicts.Add(r.GetString(2), r.GetInt64(0));
            }
        }

        _liveLoaded = true;
    }

    public ValueTask<Conflict?> GetAsync(string id) =>
        new(SqliteRows.GetConflict(write.Connection, null, id));

    public ValueTask<IReadOnlyList<Conflict>> LiveOfAsync(string declarationId)
    {
        var seqs = _conflictSeqs;
        seqs.Clear();
        _liveConflicts.Collect(declarationId, seqs);
        if (seqs.Count == 0)
        {
            return new([]);
        }

        // The index keys on a hash of the id, so a conflict of another declaration may come along:
        // only those naming this one are kept. Conflict ids are time-ordered (UUID v7), so ordinal
        // order is creation order.
        var list = new List<Conflict>(seqs.Count);
        var read = write.Cmd($"SELECT {StoreRows.ConflictColumns} FROM conflicts WHERE seq = $seq");
        var seqParameter = read.Parameters.Add("$seq", SqliteType.Integer);
        foreach (var seq in seqs)
        {
            seqParameter.Value = seq;
            using var r = read.ExecuteReader();
            var c = r.Read() ? StoreRows.ReadConflict(r) : throw new InvalidOperationException($"live conflict at seq {seq} is not in the database");
            if (c.A.Id == declarationId || c.B.Id == declarationId)
            {
                list.Add(c);
            }
        }

        list.Sort((x, y) => string.CompareOrdinal(x.Id, y.Id));
        return new(list);
    }

    public ValueTask InsertAsync(Conflict c)
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
        TrackConflict(c, seq);
        return ValueTask.CompletedTask;
    }

    public ValueTask UpdateAsync(Conflict c)
    {
        var cmd = write.Cmd(
            "UPDATE conflicts SET version = $version, state = $state, a_kind = $a_kind, a_id = $a_id, a_party = $a_party, a_version = $a_version, " +
            "b_kind = $b_kind, b_id = $b_id, b_party = $b_party, b_version = $b_version, time_start = $t0, time_end = $t1, altitude_lower_m = $lo, " +
            "altitude_upper_m = $hi, acknowledged_by = $acks, accepted_by = $accepts, created_at = $created, updated_at = $updated, resolved_at = $resolved, record_index = $ri " +
            "WHERE id = $id RETURNING seq");
        BindConflict(cmd, c);
        cmd.Parameters.AddWithValue("$ri", write.NextRecordIndex());
        var seq = (long)(cmd.ExecuteScalar() ?? throw new InvalidOperationException($"no conflict {c.Id} to update"));
        TrackConflict(c, seq);
        return ValueTask.CompletedTask;
    }

    /// <summary>Files a conflict (its row seq) as live or not under both of its declarations, journalled.</summary>
    private void TrackConflict(Conflict c, long seq)
    {
        TrackConflict(c.A.Id, seq, c.IsLive);
        TrackConflict(c.B.Id, seq, c.IsLive);
    }

    private void TrackConflict(string declarationId, long seq, bool live)
    {
        var changed = live ? _liveConflicts.Add(declarationId, seq) : _liveConflicts.Remove(declarationId, seq);
        if (changed)
        {
            write.Journal(live ? () => _liveConflicts.Remove(declarationId, seq) : () => _liveConflicts.Add(declarationId, seq));
        }
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
