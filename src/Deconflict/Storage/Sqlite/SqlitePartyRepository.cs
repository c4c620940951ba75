using Deconflict.Core.Model;

namespace Deconflict.Storage.Sqlite;

/// <summary>Parties, their access tokens and witness keys, in the single writer's open transaction.</summary>
internal sealed class SqlitePartyRepository(SqliteWriteConnection write) : IPartyRepository
{
    public ValueTask<Party?> GetAsync(string id) =>
        new(SqliteRows.GetParty(write.Connection, null, id));

    public ValueTask InsertAsync(Party party)
    {
        var cmd = write.Cmd("INSERT INTO parties(id, name, role, created_at, record_index) VALUES ($id, $name, $role, $at, $ri)");
        cmd.Parameters.AddWithValue("$id", party.Id);
        cmd.Parameters.AddWithValue("$name", party.Name);
        cmd.Parameters.AddWithValue("$role", StoreRows.Enum(party.Role));
        cmd.Parameters.AddWithValue("$at", StoreRows.Ms(party.CreatedAt));
        cmd.Parameters.AddWithValue("$ri", write.NextRecordIndex());
        cmd.ExecuteNonQuery();
        return ValueTask.CompletedTask;
    }

    public ValueTask InsertTokenAsync(AccessToken token)
    {
        var cmd = write.Cmd("INSERT INTO tokens(id, party, secret_hash, created_at, revoked_at, record_index) VALUES ($id, $party, $hash, $at, NULL, $ri)");
        cmd.Parameters.AddWithValue("$id", token.Id);
        cmd.Parameters.AddWithValue("$party", (object?)token.PartyId ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$hash", token.SecretHash);
        cmd.Parameters.AddWithValue("$at", StoreRows.Ms(token.CreatedAt));
        cmd.Parameters.AddWithValue("$ri", write.NextRecordIndex());
        cmd.ExecuteNonQuery();
        return ValueTask.CompletedTask;
    }

    public ValueTask<AccessToken?> GetTokenAsync(string tokenId)
    {
        var cmd = write.Cmd($"SELECT {StoreRows.TokenColumns} FROM tokens WHERE id = $id");
        cmd.Parameters.AddWithValue("$id", tokenId);
        using var r = cmd.ExecuteReader();
        return new(r.Read() ? StoreRows.ReadToken(r) : null);
    }

    public ValueTask<IReadOnlyList<AccessToken>> TokensOfAsync(string party) =>
        new(SqliteRows.TokensOf(write.Connection, null, party));

    public ValueTask RevokeTokenAsync(string tokenId, DateTimeOffset at)
    {
        // A token revoked again keeps its first revocation time, and names the new entry.
        var cmd = write.Cmd("UPDATE tokens SET revoked_at = COALESCE(revoked_at, $at), record_index = $ri WHERE id = $id");
        cmd.Parameters.AddWithValue("$id", tokenId);
        cmd.Parameters.AddWithValue("$at", StoreRows.Ms(at));
        cmd.Parameters.AddWithValue("$ri", write.NextRecordIndex());
        cmd.ExecuteNonQuery();
        return ValueTask.CompletedTask;
    }

    public ValueTask SetKeyAsync(string party, byte[] publicKey, DateTimeOffset at)
    {
        var cmd = write.Cmd("INSERT INTO party_keys(party, public_key, registered_at, record_index) VALUES ($party, $key, $at, $ri) " +
            "ON CONFLICT(party) DO UPDATE SET public_key = excluded.public_key, registered_at = excluded.registered_at, record_index = excluded.record_index");
        cmd.Parameters.AddWithValue("$party", party);
        cmd.Parameters.AddWithValue("$key", publicKey);
        cmd.Parameters.AddWithValue("$at", StoreRows.Ms(at));
        cmd.Parameters.AddWithValue("$ri", write.NextRecordIndex());
        cmd.ExecuteNonQuery();
        return ValueTask.CompletedTask;
    }
}
