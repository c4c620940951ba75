using Deconflict.Core.Line;
using Deconflict.Core.Model;
using Deconflict.Service;

namespace Deconflict.Line;

/// <summary>
/// The writes of the deconfliction line: a message sent, a recipient's receipt steps (delivered,
/// read, acknowledged) and a party's escalation contacts, each stored with its event in the one
/// transaction of the request. Runs only inside <see cref="WriteQueue"/>, so no two writes interleave.
/// </summary>
public sealed class LineCommands
{
    /// <summary>
    /// Sends the message from the caller (a party). With an idempotency key the caller already sent
    /// a message with, that message is returned, replayed, and nothing new is sent.
    /// </summary>
    public async ValueTask<Outcome<LineMessageSent>> SendAsync(WriteContext ctx, Caller caller, LineMessageDraft draft, string? idempotencyKey)
    {
        if (idempotencyKey is not null && await ctx.Store.Line.FindByKeyAsync(caller.PartyId!, idempotencyKey) is { } existing)
        {
            return new LineMessageSent(existing, Replayed: true);
        }

        var message = LineClock.Send(
            "msg-" + Guid.CreateVersion7(ctx.Now).ToString("N"), caller.PartyId!, draft.To, draft.Kind, draft.Subject, draft.Body, draft.Language, draft.Refs, draft.Place, ctx.Now,
            draft.AckWithin);
        await ctx.Store.Line.InsertAsync(message, idempotencyKey);
        var made = await ctx.EmitAsync(LineEvents.Sent(message));
        return new LineMessageSent(message with { RecordIndex = made.Sequence - 1 }, Replayed: false);
    }

    /// <summary>The caller, a recipient, has the message: its receipt is marked delivered (once).</summary>
    public ValueTask<Outcome<LineMessage>> DeliveredAsync(WriteContext ctx, Caller caller, string id) =>
        StepAsync(ctx, caller, id, "delivered", (m, party, now) => LineClock.Delivered(m, party, now));

    /// <summary>The caller, a recipient, has read the message.</summary>
    public ValueTask<Outcome<LineMessage>> ReadAsync(WriteContext ctx, Caller caller, string id) =>
        StepAsync(ctx, caller, id, "read", (m, party, now) => LineClock.Read(m, party, now));

    /// <summary>
    /// The caller, a recipient, acknowledges the message, naming the officer: its clock stops. When
    /// the message is the notice of a conflict, the conflict is acknowledged for the caller too.
    /// </summary>
    public ValueTask<Outcome<LineMessage>> AcknowledgeAsync(WriteContext ctx, Caller caller, string id, LineAckDraft ack) =>
        StepAsync(ctx, caller, id, "acknowledged", (m, party, now) => LineClock.Acknowledge(m, party, ack.By, ack.Note, now), (next, party) =>
            LineNotices.ConflictAcknowledgedByNoticeAsync(ctx, caller, next, party, ack.By));

    /// <summary>Replaces the party's escalation contacts; returns them as set.</summary>
    public async ValueTask<Outcome<IReadOnlyList<EscalationContactBody>>> SetEscalationContactsAsync(WriteContext ctx, Caller caller, string party, EscalationContactsDraft draft)
    {
        if (await ctx.Store.Parties.GetAsync(party) is null)
        {
            return Refusal.NotFound("party", party);
        }

        await ctx.Store.Line.SetEscalationContactsAsync(party, [.. draft.Contacts.Select(c => (c.Level, c.Url!))]);
        await ctx.EmitAsync(LineEvents.EscalationContactsSet(caller.PartyId, party, draft.Contacts));
        return new Outcome<IReadOnlyList<EscalationContactBody>>(draft.Contacts, null);
    }

    /// <summary>A recipient's receipt step: recorded (with a line-receipt event to the sender and the recipient) when it changes anything.</summary>
    private static async ValueTask<Outcome<LineMessage>> StepAsync(
        WriteContext ctx,
        Caller caller,
        string id,
        string action,
        Func<LineMessage, string, DateTimeOffset, LineMessage> step,
        Func<LineMessage, string, ValueTask>? then = null)
    {
        var m = await ctx.Store.Line.GetAsync(id);
        if (m is null || !(caller.SeesEverything || m.Concerns(caller.PartyId!)))
        {
            return Refusal.NotFound("message", id);
        }

        if (caller.PartyId is not { } party || !m.Receipts.ContainsKey(party))
        {
            return Refusal.Forbidden($"Only a recipient of message '{id}' ({string.Join(", ", m.To)}) may mark it {action}.");
        }

        var next = step(m, party, ctx.Now);
        if (next.Version != m.Version)
        {
            await ctx.Store.Line.UpdateAsync(next);
            var made = await ctx.EmitAsync(LineEvents.Receipt(action, next, party));
            next = next with { RecordIndex = made.Sequence - 1 };
            if (then is not null)
            {
                await then(next, party);
            }
        }

        return next;
    }
}
