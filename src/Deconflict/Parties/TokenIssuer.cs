using Deconflict.Api;
using Deconflict.Core.Model;
using Deconflict.Service;

namespace Deconflict.Parties;

/// <summary>Issues tokens in a write: the party endpoints' and the first start's admin token alike.</summary>
public static class TokenIssuer
{
    /// <summary>
    /// Issues a token and records it whole (never the secret), visible to the party concerned and
    /// the admin (<see cref="TokenEvents"/>): a party's first token, created with it, too.
    /// </summary>
    public static async ValueTask<IssuedToken> IssueAsync(WriteContext ctx, string? partyId)
    {
        var (tokenId, secret) = Tokens.New(ctx.Now);
        var token = new AccessToken(tokenId, partyId, Tokens.Hash(secret), ctx.Now, null);
        await ctx.Store.Parties.InsertTokenAsync(token);
        await TokenEvents.EmitAsync(ctx, partyId is null ? "created" : "token-issued", token);
        return new IssuedToken(tokenId, secret);
    }
}
