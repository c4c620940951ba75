using System.Text.Json;
using Deconflict.Core.Line;
using Deconflict.Core.Model;
using Deconflict.Events.Payloads;
using Deconflict.Record;

namespace Deconflict.Line;

/// <summary>
/// The record entries of the deconfliction line: every step of a message is an event seen by the
/// sender and the recipient concerned (line-message, line-receipt, line-overdue), every webhook
/// attempt one seen by the contact's owner, and every change of a party's escalation contacts a
/// <c>party</c> event seen by that party.
/// </summary>
public static class LineEvents
{
    public const string MessageEvent = "line-message";
    public const string ReceiptEvent = "line-receipt";
    public const string OverdueEvent = "line-overdue";
    public const string EscalationCallEvent = "line-escalation-call";

    /// <summary>The message sent, by its sender, to the sender and every recipient.</summary>
    public static DomainEvent Sent(LineMessage m) =>
        new(MessageEvent, m.From, [m.From, .. m.To], RecordJsonContext.Write(new LineMessagePayload("sent", LineMessageView.ForEntry(m)), RecordJsonContext.Default.LineMessagePayload));

    /// <summary>The recipient's receipt step (<paramref name="action"/>: delivered, read, acknowledged), with the message as it now stands.</summary>
    public static DomainEvent Receipt(string action, LineMessage next, string party) =>
        new(ReceiptEvent, party, [next.From, party], RecordJsonContext.Write(
            new LineReceiptPayload(action, next.Id, party, LineMessageView.Of(next).Receipts[party], LineMessageView.ForEntry(next)), RecordJsonContext.Default.LineReceiptPayload));

    /// <summary>An escalation of <paramref name="m"/> for one recipient, with the message as it stands after it (<paramref name="next"/>).</summary>
    public static DomainEvent Overdue(LineMessage m, Escalation e, LineMessage next)
    {
        var notice = LineOverdueView.Of(m, e);
        var payload = new LineOverduePayload(
            notice.MessageId, notice.From, notice.Recipient, notice.Subject, notice.EscalationLevel, notice.DueAt, notice.NextDueAt, LineMessageView.ForEntry(next));
        return new DomainEvent(OverdueEvent, null, [m.From, e.Recipient], RecordJsonContext.Write(payload, RecordJsonContext.Default.LineOverduePayload));
    }

    /// <summary>The escalation's webhook body: the overdue notice without the message, written as the record writes it (it is recorded with each call).</summary>
    public static string OverdueNotice(LineMessage m, Escalation e) =>
        RecordJsonContext.Write(LineOverdueView.Of(m, e), RecordJsonContext.Default.LineOverdueView);

    /// <summary>One attempt to call an escalation contact, to the contact's owner.</summary>
    public static DomainEvent EscalationCallMade(EscalationCall call, int attempt, int of, bool ok, string outcome, int? status, DateTimeOffset at)
    {
        using var body = JsonDocument.Parse(call.Payload);
        var payload = new EscalationCallPayload(call.Party, call.Level, call.Url, attempt, of, ok, outcome, status, at, body.RootElement.Clone());
        return new DomainEvent(EscalationCallEvent, null, [call.Party], RecordJsonContext.Write(payload, RecordJsonContext.Default.EscalationCallPayload));
    }

    /// <summary>The party's escalation contacts set: as posted, and the set as stored.</summary>
    public static DomainEvent EscalationContactsSet(string? actor, string party, IReadOnlyList<EscalationContactBody> contacts) =>
        new(EventTypes.Party, actor, [party], RecordJsonContext.Write(
            new EscalationContactsSetPayload("escalation-contacts-set", party, contacts, EscalationContactsEntryView.Of(party, contacts.Select(c => (c.Level, c.Url!)))),
            RecordJsonContext.Default.EscalationContactsSetPayload));

    /// <summary>A party's contacts set before their entries stated the set (<c>escalation-contacts-stated</c>, migration 11).</summary>
    public static DomainEvent EscalationContactsStated(string party, IEnumerable<(int Level, string Url)> contacts) =>
        new(EventTypes.Party, null, [party], RecordJsonContext.Write(
            new EscalationContactsStatedPayload("escalation-contacts-stated", party, EscalationContactsEntryView.Of(party, contacts)), RecordJsonContext.Default.EscalationContactsStatedPayload));
}
