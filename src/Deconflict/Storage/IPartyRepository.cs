using Deconflict.Core.Model;

namespace Deconflict.Storage;

/// <summary>Parties, their access tokens and their witness keys, as the open write transaction stands.</summary>
public interface IPartyRepository
{
    ValueTask<Party?> GetAsync(string id);

    ValueTask InsertAsync(Party party);

    ValueTask InsertTokenAsync(AccessToken token);

    ValueTask<AccessToken?> GetTokenAsync(string tokenId);

    /// <summary>Every token of the party, revoked ones too, in the order they were issued.</summary>
    ValueTask<IReadOnlyList<AccessToken>> TokensOfAsync(string party);

    /// <summary>Revokes the token; one revoked before keeps its first revocation time.</summary>
    ValueTask RevokeTokenAsync(string tokenId, DateTimeOffset at);

    /// <summary>Registers (or replaces) the party's Ed25519 witness key (32 bytes).</summary>
    ValueTask SetKeyAsync(string party, byte[] publicKey, DateTimeOffset at);
}
