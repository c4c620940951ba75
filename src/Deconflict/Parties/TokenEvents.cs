using Deconflict.Core.Model;
using Deconflict.Events.Payloads;
using Deconflict.Record;
using Deconflict.Service;

namespace Deconflict.Parties;

/// <summary>
/// The record entries about a token: every creation and revocation states the token whole
/// (<see cref="TokenEntryView"/>), never its secret, to the party concerned and the admin (a
/// <c>party</c> entry) or to the admin alone (an <c>admin-token</c> entry).
/// </summary>
public static class TokenEvents
{
    /// <summary>The entry type: <c>party</c> for a party's token, <c>admin-token</c> for an admin token.</summary>
    public static string Type(AccessToken t) => t.PartyId is null ? "admin-token" : EventTypes.Party;

    /// <summary>Who sees the entry besides the admin: the party, or "admin" for an admin token.</summary>
    public static string Audience(AccessToken t) => t.PartyId ?? "admin";

    /// <summary>The payload: the action, the party and token id as before, and the token whole.</summary>
    public static string Payload(string action, AccessToken t) => t.PartyId is { } party
        ? RecordJsonContext.Write(new PartyTokenPayload(action, party, t.Id, TokenEntryView.Of(t)), RecordJsonContext.Default.PartyTokenPayload)
        : RecordJsonContext.Write(new AdminTokenPayload(action, t.Id, TokenEntryView.Of(t)), RecordJsonContext.Default.AdminTokenPayload);

    /// <summary>The event stating the token as it now stands.</summary>
    public static DomainEvent Of(string action, AccessToken t) => new(Type(t), null, [Audience(t)], Payload(action, t));

    /// <summary>Records the token as it now stands (the row was just written naming this entry).</summary>
    public static ValueTask<StoredEvent> EmitAsync(WriteContext ctx, string action, AccessToken t) => ctx.EmitAsync(Of(action, t));
}
