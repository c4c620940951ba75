using Deconflict.Core.Line;
using Deconflict.Core.Model;
using Deconflict.Line;
using Deconflict.Service;
using Deconflict.Tests.Service;
using Microsoft.Extensions.Time.Testing;
using static Deconflict.Tests.Service.Callers;

namespace Deconflict.Tests.Line;

/// <summary>
/// The line's commands called directly, through a real writer on its own SQLite file: each refusal
/// with its reason and exact detail and nothing written, each success with the state it stored.
/// </summary>
public sealed class LineCommandsTests
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 8, 0, 0, TimeSpan.Zero);
    private static readonly string[] Parties = ["blue", "red", "green"];

    private static readonly LineMessageDraft ToRed = new(["red"], MessageKind.FreeText, "Crossing at noon", "We cross the river at noon.", "en", [], null, TimeSpan.FromMinutes(5));

    private readonly LineCommands _commands = new();

    // xUnit makes an instance per test, so each test has its own clock.
    private readonly FakeTimeProvider _clock = new(T0);

    [Fact]
    public async Task A_recipient_acknowledges_and_the_receipt_is_stored_with_its_event()
    {
        await using var writer = await StartAsync();
        var sent = (await writer.Queue.Submit(Blue.PartyId, ctx => _commands.SendAsync(ctx, Blue, ToRed, null))).Value!;
        Assert.False(sent.Replayed);

        _clock.Advance(TimeSpan.FromSeconds(30));
        var acked = await writer.Queue.Submit(Red.PartyId, ctx => _commands.AcknowledgeAsync(ctx, Red, sent.Message.Id, new LineAckDraft("Officer Ivanova", "Seen.")));

        Assert.Null(acked.Error);
        var stored = writer.Store.GetMessage(sent.Message.Id)!;
        Assert.Equal(2, stored.Version);
        var receipt = stored.Receipts["red"];
        Assert.Equal(T0.AddSeconds(30), receipt.AcknowledgedAt);
        Assert.Equal("Officer Ivanova", receipt.AcknowledgedBy);
        Assert.Equal("Seen.", receipt.Note);
        Assert.Equal([LineEvents.MessageEvent, LineEvents.ReceiptEvent], writer.Events().Select(e => e.Type));
        Assert.Equal(1, acked.Value!.RecordIndex);
    }

    [Fact]
    public async Task The_sender_may_not_acknowledge_its_own_message_and_nothing_is_written()
    {
        await using var writer = await StartAsync();
        var sent = (await writer.Queue.Submit(Blue.PartyId, ctx => _commands.SendAsync(ctx, Blue, ToRed, null))).Value!;
        var id = sent.Message.Id;

        var refused = await writer.Queue.Submit(Blue.PartyId, ctx => _commands.AcknowledgeAsync(ctx, Blue, id, new LineAckDraft("Officer Smith", null)));

        Assert.Equal(RefusalReason.Forbidden, refused.Error!.Reason);
        Assert.Equal($"Only a recipient of message '{id}' (red) may mark it acknowledged.", refused.Error.Detail);
        Assert.Equal(1, writer.Store.GetMessage(id)!.Version);
        Assert.Single(writer.Events());
    }

    [Fact]
    public async Task A_party_the_message_does_not_concern_is_told_there_is_none()
    {
        await using var writer = await StartAsync();
        var sent = (await writer.Queue.Submit(Blue.PartyId, ctx => _commands.SendAsync(ctx, Blue, ToRed, null))).Value!;
        var id = sent.Message.Id;

        var refused = await writer.Queue.Submit(Green.PartyId, ctx => _commands.ReadAsync(ctx, Green, id));

        Assert.Equal(RefusalReason.NotFound, refused.Error!.Reason);
        Assert.Equal($"No message '{id}' that you may see.", refused.Error.Detail);
        Assert.Null(writer.Store.GetMessage(id)!.Receipts["red"].ReadAt);
    }

    [Fact]
    public async Task A_repeated_step_changes_nothing_and_records_no_second_event()
    {
        await using var writer = await StartAsync();
        var sent = (await writer.Queue.Submit(Blue.PartyId, ctx => _commands.SendAsync(ctx, Blue, ToRed, null))).Value!;
        var first = await writer.Queue.Submit(Red.PartyId, ctx => _commands.DeliveredAsync(ctx, Red, sent.Message.Id));
        _clock.Advance(TimeSpan.FromSeconds(10));
        var second = await writer.Queue.Submit(Red.PartyId, ctx => _commands.DeliveredAsync(ctx, Red, sent.Message.Id));

        Assert.Equal(T0, second.Value!.Receipts["red"].DeliveredAt);
        Assert.Equal(first.Value!.Version, second.Value.Version);
        Assert.Equal(2, writer.Events().Count);
    }

    [Fact]
    public async Task A_retry_with_the_same_idempotency_key_returns_the_first_message_and_sends_nothing()
    {
        await using var writer = await StartAsync();
        var first = (await writer.Queue.Submit(Blue.PartyId, ctx => _commands.SendAsync(ctx, Blue, ToRed, "key-1"))).Value!;
        var retry = (await writer.Queue.Submit(Blue.PartyId, ctx => _commands.SendAsync(ctx, Blue, ToRed with { Subject = "Other" }, "key-1"))).Value!;

        Assert.True(retry.Replayed);
        Assert.Equal(first.Message.Id, retry.Message.Id);
        Assert.Equal("Crossing at noon", retry.Message.Subject);
        Assert.Single(writer.Events());
    }

    [Fact]
    public async Task Escalation_contacts_of_an_unknown_party_are_refused_and_a_known_party_s_are_stored()
    {
        await using var writer = await StartAsync();
        EscalationContactsDraft contacts = new([new EscalationContactBody(1, "https://ops.example.org/hook"), new EscalationContactBody(2, "https://duty.example.org/hook")]);

        var refused = await writer.Queue.Submit(Admin.PartyId, ctx => _commands.SetEscalationContactsAsync(ctx, Admin, "nobody", contacts));
        Assert.Equal(RefusalReason.NotFound, refused.Error!.Reason);
        Assert.Equal("No party 'nobody' that you may see.", refused.Error.Detail);
        Assert.Empty(writer.Events());

        var set = await writer.Queue.Submit(Red.PartyId, ctx => _commands.SetEscalationContactsAsync(ctx, Red, "red", contacts));
        Assert.Equal(contacts.Contacts, set.Value);
        Assert.Equal([(1, "https://ops.example.org/hook"), (2, "https://duty.example.org/hook")], writer.Store.EscalationContacts("red").OrderBy(c => c.Level));
        var e = Assert.Single(writer.Events());
        Assert.Equal("red", Assert.Single(e.Audience));
        Assert.Equal("red", e.Actor);
    }

    /// <summary>A writer on its own SQLite file, with the parties blue, red and green, on the fake clock at <see cref="T0"/>.</summary>
    private async Task<SqliteWriter> StartAsync()
    {
        var writer = new SqliteWriter(_clock);
        await writer.SeedAsync(async ctx =>
        {
            foreach (var party in Parties)
            {
                await ctx.Store.Parties.InsertAsync(new Party(party, party, PartyRole.Party, T0));
            }
        });
        return writer;
    }
}
