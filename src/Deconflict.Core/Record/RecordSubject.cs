using System.Text.Json;

namespace Deconflict.Core.Record;

/// <summary>
/// The served object a record entry states, and the object's state as the entry gives it: an
/// operation or zone (<c>payload.operation</c> / <c>payload.zone</c>), a conflict
/// (<c>payload.conflict</c>), a line message (<c>payload.message</c>, in every line-message,
/// line-receipt and line-overdue entry) or one side of a track alert (<c>payload.alert</c>, side
/// = the entry's one party) or a token (<c>payload.token</c> in a <c>party</c> or
/// <c>admin-token</c> entry: every creation and revocation of a token), a party
/// (<c>payload.party</c> as an object, in its <c>created</c> entry) or a party's witness key
/// (<c>payload.key</c>, id = its party) or a party's set of escalation contacts
/// (<c>payload.escalation_contacts</c>, id = its party). The served row of that
/// object must equal the state of the latest entry about it (docs/record.md, "Served state").
/// Other entries state no served row.
/// </summary>
/// <param name="Kind">operation, zone, conflict, message, alert, token, party, party-key or escalation-contacts.</param>
/// <param name="Id">The object's id.</param>
/// <param name="Side">For an alert, the party whose view the entry holds; otherwise null.</param>
/// <param name="State">The exact JSON text of the object in the payload, or null when the entry does not carry it.</param>
public sealed record RecordSubject(string Kind, string Id, string? Side, string? State)
{
    public const string Operation = "operation";
    public const string Zone = "zone";
    public const string Conflict = "conflict";
    public const string Message = "message";
    public const string Alert = "alert";
    public const string Token = "token";
    public const string Party = "party";
    public const string PartyKey = "party-key";
    public const string EscalationContacts = "escalation-contacts";

    private static bool Has(JsonElement root, string property) =>
        root.TryGetProperty(property, out var o) && o.ValueKind == JsonValueKind.Object;

    /// <summary>The object and side, as a key for "the latest entry about it".</summary>
    public (string Kind, string Id, string? Side) Key => (Kind, Id, Side);

    /// <summary>The subject of an entry, or null when the entry states no served row.</summary>
    /// <exception cref="JsonException">The payload is not JSON.</exception>
    public static RecordSubject? Of(RecordEntry entry)
    {
        // The event type names of the service (EventTypes, LineEndpoints, TacticalService).
        var (kind, property) = entry.Type switch
        {
            "operation" => (Operation, "operation"),
            "zone" => (Zone, "zone"),
            "conflict" => (Conflict, "conflict"),
            "line-message" or "line-receipt" or "line-overdue" => (Message, "message"),
            "track-alert" => (Alert, "alert"),
            "party" or "admin-token" => (Token, null),
            _ => (null, null),
        };
        if (kind is null)
        {
            return null;
        }

        using var doc = JsonDocument.Parse(entry.PayloadJson);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        if (property is null)
        {
            // A party entry states a token, the party itself or its witness key, by the object it carries.
            (kind, property) = Has(root, "token") ? (Token, "token") : Has(root, "party") ? (Party, "party") : Has(root, "key") ? (PartyKey, "key")
                : Has(root, "escalation_contacts") ? (EscalationContacts, "escalation_contacts") : (null, null);
            if (kind is null)
            {
                return null;
            }
        }

        string? state = null;
        string? id = null;
        if (root.TryGetProperty(property!, out var o) && o.ValueKind == JsonValueKind.Object)
        {
            state = o.GetRawText();
            var idName = kind is PartyKey or EscalationContacts ? "party" : "id";
            id = o.TryGetProperty(idName, out var i) && i.ValueKind == JsonValueKind.String ? i.GetString() : null;
        }

        if (id is null && kind == Message && root.TryGetProperty("message_id", out var mid) && mid.ValueKind == JsonValueKind.String)
        {
            id = mid.GetString();
        }

        if (id is null)
        {
            return null;
        }

        var side = kind == Alert ? (entry.Parties.Length == 1 ? entry.Parties[0] : null) : null;
        return kind == Alert && side is null ? null : new RecordSubject(kind, id, side, state);
    }
}
