using Deconflict.Api;
using Deconflict.Core.Model;
using Deconflict.Parties;
using Deconflict.Service;
using Deconflict.Tests.Service;
using static Deconflict.Tests.Service.Callers;

namespace Deconflict.Tests.Parties;

/// <summary>The party commands on a real writer: what each refuses, in the domain's words, and what each stores.</summary>
public sealed class PartyCommandsTests
{
    private readonly PartyCommands _commands = new();

    [Fact]
    public async Task Creating_a_party_stores_it_with_its_first_token_and_records_both()
    {
        await using var writer = new SqliteWriter();
        var draft = PartyDraft.Parse(new PartyBody { Id = "blue", Name = "  Blue Air  ", Role = PartyRole.Observer });

        var created = await writer.Queue.Submit(null, ctx => _commands.CreateAsync(ctx, Admin, draft.Value!));

        Assert.Null(created.Error);
        Assert.Equal(new Party("blue", "Blue Air", PartyRole.Observer, created.Value!.Party.CreatedAt), writer.Store.GetParty("blue"));
        var token = Assert.Single(writer.Store.TokensOf("blue"));
        Assert.Equal(created.Value.Token.TokenId, token.Id);
        Assert.Equal(Tokens.Hash(created.Value.Token.Token), token.SecretHash);
        Assert.Null(token.RevokedAt);
        Assert.Equal(2, writer.Store.LastEventSequence());
    }

    [Fact]
    public async Task A_party_id_that_exists_already_is_refused_and_nothing_is_written()
    {
        await using var writer = new SqliteWriter();
        var draft = PartyDraft.Parse(new PartyBody { Id = "blue", Name = "Blue" }).Value!;
        await writer.Queue.Submit(null, ctx => _commands.CreateAsync(ctx, Admin, draft));

        var again = await writer.Queue.Submit(null, ctx => _commands.CreateAsync(ctx, Admin, draft with { Name = "Other" }));

        Assert.Equal(RefusalReason.AlreadyExists, again.Error!.Reason);
        Assert.Equal("A party 'blue' exists already.", again.Error.Detail);
        Assert.Equal("Blue", writer.Store.GetParty("blue")!.Name);
        Assert.Single(writer.Store.TokensOf("blue"));
        Assert.Equal(2, writer.Store.LastEventSequence());
    }

    [Fact]
    public async Task Only_the_admin_may_create_issue_and_revoke()
    {
        await using var writer = new SqliteWriter();
        var draft = PartyDraft.Parse(new PartyBody { Id = "red", Name = "Red" }).Value!;

        var create = await writer.Queue.Submit(null, ctx => _commands.CreateAsync(ctx, Blue, draft));
        var issue = await writer.Queue.Submit(null, ctx => _commands.IssueTokenAsync(ctx, Blue, "blue"));
        var revoke = await writer.Queue.Submit(null, ctx => _commands.RevokeAsync(ctx, Blue, "blue", null));

        Assert.Equal((RefusalReason.Forbidden, "Only the admin may create parties."), (create.Error!.Reason, create.Error.Detail));
        Assert.Equal((RefusalReason.Forbidden, "Only the admin may issue tokens."), (issue.Error!.Reason, issue.Error.Detail));
        Assert.Equal((RefusalReason.Forbidden, "Only the admin may revoke tokens."), (revoke.Error!.Reason, revoke.Error.Detail));
        Assert.Null(writer.Store.GetParty("red"));
        Assert.Equal(0, writer.Store.LastEventSequence());
    }

    [Fact]
    public async Task A_token_for_a_party_that_does_not_exist_is_refused()
    {
        await using var writer = new SqliteWriter();

        var issued = await writer.Queue.Submit(null, ctx => _commands.IssueTokenAsync(ctx, Admin, "ghost"));

        Assert.Equal(RefusalReason.NotFound, issued.Error!.Reason);
        Assert.Equal("No party 'ghost' that you may see.", issued.Error.Detail);
        Assert.Empty(writer.Store.TokensOf("ghost"));
    }

    [Fact]
    public async Task Revoking_names_an_unknown_token_or_revokes_every_valid_one()
    {
        await using var writer = new SqliteWriter();
        var created = await writer.Queue.Submit(null, ctx => _commands.CreateAsync(ctx, Admin, new PartyDraft("blue", "Blue", PartyRole.Party)));
        var second = await writer.Queue.Submit(null, ctx => _commands.IssueTokenAsync(ctx, Admin, "blue"));

        var unknown = await writer.Queue.Submit(null, ctx => _commands.RevokeAsync(ctx, Admin, "blue", ["tk-nope"]));
        Assert.Equal(RefusalReason.NotFound, unknown.Error!.Reason);
        Assert.Equal("No token 'tk-nope' that you may see.", unknown.Error.Detail);
        Assert.All(writer.Store.TokensOf("blue"), t => Assert.Null(t.RevokedAt));

        var all = await writer.Queue.Submit(null, ctx => _commands.RevokeAsync(ctx, Admin, "blue", null));
        Assert.Equal([created.Value!.Token.TokenId, second.Value!.TokenId], all.Value!);
        Assert.All(writer.Store.TokensOf("blue"), t => Assert.NotNull(t.RevokedAt));

        // None is left valid, so revoking all again revokes none.
        Assert.Empty((await writer.Queue.Submit(null, ctx => _commands.RevokeAsync(ctx, Admin, "blue", null))).Value!);
    }

    [Theory]
    [InlineData(null, "Blue", "/id")]
    [InlineData("Blue", "Blue", "/id")]
    [InlineData("blue", " ", "/name")]
    public void A_draft_with_a_bad_id_or_name_is_refused_with_its_pointer(string? id, string name, string pointer)
    {
        var draft = PartyDraft.Parse(new PartyBody { Id = id, Name = name });

        Assert.Equal(RefusalReason.InvalidRequest, draft.Error!.Reason);
        Assert.Equal(pointer, draft.Error.Facts!["pointer"]);
    }
}
