using Deconflict.Core.Model;

namespace Deconflict.Storage.Postgres;

/// <summary>Strategic conflicts in the PostgreSQL write transaction; live ones are read from the database when asked.</summary>
internal sealed class PostgresConflictRepository(PostgresWriteConnection write) : IConflictRepository
{
    public ValueTask<Conflict?> GetAsync(string id) => new(write.One(StoreRows.ReadConflict, $"SELECT {StoreRows.ConflictColumns} FROM conflicts WHERE id = $1", id));

    public ValueTask<Conflict?> GetByKeyAsync(long key) => new(write.One(StoreRows.ReadConflict, $"SELECT {StoreRows.ConflictColumns} FROM conflicts WHERE seq = $1", key));

    public ValueTask<IReadOnlyList<(long Key, string A, string B)>> LiveSidesAsync() =>
        new(write.List(r => (r.GetInt64(0), r.GetString(1), r.GetString(2)), "SELECT seq, a_id, b_id FROM conflicts WHERE state <> 'resolved' ORDER BY seq"));

    // Conflict ids are time-ordered (UUID v7), so ordinal order ("C" collation) is creation order.
    public ValueTask<IReadOnlyList<Conflict>> LiveOfAsync(string declarationId) =>
        new(write.List(StoreRows.ReadConflict,
            $"SELECT {StoreRows.ConflictColumns} FROM conflicts WHERE state <> 'resolved' AND (a_id = $1 OR b_id = $1) ORDER BY id",
            declarationId));

    public ValueTask<long> InsertAsync(Conflict c) =>
        new((long)write.WriteOne("INSERT INTO conflicts(seq, id, version, state, a_kind, a_id, a_party, a_version, b_kind, b_id, b_party, b_version, time_start, time_end, " +
            "altitude_lower_m, altitude_upper_m, acknowledged_by, accepted_by, created_at, updated_at, resolved_at, record_index) VALUES (" +
            "(SELECT COALESCE(MAX(seq), 0) + 1 FROM conflicts), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21) RETURNING seq",
            ConflictArguments(c))!);

    public ValueTask<long> UpdateAsync(Conflict c) =>
        new((long)(write.WriteOne(
            "UPDATE conflicts SET version = $2, state = $3, a_kind = $4, a_id = $5, a_party = $6, a_version = $7, b_kind = $8, b_id = $9, b_party = $10, b_version = $11, " +
            "time_start = $12, time_end = $13, altitude_lower_m = $14, altitude_upper_m = $15, acknowledged_by = $16, accepted_by = $17, created_at = $18, updated_at = $19, " +
            "resolved_at = $20, record_index = $21 WHERE id = $1 RETURNING seq",
            ConflictArguments(c)) ?? throw new InvalidOperationException($"no conflict {c.Id} to update")));

    private object?[] ConflictArguments(Conflict c) =>
    [
        c.Id, c.Version, StoreRows.Enum(c.State),
        StoreRows.Enum(c.A.Kind), c.A.Id, c.A.Party, c.A.Version,
        StoreRows.Enum(c.B.Kind), c.B.Id, c.B.Party, c.B.Version,
        StoreRows.Text(c.Overlap.TimeStart), StoreRows.Text(c.Overlap.TimeEnd), c.Overlap.AltitudeLowerM, c.Overlap.AltitudeUpperM,
        StoreRows.TimesJson(c.AcknowledgedBy), StoreRows.TimesJson(c.AcceptedBy), StoreRows.Ms(c.CreatedAt), StoreRows.Ms(c.UpdatedAt),
        c.ResolvedAt is { } resolved ? StoreRows.Ms(resolved) : null, write.NextRecordIndex(),
    ];
}
