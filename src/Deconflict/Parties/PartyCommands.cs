using Deconflict.Core.Model;
using Deconflict.Service;

namespace Deconflict.Parties;

/// <summary>
/// Parties and their tokens on the writer: creating a party with its first token, issuing another
/// and revoking them. Only the admin may; each runs inside <see cref="WriteQueue"/>.
/// </summary>
public sealed class PartyCommands
{
    /// <summary>Refuses anyone but the admin; the endpoints ask before reading a body, so this refusal comes first.</summary>
    public static Refusal? AdminOnly(Caller caller, string action) =>
        caller.IsAdmin ? null : Refusal.Forbidden($"Only the admin may {action}.");

    public async ValueTask<Outcome<PartyCreated>> CreateAsync(WriteContext ctx, Caller caller, PartyDraft draft)
    {
        if (AdminOnly(caller, "create parties") is { } forbidden)
        {
            return forbidden;
        }

        if (await ctx.Store.Parties.GetAsync(draft.Id) is not null)
        {
            return new Refusal(RefusalReason.AlreadyExists, $"A party '{draft.Id}' exists already.");
        }

        var party = new Party(draft.Id, draft.Name, draft.Role, ctx.Now);
        await ctx.Store.Parties.InsertAsync(party);
        await ctx.EmitAsync(PartyEvents.Created(party));
        return new PartyCreated(party, await TokenIssuer.IssueAsync(ctx, party.Id));
    }

    public async ValueTask<Outcome<IssuedToken>> IssueTokenAsync(WriteContext ctx, Caller caller, string party)
    {
        if (AdminOnly(caller, "issue tokens") is { } forbidden)
        {
            return forbidden;
        }

        if (await ctx.Store.Parties.GetAsync(party) is null)
        {
            return Refusal.NotFound("party", party);
        }

        return await TokenIssuer.IssueAsync(ctx, party);
    }

    /// <summary>
    /// Revokes the party's tokens (<paramref name="tokenIds"/>, or every unrevoked one when null),
    /// with a token-revoked event per token. Returns the ids revoked.
    /// </summary>
    public async ValueTask<Outcome<string[]>> RevokeAsync(WriteContext ctx, Caller caller, string party, string[]? tokenIds)
    {
        if (AdminOnly(caller, "revoke tokens") is { } forbidden)
        {
            return forbidden;
        }

        if (await ctx.Store.Parties.GetAsync(party) is null)
        {
            return Refusal.NotFound("party", party);
        }

        var tokens = await ctx.Store.Parties.TokensOfAsync(party);
        if (tokenIds is not null && tokenIds.Any(id => !tokens.Any(t => t.Id == id)))
        {
            return Refusal.NotFound("token", tokenIds[0]);
        }

        // A single token is revoked (and recorded) even when it was already; the party's
        // revocation takes those still valid.
        var ids = tokenIds ?? [.. tokens.Where(t => t.RevokedAt is null).Select(t => t.Id)];
        foreach (var id in ids)
        {
            var token = tokens.First(t => t.Id == id);
            await ctx.Store.Parties.RevokeTokenAsync(id, ctx.Now);
            await TokenEvents.EmitAsync(ctx, "token-revoked", token with { RevokedAt = token.RevokedAt ?? ctx.Now });
        }

        return ids;
    }
}
