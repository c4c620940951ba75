using Deconflict.Core.Model;
using Deconflict.Core.Strategic;
using Npgsql;
using Sql = Deconflict.Storage.Postgres.PostgresSql;

namespace Deconflict.Storage.Postgres;

/// <summary>
/// Operations and zones in the PostgreSQL write transaction. Live declarations and their counts
/// are read from the database when asked (see <see cref="PostgresWriteSession"/>); only the
/// declarations the transaction wrote are kept, to remember their decoded volumes once it commits.
/// </summary>
internal sealed class PostgresDeclarationRepository(PostgresWriteConnection write, StoreRows rows) : IDeclarationRepository
{
    private const string LiveStates = "('planned', 'active')";
    private const string DeclarationSeq = "(SELECT COALESCE(MAX(seq), 0) + 1 FROM declarations)";

    // Declarations written in the open transaction: their decoded volumes are kept (for every
    // reader of this node) only once the transaction commits.
    private readonly List<Declaration> _written = [];
    private readonly HashSet<string> _writtenIds = new(StringComparer.Ordinal);

    public ValueTask<Declaration?> GetAsync(DeclarationKind kind, string id) =>
        new(write.One(ReadDeclaration, $"SELECT {StoreRows.DeclarationColumns} FROM declarations d WHERE d.id = $1 AND d.kind = $2", id, StoreRows.Enum(kind)));

    public ValueTask<Declaration?> GetByKeyAsync(long key) =>
        new(write.One(ReadDeclaration, $"SELECT {StoreRows.DeclarationColumns} FROM declarations d WHERE d.seq = $1", key));

    /// <summary>The boxes PostGIS indexes (each range's bounds, closed), grouped by declaration, with its end.</summary>
    public ValueTask<IReadOnlyList<LiveDeclarationBoxes>> LiveBoxesAsync()
    {
        var boxes = write.List(
            r => (Key: r.GetInt64(0), Box: new VolumeBox(new Core.Geometry.GeoBox(r.GetDouble(2), r.GetDouble(1), r.GetDouble(4), r.GetDouble(3)), r.GetDouble(5), r.GetDouble(6),
                new DateTimeOffset(r.GetDateTime(7), TimeSpan.Zero), new DateTimeOffset(r.GetDateTime(8), TimeSpan.Zero)), EndsAt: StoreRows.Time(r.GetInt64(9))),
            "SELECT d.seq, ST_XMin(v.area), ST_YMin(v.area), ST_XMax(v.area), ST_YMax(v.area), lower(v.altitude), upper(v.altitude), lower(v.during), upper(v.during), d.ends_at " +
            $"FROM declarations d JOIN volume_index v ON v.declaration = d.seq WHERE d.state IN {LiveStates} ORDER BY d.seq");
        return new([.. boxes.GroupBy(r => r.Key).Select(g => new LiveDeclarationBoxes(g.Key, [.. g.Select(r => r.Box)], g.First().EndsAt))]);
    }

    public ValueTask<int> LiveCountAsync(string party) =>
        new((int)(long)write.Scalar($"SELECT COUNT(*) FROM declarations WHERE party = $1 AND kind IN ('operation', 'zone') AND state IN {LiveStates}", party)!);

    public ValueTask<bool> IdExistsAsync(string id) => new((bool)write.Scalar("SELECT EXISTS(SELECT 1 FROM declarations WHERE id = $1)", id)!);

    public ValueTask<IReadOnlyList<Declaration>> FindCandidatesAsync(IReadOnlyList<VolumeBox> boxes)
    {
        var (c, tx) = write.Open();
        return new(PostgresVolumeIndex.Candidates(c, tx, boxes, ReadDeclaration));
    }

    public ValueTask<long> InsertAsync(Declaration d)
    {
        var (c, tx) = write.Open();
        using var cmd = Sql.Command(c, tx,
            "INSERT INTO declarations(seq, id, kind, party, version, state, priority, rule, name, volumes, details, starts_at, ends_at, created_at, updated_at, record_index, details_salt) " +
            $"VALUES ({DeclarationSeq}, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING seq",
            DeclarationArguments(d));
        var seq = (long)cmd.ExecuteScalar()!;
        write.Changed(1);
        write.Changed(PostgresVolumeIndex.Insert(c, tx, seq, d));
        Wrote(d);
        return new(seq);
    }

    public ValueTask<long> UpdateAsync(Declaration d)
    {
        var (c, tx) = write.Open();
        using var cmd = Sql.Command(c, tx,
            "UPDATE declarations SET kind = $2, party = $3, version = $4, state = $5, priority = $6, rule = $7, name = $8, volumes = $9, details = $10, " +
            "starts_at = $11, ends_at = $12, created_at = $13, updated_at = $14, record_index = $15, details_salt = $16 WHERE id = $1 RETURNING seq",
            DeclarationArguments(d));
        var seq = (long)(cmd.ExecuteScalar() ?? throw new InvalidOperationException($"no declaration {d.Id} to update"));
        write.Changed(1);
        write.Write("DELETE FROM volume_index WHERE declaration = $1", seq);
        write.Changed(PostgresVolumeIndex.Insert(c, tx, seq, d));
        Wrote(d);
        return new(seq);
    }

    public ValueTask<IReadOnlyList<Declaration>> EndedByAsync(DateTimeOffset now, int limit) =>
        new(write.List(ReadDeclaration,
            $"SELECT {StoreRows.DeclarationColumns} FROM declarations d WHERE d.state IN {LiveStates} AND d.ends_at <= $1 ORDER BY d.ends_at, d.seq LIMIT $2",
            StoreRows.Ms(now), limit));

    /// <summary>A transaction begins: it has written nothing yet.</summary>
    internal void Begin()
    {
        _written.Clear();
        _writtenIds.Clear();
    }

    /// <summary>The transaction committed: the declarations it wrote are kept for every reader.</summary>
    internal void Committed()
    {
        foreach (var d in _written)
        {
            rows.Remember(d);
        }
    }

    private object?[] DeclarationArguments(Declaration d) =>
    [
        d.Id, StoreRows.Enum(d.Kind), d.Party, d.Version, StoreRows.Enum(d.State), d.Priority, d.Rule is { } rule ? StoreRows.Enum(rule) : null, d.Name,
        StoreRows.VolumesJson(d.Volumes), d.DetailsJson, StoreRows.Ms(d.StartsAt), StoreRows.Ms(d.EndsAt), StoreRows.Ms(d.CreatedAt), StoreRows.Ms(d.UpdatedAt),
        write.NextRecordIndex(), d.DetailsSalt,
    ];

    /// <summary>A declaration read in this transaction: its volumes are kept only when it is not one this transaction wrote.</summary>
    private Declaration ReadDeclaration(NpgsqlDataReader r) => rows.ReadDeclaration(r, remember: !_writtenIds.Contains(r.GetString(1)));

    private void Wrote(Declaration d)
    {
        _written.Add(d);
        _writtenIds.Add(d.Id);
    }
}
