using Deconflict.Api;
using Deconflict.Core.Model;
using Deconflict.Service;
using Deconflict.Storage;

namespace Deconflict.Parties;

public sealed record PartyBody
{
    public string? Id { get; init; }

    public string? Name { get; init; }

    public PartyRole? Role { get; init; }
}

/// <summary>Parties and their tokens. Only the admin creates parties and issues or revokes tokens; anyone signed in may list parties.</summary>
public static class PartyEndpoints
{
    public static RouteGroupBuilder MapParties(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/parties").WithTags("Parties").RequireToken();

        group.MapPost("/", async (HttpContext http, WriteQueue writes, PartyCommands commands) =>
        {
            var caller = Authentication.Of(http);
            if (PartyCommands.AdminOnly(caller, "create parties") is { } forbidden)
            {
                return Problems.ToResult(forbidden);
            }

            var body = await http.ReadJson<PartyBody>();
            if (body.Error is { } unreadable)
            {
                return Problems.ToResult(unreadable);
            }

            var draft = PartyDraft.Parse(body.Value!);
            if (draft.Error is { } invalid)
            {
                return Problems.ToResult(invalid);
            }

            var created = await writes.Submit(null, ctx => commands.CreateAsync(ctx, caller, draft.Value!));
            if (created.Error is { } refused)
            {
                return Problems.ToResult(refused);
            }

            var (party, token) = created.Value!;
            return Results.Json(new PartyCreatedView(PartyView.Of(party, null), token.Token, token.TokenId), Json.Options, statusCode: StatusCodes.Status201Created);
        }).AcceptsJson<PartyBody>().WithSummary("Create a party (admin); its first token is shown once").WithName("createParty")
          .Produces<PartyCreatedView>(StatusCodes.Status201Created).Refuses(RefusalReason.Forbidden, RefusalReason.AlreadyExists);

        group.MapGet("/", (IDeconflictStore store) =>
            Results.Json(new ListView<PartyView>([.. store.ListParties().Select(p => PartyView.Of(p, store.PartyKey(p.Id)))], null), Json.Options))
            .WithSummary("Every party's id, name, role and public signing key").WithName("listParties")
            .Produces<ListView<PartyView>>();

        app.MapGet("/v1/me", (HttpContext http, IDeconflictStore store) =>
        {
            var caller = Authentication.Of(http);
            var party = caller.PartyId is { } id ? store.GetParty(id) : null;
            return Results.Json(new MeView
            {
                Party = caller.PartyId,
                Name = party?.Name ?? (caller.IsAdmin ? "admin" : caller.PartyId!),
                Role = caller.IsAdmin ? "admin" : caller.Role == PartyRole.Observer ? "observer" : "party",
                MayWrite = caller.MayWrite,
                SeesEverything = caller.SeesEverything,
                TokenId = caller.TokenId,
            }, Json.Options);
        }).WithTags("Parties").RequireToken().WithSummary("Who this token speaks for: party, name, role").WithName("getMe").Produces<MeView>()
          .WithDescription("The party the bearer token belongs to (absent for the admin), its role and whether it may write; the token's id, never its secret.");

        group.MapPost("/{id}/tokens", async (string id, HttpContext http, WriteQueue writes, PartyCommands commands) =>
        {
            var caller = Authentication.Of(http);
            if (PartyCommands.AdminOnly(caller, "issue tokens") is { } forbidden)
            {
                return Problems.ToResult(forbidden);
            }

            var issued = await writes.Submit(null, ctx => commands.IssueTokenAsync(ctx, caller, id));
            return issued.Error is { } refused
                ? Problems.ToResult(refused)
                : Results.Json(issued.Value, Json.Options, statusCode: StatusCodes.Status201Created);
        }).WithSummary("Issue another token for a party (admin); old tokens stay valid until revoked").WithName("issueToken")
          .Produces<IssuedToken>(StatusCodes.Status201Created).Refuses(RefusalReason.Forbidden, RefusalReason.NotFound);

        group.MapDelete("/{id}/tokens/{tokenId}", async (string id, string tokenId, HttpContext http, IDeconflictStore store, WriteQueue writes, PartyCommands commands, Authentication auth, LiveRequests live) =>
        {
            var caller = Authentication.Of(http);
            if (PartyCommands.AdminOnly(caller, "revoke tokens") is { } forbidden)
            {
                return Problems.ToResult(forbidden);
            }

            // Checked before anything is ended, so a wrong id ends nobody's streams; checked again
            // on the writer.
            if (!store.TokensOf(id).Any(t => t.Id == tokenId))
            {
                return Problems.ToResult(Refusal.NotFound("token", tokenId));
            }

            var revoked = await RevokeAsync(store, caller, id, [tokenId], writes, commands, auth, live);
            return revoked.Error is { } refused ? Problems.ToResult(refused) : Results.NoContent();
        }).WithSummary("Revoke a token (admin); it stops working at once, and its streams and requests in flight end").WithName("revokeToken")
          .Produces(StatusCodes.Status204NoContent).Refuses(RefusalReason.Forbidden, RefusalReason.NotFound);

        group.MapDelete("/{id}/tokens", async (string id, HttpContext http, IDeconflictStore store, WriteQueue writes, PartyCommands commands, Authentication auth, LiveRequests live) =>
        {
            var caller = Authentication.Of(http);
            if (PartyCommands.AdminOnly(caller, "revoke tokens") is { } forbidden)
            {
                return Problems.ToResult(forbidden);
            }

            if (store.GetParty(id) is null)
            {
                return Problems.ToResult(Refusal.NotFound("party", id));
            }

            var revoked = await RevokeAsync(store, caller, id, null, writes, commands, auth, live);
            return revoked.Error is { } refused
                ? Problems.ToResult(refused)
                : Results.Json(new TokensRevokedView(id, revoked.Value!), Json.Options);
        }).WithSummary("Revoke every token of a party (admin): its access ends at once, streams and requests in flight included").WithName("revokeAllTokens")
          .Produces<TokensRevokedView>().Refuses(RefusalReason.Forbidden, RefusalReason.NotFound);

        return group;
    }

    /// <summary>
    /// Revokes the party's tokens (<paramref name="tokenIds"/>, or every unrevoked one when null):
    /// first their requests in flight and streams are ended (<see cref="LiveRequests"/>), so that
    /// nothing they queued is written after the revocation, then the revocation is written with a
    /// token-revoked event per token (<see cref="PartyCommands.RevokeAsync"/>). Returns the ids revoked.
    /// </summary>
    private static async Task<Outcome<string[]>> RevokeAsync(IDeconflictStore store, Caller caller, string party, string[]? tokenIds, WriteQueue writes, PartyCommands commands, Authentication auth, LiveRequests live)
    {
        var ending = tokenIds ?? [.. store.TokensOf(party).Where(t => t.RevokedAt is null).Select(t => t.Id)];
        await live.EndAsync(ending);
        Outcome<string[]> revoked;
        try
        {
            revoked = await writes.Submit(null, ctx => commands.RevokeAsync(ctx, caller, party, tokenIds));
        }
        catch
        {
            live.Restore(ending);
            throw;
        }

        if (revoked.Error is not null)
        {
            live.Restore(ending);
            return revoked;
        }

        // A token issued while its party's revocation waited was not ended before: end it now.
        if (revoked.Value!.Except(ending).ToArray() is { Length: > 0 } late)
        {
            await live.EndAsync(late);
        }

        auth.Forget(revoked.Value!);
        return revoked;
    }
}
