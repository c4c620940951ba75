using System.Text.Json;
using Deconflict.Core.Model;
using Microsoft.Data.Sqlite;

namespace Deconflict.Storage.Sqlite;

/// <summary>
/// The SQL shared by the concurrent readers and the single writer, so both see objects the same
/// way; the row encodings themselves are the stores' shared <see cref="StoreRows"/>. Every method
/// takes the connection (and the writer's transaction) to use.
/// </summary>
internal sealed class SqliteRows
{
    private readonly StoreRows _rows = new();

    /// <summary>The event columns before schema migration 8, which only migration 2's backfill reads.</summary>
    public const string EventColumns = "seq, time, type, actor, audience, payload";

    /// <summary>How many declaration versions have had their volumes decoded (their outlines derived) from the database.</summary>
    public long DecodedVolumeSets => _rows.DecodedVolumeSets;

    public Declaration ReadDeclaration(SqliteDataReader r) => _rows.ReadDeclaration(r);

    public void Remember(Declaration d) => _rows.Remember(d);

    /// <summary>Decodes the volumes of a declaration version into the cache.</summary>
    public void Warm(string id, long version, string json) => _rows.Warm(id, version, json);

    public static SqliteCommand Command(SqliteConnection c, SqliteTransaction? tx, string sql)
    {
        var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        return cmd;
    }

    public Declaration? GetDeclaration(SqliteConnection c, SqliteTransaction? tx, string? kind, string id)
    {
        using var cmd = Command(c, tx, $"SELECT {StoreRows.DeclarationColumns} FROM declarations d WHERE d.id = $id" + (kind is null ? string.Empty : " AND d.kind = $kind"));
        cmd.Parameters.AddWithValue("$id", id);
        if (kind is not null)
        {
            cmd.Parameters.AddWithValue("$kind", kind);
        }

        using var r = cmd.ExecuteReader();
        return r.Read() ? ReadDeclaration(r) : null;
    }

    public static Conflict? GetConflict(SqliteConnection c, SqliteTransaction? tx, string id)
    {
        using var cmd = Command(c, tx, $"SELECT {StoreRows.ConflictColumns} FROM conflicts WHERE id = $id");
        cmd.Parameters.AddWithValue("$id", id);
        using var r = cmd.ExecuteReader();
        return r.Read() ? StoreRows.ReadConflict(r) : null;
    }

    public static Party? GetParty(SqliteConnection c, SqliteTransaction? tx, string id)
    {
        using var cmd = Command(c, tx, "SELECT id, name, role, created_at FROM parties WHERE id = $id");
        cmd.Parameters.AddWithValue("$id", id);
        using var r = cmd.ExecuteReader();
        return r.Read() ? StoreRows.ReadParty(r) : null;
    }

    /// <summary>Every token of a party, revoked ones too, in the order they were issued (rowid: two issued in one millisecond keep their order).</summary>
    public static IReadOnlyList<AccessToken> TokensOf(SqliteConnection c, SqliteTransaction? tx, string party)
    {
        using var cmd = Command(c, tx, $"SELECT {StoreRows.TokenColumns} FROM tokens WHERE party = $p ORDER BY rowid");
        cmd.Parameters.AddWithValue("$p", party);
        using var r = cmd.ExecuteReader();
        var list = new List<AccessToken>();
        while (r.Read())
        {
            list.Add(StoreRows.ReadToken(r));
        }

        return list;
    }

    /// <summary>Reads an event from a row of <see cref="EventColumns"/>.</summary>
    public static StoredEvent ReadEvent(SqliteDataReader r) => new(
        r.GetInt64(0),
        StoreRows.Time(r.GetInt64(1)),
        r.GetString(2),
        r.IsDBNull(3) ? null : r.GetString(3),
        r.IsDBNull(4) ? [] : [.. JsonSerializer.Deserialize<string[]>(r.GetString(4))!],
        r.GetString(5));
}
