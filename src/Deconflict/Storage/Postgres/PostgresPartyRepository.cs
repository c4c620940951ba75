using Deconflict.Core.Model;

namespace Deconflict.Storage.Postgres;

/// <summary>Parties, their tokens and witness keys in the PostgreSQL write transaction.</summary>
internal sealed class PostgresPartyRepository(PostgresWriteConnection write) : IPartyRepository
{
    public ValueTask<Party?> GetAsync(string id) => new(write.One(StoreRows.ReadParty, "SELECT id, name, role, created_at FROM parties WHERE id = $1", id));

    public ValueTask InsertAsync(Party party)
    {
        write.Write("INSERT INTO parties(id, name, role, created_at, record_index) VALUES ($1, $2, $3, $4, $5)",
            party.Id, party.Name, StoreRows.Enum(party.Role), StoreRows.Ms(party.CreatedAt), write.NextRecordIndex());
        return ValueTask.CompletedTask;
    }

    public ValueTask InsertTokenAsync(AccessToken token)
    {
        write.Write("INSERT INTO tokens(seq, id, party, secret_hash, created_at, revoked_at, record_index) " +
            "VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM tokens), $1, $2, $3, $4, NULL, $5)",
            token.Id, token.PartyId, token.SecretHash, StoreRows.Ms(token.CreatedAt), write.NextRecordIndex());
        return ValueTask.CompletedTask;
    }

    public ValueTask<AccessToken?> GetTokenAsync(string tokenId) => new(write.One(StoreRows.ReadToken, $"SELECT {StoreRows.TokenColumns} FROM tokens WHERE id = $1", tokenId));

    public ValueTask<IReadOnlyList<AccessToken>> TokensOfAsync(string party) =>
        new(write.List(StoreRows.ReadToken, $"SELECT {StoreRows.TokenColumns} FROM tokens WHERE party = $1 ORDER BY seq", party));

    public ValueTask RevokeTokenAsync(string tokenId, DateTimeOffset at)
    {
        // A token revoked again keeps its first revocation time, and names the new entry.
        write.Write("UPDATE tokens SET revoked_at = COALESCE(revoked_at, $2), record_index = $3 WHERE id = $1", tokenId, StoreRows.Ms(at), write.NextRecordIndex());

        // Every node drops the token from its cache when this commits.
        write.Scalar("SELECT pg_notify('deconflict_tokens', $1)", tokenId);
        return ValueTask.CompletedTask;
    }

    public ValueTask SetKeyAsync(string party, byte[] publicKey, DateTimeOffset at)
    {
        write.Write("INSERT INTO party_keys(party, public_key, registered_at, record_index) VALUES ($1, $2, $3, $4) " +
            "ON CONFLICT(party) DO UPDATE SET public_key = excluded.public_key, registered_at = excluded.registered_at, record_index = excluded.record_index",
            party, publicKey, StoreRows.Ms(at), write.NextRecordIndex());
        return ValueTask.CompletedTask;
    }
}
