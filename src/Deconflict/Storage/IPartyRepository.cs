using Deconflict.Core.Model;

namespace Deconflict.Storage;

/// <summary>Parties, their access tokens and their witness keys, as the open write transaction stands.</summary>
public interface IPartyRepository
{
    Party? Get(string id);

    void Insert(Party party);

    void InsertToken(AccessToken token);

    AccessToken? GetToken(string tokenId);

    /// <summary>Every token of the party, revoked ones too, in the order they were issued.</summary>
    IReadOnlyList<AccessToken> TokensOf(string party);

    /// <summary>Revokes the token; one revoked before keeps its first revocation time.</summary>
    void RevokeToken(string tokenId, DateTimeOffset at);

    /// <summary>Registers (or replaces) the party's Ed25519 witness key (32 bytes).</summary>
    void SetKey(string party, byte[] publicKey, DateTimeOffset at);
}
