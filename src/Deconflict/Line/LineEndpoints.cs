using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;
using Deconflict.Api;
using Deconflict.Core.Line;
using Deconflict.Core.Model;
using Deconflict.Service;
using Deconflict.Storage;

namespace Deconflict.Line;

public sealed record LineRefBody(string? Kind, string? Id);

public sealed record LinePlaceBody(double? Lat, double? Lng, DateTimeOffset? Time);

public sealed record LineMessageBody
{
    public IReadOnlyList<string>? To { get; init; }

    public string? Kind { get; init; }

    public string? Subject { get; init; }

    public string? Body { get; init; }

    public string? Language { get; init; }

    public bool? RequiresAck { get; init; }

    public double? AckWithinS { get; init; }

    public IReadOnlyList<LineRefBody>? Refs { get; init; }

    public LinePlaceBody? Place { get; init; }
}

public sealed record LineAckBody(string? By, string? Note);

public sealed record EscalationContactBody(int Level, string? Url);

public sealed record EscalationContactsBody
{
    public IReadOnlyList<EscalationContactBody>? Contacts { get; init; }
}

public sealed record ReceiptView(DateTimeOffset? DeliveredAt, DateTimeOffset? ReadAt, DateTimeOffset? AcknowledgedAt, string? AcknowledgedBy, string? Note, int EscalationLevel, DateTimeOffset? DueAt);

public sealed record LineMessageView(
    string Id, long Version, string From, IReadOnlyList<string> To, string Kind, string Subject, string Body, string Language,
    IReadOnlyList<LineRef> Refs, LinePlace? Place, DateTimeOffset SentAt, bool RequiresAck, DateTimeOffset? AckDueAt,
    IReadOnlyDictionary<string, ReceiptView> Receipts)
{
    /// <summary>The conflict this message is the automatic notice of.</summary>
    public string? NoticeFor { get; init; }

    /// <summary>The record index of the entry that made this version (docs/record.md, "Served state"); absent inside an entry's own payload.</summary>
    public long? RecordIndex { get; init; }

    /// <summary>The message as the payload of its line-message, line-receipt and line-overdue entries gives it (no record index).</summary>
    public static LineMessageView ForEntry(LineMessage m) => Of(m) with { RecordIndex = null };

    public static LineMessageView Of(LineMessage m) => new(
        m.Id, m.Version, m.From, m.To, Json.Name(m.Kind), m.Subject, m.Body, m.Language, m.Refs, m.Place, m.SentAt, m.RequiresAck, m.AckDueAt,
        m.Receipts.ToDictionary(kv => kv.Key, kv => new ReceiptView(kv.Value.DeliveredAt, kv.Value.ReadAt, kv.Value.AcknowledgedAt, kv.Value.AcknowledgedBy, kv.Value.Note, kv.Value.EscalationLevel, kv.Value.DueAt), StringComparer.Ordinal))
    {
        NoticeFor = m.NoticeFor,
        RecordIndex = m.RecordIndex,
    };
}

/// <summary>
/// The deconfliction line (API.md "Deconfliction line"): messages between parties with a receipt
/// per recipient and acknowledgement clocks. Only the sender and the recipients see a message.
/// Every step is an event (line-message, line-receipt, line-overdue) seen by the sender and the
/// recipient concerned, and so an entry of the record.
/// </summary>
public static partial class LineEndpoints
{
    public const int MaxSubjectLength = 200;
    public const int MaxBodyLength = 8000;
    public const int MaxRefs = 20;
    public const int MaxNameLength = 100;
    public const int MaxNoteLength = 2000;
    public const int MaxIdempotencyKeyLength = 200;

    /// <summary>The members of a message, and of an acknowledgement, that may hold tab and newline.</summary>
    private static readonly IReadOnlySet<string> MultilineMessage = new HashSet<string>(["/body"], StringComparer.Ordinal);
    private static readonly IReadOnlySet<string> MultilineNote = new HashSet<string>(["/note"], StringComparer.Ordinal);

    public static RouteGroupBuilder MapLine(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/line/messages").WithTags("Line").RequireToken();
        group.MapPost("/", Send).AcceptsJson<LineMessageBody>()
            .WithSummary("Send a message to parties (or [\"all\"]); Idempotency-Key makes a retry create one message").WithName("sendMessage")
            .Produces<LineMessageView>(StatusCodes.Status201Created)
            .Produces<LineMessageView>(StatusCodes.Status200OK)
            .WithResponseHeader(StatusCodes.Status200OK, "Idempotent-Replayed", "true: this is the message first sent with this Idempotency-Key; nothing new was sent.")
            .WithDescription("201 with the new message; 200 (and `Idempotent-Replayed: true`) when a message with the same Idempotency-Key was sent already: that message, nothing new.")
            .WithHeader("Idempotency-Key", $"A key of at most {MaxIdempotencyKeyLength} characters, unique per sender: a retry with it returns the message first sent, never a second one.")
            .Refuses(RefusalReason.Forbidden);
        group.MapGet("/", List).WithSummary("Your messages, oldest first").WithName("listMessages")
            .Produces<ListView<LineMessageView>>().WithPaging()
            .WithQuery("box", "inbox (received, the default) or sent.", allowed: ["inbox", "sent"])
            .WithQuery("state", "pending (an acknowledgement is still due) or acknowledged.", allowed: ["pending", "acknowledged"]);
        group.MapGet("/{id}", Get).WithSummary("One message (its sender or a recipient); a recipient's first read of it marks it delivered").WithName("getMessage")
            .Produces<LineMessageView>().Refuses(RefusalReason.NotFound);
        group.MapPost("/{id}/read", (string id, HttpContext http, WriteQueue writes, DeconflictOptions options) =>
            Step(id, http, writes, "read", (m, party, now) => LineClock.Read(m, party, now)))
            .WithSummary("Mark a message read (a recipient)").WithName("readMessage")
            .Produces<LineMessageView>().Refuses(RefusalReason.Forbidden, RefusalReason.NotFound);
        group.MapPost("/{id}/acknowledge", Acknowledge).AcceptsJson<LineAckBody>()
            .WithSummary("Acknowledge a message (a recipient), naming the officer: its clock stops").WithName("acknowledgeMessage")
            .Produces<LineMessageView>().Refuses(RefusalReason.Forbidden, RefusalReason.NotFound);

        var parties = app.MapGroup("/v1/parties").WithTags("Line").RequireToken();
        parties.MapPut("/{id}/escalation", SetContacts).AcceptsJson<EscalationContactsBody>()
            .WithSummary("Set the party's escalation webhooks per level (the party itself or the admin)").WithName("setEscalationContacts")
            .Produces<EscalationContactsBody>().Refuses(RefusalReason.Forbidden, RefusalReason.NotFound, RefusalReason.LimitExceeded, RefusalReason.InvalidWebhook);
        parties.MapGet("/{id}/escalation", (string id, HttpContext http, IDeconflictStore store) =>
        {
            return HttpExtensions.RequireSelfOrAdmin(Authentication.Of(http), id, "see its escalation contacts") is { } forbidden
                ? Problems.ToResult(forbidden)
                : Results.Json(new EscalationContactsBody { Contacts = [.. store.EscalationContacts(id).Select(c => new EscalationContactBody(c.Level, c.Url))] }, Json.Options);
        }).WithSummary("The party's escalation webhooks (the party itself or the admin)").WithName("getEscalationContacts")
          .Produces<EscalationContactsBody>().Refuses(RefusalReason.Forbidden);
        return group;
    }

    private static async Task<IResult> SetContacts(string id, HttpContext http, WriteQueue writes, DeconflictOptions options, WebhookTargets targets)
    {
        var caller = Authentication.Of(http);
        if (HttpExtensions.RequireSelfOrAdmin(caller, id, "set its escalation contacts") is { } forbidden)
        {
            return Problems.ToResult(forbidden);
        }

        var body = await http.ReadJson<EscalationContactsBody>();
        if (body.Error is { } invalid)
        {
            return Problems.ToResult(invalid);
        }

        var contacts = body.Value!.Contacts ?? [];
        if (ContactsRefusal(contacts, options) is { } refusal)
        {
            return Problems.ToResult(refusal);
        }

        // Only now, with the number of contacts bounded, is any host name resolved.
        for (var i = 0; i < contacts.Count; i++)
        {
            var c = contacts[i];
            if (await targets.CheckAsync(c.Url, $"/contacts/{i}/url", http.RequestAborted) is { } notAllowed)
            {
                return Problems.ToResult(notAllowed);
            }
        }

        var result = await writes.Submit<bool>(caller.PartyId, ctx =>
        {
            if (ctx.Store.GetParty(id) is null)
            {
                return Refusal.NotFound("party", id);
            }

            ctx.Store.SetEscalationContacts(id, [.. contacts.Select(c => (c.Level, c.Url!))]);
            ctx.Emit(LineEvents.EscalationContactsSet(caller.PartyId, id, contacts));
            return true;
        });
        return result.Error is { } refused ? Problems.ToResult(refused) : Results.Json(new EscalationContactsBody { Contacts = contacts }, Json.Options);
    }

    /// <summary>
    /// The checks on escalation contacts that need no network, made before any host name is
    /// resolved: each contact's shape, level and URL length, then the counts
    /// (<see cref="WebhookOptions.MaxContacts"/>, <see cref="WebhookOptions.MaxContactsPerLevel"/>),
    /// so a body of thousands of contacts costs no DNS lookup.
    /// </summary>
    private static Refusal? ContactsRefusal(IReadOnlyList<EscalationContactBody> contacts, DeconflictOptions options)
    {
        var limits = options.Webhooks;
        if (contacts.Count > limits.MaxContacts)
        {
            return new Refusal(RefusalReason.LimitExceeded, $"At most {limits.MaxContacts} escalation contacts are allowed; {contacts.Count} were given.")
                .With("pointer", "/contacts").With("limit", limits.MaxContacts);
        }

        var perLevel = new Dictionary<int, int>();
        for (var i = 0; i < contacts.Count; i++)
        {
            var c = contacts[i];
            if (c is null)
            {
                return Refusal.Invalid("A contact is an object with a level and a url, not null.", $"/contacts/{i}");
            }

            if (c.Level < 1 || c.Level > options.Line.MaxEscalationLevel)
            {
                return Refusal.Invalid($"level must be 1 to {options.Line.MaxEscalationLevel} (the agreed highest level).", $"/contacts/{i}/level");
            }

            if (c.Url is { } url && url.Length > limits.MaxUrlLength)
            {
                return new Refusal(RefusalReason.LimitExceeded, $"url is {url.Length} characters long; at most {limits.MaxUrlLength} are allowed.")
                    .With("pointer", $"/contacts/{i}/url").With("limit", limits.MaxUrlLength);
            }

            perLevel[c.Level] = perLevel.GetValueOrDefault(c.Level) + 1;
            if (perLevel[c.Level] > limits.MaxContactsPerLevel)
            {
                return new Refusal(RefusalReason.LimitExceeded, $"At most {limits.MaxContactsPerLevel} escalation contacts per level are allowed; level {c.Level} has more.")
                    .With("pointer", "/contacts").With("limit", limits.MaxContactsPerLevel);
            }
        }

        return null;
    }

    private static async Task<IResult> Send(HttpContext http, WriteQueue writes, IDeconflictStore store, DeconflictOptions options, TimeProvider time)
    {
        var caller = Authentication.Of(http);
        if (HttpExtensions.RequireWriter(caller) is { } forbidden)
        {
            return Problems.ToResult(forbidden);
        }

        var key = http.Request.Headers["Idempotency-Key"].ToString();
        if (key.Length > MaxIdempotencyKeyLength)
        {
            return Problems.ToResult(Refusal.Invalid($"Idempotency-Key may be at most {MaxIdempotencyKeyLength} characters."));
        }

        if (ControlText.IndexOfUnsafe(key) >= 0)
        {
            return Problems.ToResult(new Refusal(RefusalReason.ControlCharacter, "Idempotency-Key may not hold a control character.").With("parameter", "Idempotency-Key"));
        }

        var body = await http.ReadJson<LineMessageBody>(MultilineMessage);
        if (body.Error is { } invalid)
        {
            return Problems.ToResult(invalid);
        }

        var draft = Validate(body.Value!, caller.PartyId!, store, options, time.GetUtcNow());
        if (draft.Error is { } bad)
        {
            return Problems.ToResult(bad);
        }

        var d = draft.Value!;
        var replayed = false;
        var result = await writes.Submit<LineMessage>(caller.PartyId, ctx =>
        {
            if (key.Length > 0 && ctx.Store.FindMessage(caller.PartyId!, key) is { } existing)
            {
                replayed = true;
                return existing;
            }

            var message = LineClock.Send(
                "msg-" + Guid.CreateVersion7(ctx.Now).ToString("N"), caller.PartyId!, d.To, d.Kind, d.Subject, d.Body, d.Language, d.Refs, d.Place, ctx.Now,
                d.AckWithin);
            ctx.Store.InsertMessage(message, key.Length > 0 ? key : null);
            var made = ctx.Emit(LineEvents.Sent(message));
            return message with { RecordIndex = made.Sequence - 1 };
        });

        if (result.Error is { } refused)
        {
            return Problems.ToResult(refused);
        }

        if (replayed)
        {
            http.Response.Headers["Idempotent-Replayed"] = "true";
        }

        return Results.Json(LineMessageView.Of(result.Value!), Json.Options, statusCode: replayed ? 200 : 201);
    }

    private sealed record Draft(ImmutableArray<string> To, MessageKind Kind, string Subject, string Body, string Language, ImmutableArray<LineRef> Refs, LinePlace? Place, TimeSpan? AckWithin);

    private static Outcome<Draft> Validate(LineMessageBody b, string sender, IDeconflictStore store, DeconflictOptions options, DateTimeOffset now)
    {
        if (b.To is not { Count: > 0 })
        {
            return Refusal.Invalid("to must list at least one party, or [\"all\"].", "/to");
        }

        ImmutableArray<string> to;
        var parties = store.ListParties().Where(p => p.Role == PartyRole.Party).ToDictionary(p => p.Id, StringComparer.Ordinal);
        if (b.To.Count == 1 && b.To[0] == "all")
        {
            to = [.. parties.Keys.Where(p => p != sender).Order(StringComparer.Ordinal)];
            if (to.IsEmpty)
            {
                return Refusal.Invalid("There is no other party to send to.", "/to");
            }
        }
        else
        {
            for (var i = 0; i < b.To.Count; i++)
            {
                var recipient = b.To[i];
                if (recipient == sender)
                {
                    return Refusal.Invalid("A party does not send line messages to itself.", $"/to/{i}");
                }

                if (recipient is null || !parties.ContainsKey(recipient))
                {
                    return Refusal.Invalid($"There is no party '{recipient}' to send to.", $"/to/{i}");
                }
            }

            to = [.. b.To.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        }

        var kind = MessageKind.FreeText;
        if (b.Kind is { } k && !Json.TryParseName(k, out kind))
        {
            return Refusal.Invalid($"kind must be free-text, operation-notice, deconflict-request or unsafe-conduct, not '{k}'.", "/kind");
        }

        if (string.IsNullOrWhiteSpace(b.Subject) || b.Subject.Length > MaxSubjectLength)
        {
            return Refusal.Invalid($"subject is required, at most {MaxSubjectLength} characters.", "/subject");
        }

        if (b.Body is null || b.Body.Length > MaxBodyLength)
        {
            return new Refusal(b.Body is null ? RefusalReason.InvalidRequest : RefusalReason.PayloadTooLarge, $"body is required, plain text of at most {MaxBodyLength} characters.").With("pointer", "/body");
        }

        var language = b.Language ?? "en";
        if (!LanguageTag().IsMatch(language))
        {
            return Refusal.Invalid($"language must be a language tag such as 'en' or 'ru', not '{language}'.", "/language");
        }

        TimeSpan? ackWithin = null;
        if (b.RequiresAck == true || (b.RequiresAck is null && b.AckWithinS is not null))
        {
            var seconds = b.AckWithinS ?? options.Line.AckWithinS;
            if (!double.IsFinite(seconds) || seconds < options.Line.MinAckWithinS || seconds > options.Line.MaxAckWithinS)
            {
                return Refusal.Invalid(string.Create(CultureInfo.InvariantCulture,
                    $"ack_within_s must be between {options.Line.MinAckWithinS} and {options.Line.MaxAckWithinS} seconds (the agreed bounds), not {seconds}."), "/ack_within_s");
            }

            ackWithin = TimeSpan.FromSeconds(seconds);
        }

        var refs = ImmutableArray.CreateBuilder<LineRef>();
        var given = b.Refs ?? [];
        if (given.Count > MaxRefs)
        {
            return Refusal.Invalid($"At most {MaxRefs} refs.", "/refs");
        }

        for (var i = 0; i < given.Count; i++)
        {
            var r = given[i];
            if (r?.Id is null || r.Kind is null)
            {
                return Refusal.Invalid("A ref needs a kind and an id.", $"/refs/{i}");
            }

            var visible = r.Kind switch
            {
                "operation" => store.GetDeclaration(DeclarationKind.Operation, r.Id) is not null,
                "zone" => store.GetDeclaration(DeclarationKind.Zone, r.Id) is not null,
                "conflict" => store.GetConflict(r.Id) is { } c && c.Concerns(sender),
                "alert" => store.GetAlert(r.Id) is { } a && a.Concerns(sender),
                _ => (bool?)null,
            };
            if (visible is null)
            {
                return Refusal.Invalid($"A ref's kind is operation, zone, conflict or alert, not '{r.Kind}'.", $"/refs/{i}/kind");
            }

            if (visible == false)
            {
                return new Refusal(RefusalReason.InvalidReference, $"There is no {r.Kind} '{r.Id}' that you may see.").With("pointer", $"/refs/{i}");
            }

            refs.Add(new LineRef(r.Kind, r.Id));
        }

        LinePlace? place = null;
        if (b.Place is { } p)
        {
            if (p.Lat is not (>= -90 and <= 90) || p.Lng is not (>= -180 and <= 180) || p.Time is null)
            {
                return Refusal.Invalid("place needs lat (-90 to 90), lng (-180 to 180) and an RFC 3339 time.", "/place");
            }

            if (options.Times.Check(p.Time.Value, now, "/place/time") is { } outside)
            {
                return outside;
            }

            place = new LinePlace(p.Lat.Value, p.Lng.Value, p.Time.Value);
        }

        string? missing = kind switch
        {
            MessageKind.OperationNotice when !refs.Any(r => r.Kind == "operation") => "A notice of operation must reference an operation.",
            MessageKind.DeconflictRequest when !refs.Any(r => r.Kind == "conflict") => "A request to deconflict must reference a conflict.",
            MessageKind.UnsafeConduct when place is null && !refs.Any(r => r.Kind == "alert") => "A report of unsafe conduct must reference an alert or give a place (lat, lng, time).",
            _ => null,
        };
        if (missing is not null)
        {
            return Refusal.Invalid(missing, "/refs");
        }

        return new Draft(to, kind, b.Subject, b.Body, language, refs.ToImmutable(), place, ackWithin);
    }

    private static IResult List(HttpContext http, IDeconflictStore store)
    {
        var caller = Authentication.Of(http);
        var paging = http.Paging();
        if (paging.Error is { } badPaging)
        {
            return Problems.ToResult(badPaging);
        }

        var box = http.Request.Query["box"].ToString();
        if (box is not ("" or "inbox" or "sent"))
        {
            return Problems.ToResult(new Refusal(RefusalReason.InvalidParameter, $"box must be inbox or sent, not '{box}'.").With("parameter", "box"));
        }

        var state = http.Request.Query["state"].ToString();
        if (state is not ("" or "pending" or "acknowledged"))
        {
            return Problems.ToResult(new Refusal(RefusalReason.InvalidParameter, $"state must be pending or acknowledged, not '{state}'.").With("parameter", "state"));
        }

        var page = store.ListMessages(caller.SeesEverything ? null : caller.PartyId, box != "sent", paging.Value.Limit, paging.Value.After);
        var items = page.Items
            .Where(m => state.Length == 0 || (state == "pending") == m.Receipts.Values.Any(r => m.RequiresAck && r.AcknowledgedAt is null))
            .Select(LineMessageView.Of)
            .ToList();
        return Results.Json(new ListView<LineMessageView>(items, HttpExtensions.EncodeCursor(page.Next)), Json.Options);
    }

    private static async Task<IResult> Get(string id, HttpContext http, IDeconflictStore store, WriteQueue writes)
    {
        var caller = Authentication.Of(http);
        var m = store.GetMessage(id);
        if (m is null || !(caller.SeesEverything || m.Concerns(caller.PartyId!)))
        {
            return Problems.ToResult(Refusal.NotFound("message", id));
        }

        if (caller.PartyId is { } party && m.Receipts.TryGetValue(party, out var r) && r.DeliveredAt is null)
        {
            return await Step(id, http, writes, "delivered", (msg, p, now) => LineClock.Delivered(msg, p, now));
        }

        return Results.Json(LineMessageView.Of(m), Json.Options);
    }

    private static async Task<IResult> Acknowledge(string id, HttpContext http, WriteQueue writes)
    {
        var body = await http.ReadJson<LineAckBody>(MultilineNote);
        if (body.Error is { } invalid)
        {
            return Problems.ToResult(invalid);
        }

        var (by, note) = (body.Value!.By, body.Value.Note);
        if (string.IsNullOrWhiteSpace(by) || by.Length > MaxNameLength)
        {
            return Problems.ToResult(Refusal.Invalid($"by must name the officer who acknowledges, at most {MaxNameLength} characters.", "/by"));
        }

        if (note is { Length: > MaxNoteLength })
        {
            return Problems.ToResult(Refusal.Invalid($"note may be at most {MaxNoteLength} characters.", "/note"));
        }

        return await Step(id, http, writes, "acknowledged", (m, party, now) => LineClock.Acknowledge(m, party, by.Trim(), note, now), (ctx, caller, next, party) =>
            LineNotices.ConflictAcknowledgedByNotice(ctx, caller, next, party, by.Trim()));
    }

    /// <summary>A recipient's receipt step: recorded (with a line-receipt event to the sender and the recipient) when it changes anything.</summary>
    private static async Task<IResult> Step(
        string id,
        HttpContext http,
        WriteQueue writes,
        string action,
        Func<LineMessage, string, DateTimeOffset, LineMessage> step,
        Action<WriteContext, Caller, LineMessage, string>? then = null)
    {
        var caller = Authentication.Of(http);
        var result = await writes.Submit<LineMessage>(caller.PartyId, ctx =>
        {
            var m = ctx.Store.GetMessage(id);
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
                ctx.Store.UpdateMessage(next);
                var made = ctx.Emit(LineEvents.Receipt(action, next, party));
                next = next with { RecordIndex = made.Sequence - 1 };
                then?.Invoke(ctx, caller, next, party);
            }

            return next;
        });

        return result.Error is { } refused ? Problems.ToResult(refused) : Results.Json(LineMessageView.Of(result.Value!), Json.Options);
    }

    [GeneratedRegex("^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]
    private static partial Regex LanguageTag();
}
