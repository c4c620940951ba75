using Deconflict.Api;
using Deconflict.Core.Line;
using Deconflict.Service;
using Deconflict.Storage;

namespace Deconflict.Line;

/// <summary>
/// The deconfliction line (API.md "Deconfliction line"): messages between parties with a receipt
/// per recipient and acknowledgement clocks. Only the sender and the recipients see a message.
/// Every step is an event (line-message, line-receipt, line-overdue) seen by the sender and the
/// recipient concerned, and so an entry of the record.
/// </summary>
public static class LineEndpoints
{
    public const int MaxSubjectLength = LineMessageDraft.MaxSubjectLength;
    public const int MaxBodyLength = LineMessageDraft.MaxBodyLength;
    public const int MaxRefs = LineMessageDraft.MaxRefs;
    public const int MaxNameLength = LineAckDraft.MaxNameLength;
    public const int MaxNoteLength = LineAckDraft.MaxNoteLength;
    public const int MaxIdempotencyKeyLength = LineMessageDraft.MaxIdempotencyKeyLength;

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
        group.MapPost("/{id}/read", async (string id, HttpContext http, WriteQueue writes, LineCommands commands) =>
        {
            var caller = Authentication.Of(http);
            return Message(await writes.Submit(caller.PartyId, ctx => commands.ReadAsync(ctx, caller, id)));
        }).WithSummary("Mark a message read (a recipient)").WithName("readMessage")
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
            return Permissions.SelfOrAdmin(Authentication.Of(http), id, "see its escalation contacts") is { } forbidden
                ? Problems.ToResult(forbidden)
                : Results.Json(new EscalationContactsBody { Contacts = [.. store.EscalationContacts(id).Select(c => new EscalationContactBody(c.Level, c.Url))] }, Json.Options);
        }).WithSummary("The party's escalation webhooks (the party itself or the admin)").WithName("getEscalationContacts")
          .Produces<EscalationContactsBody>().Refuses(RefusalReason.Forbidden);
        return group;
    }

    private static async Task<IResult> SetContacts(string id, HttpContext http, WriteQueue writes, LineCommands commands, DeconflictOptions options, WebhookTargets targets)
    {
        var caller = Authentication.Of(http);
        if (Permissions.SelfOrAdmin(caller, id, "set its escalation contacts") is { } forbidden)
        {
            return Problems.ToResult(forbidden);
        }

        var body = await http.ReadJson<EscalationContactsBody>();
        if (body.Error is { } invalid)
        {
            return Problems.ToResult(invalid);
        }

        var draft = await EscalationContactsDraft.ParseAsync(body.Value!, options, targets, http.RequestAborted);
        if (draft.Error is { } refusal)
        {
            return Problems.ToResult(refusal);
        }

        var set = await writes.Submit(caller.PartyId, ctx => commands.SetEscalationContactsAsync(ctx, caller, id, draft.Value!));
        return set.Error is { } refused ? Problems.ToResult(refused) : Results.Json(new EscalationContactsBody { Contacts = set.Value }, Json.Options);
    }

    private static async Task<IResult> Send(HttpContext http, WriteQueue writes, LineCommands commands, IDeconflictStore store, DeconflictOptions options, TimeProvider time)
    {
        var caller = Authentication.Of(http);
        if (Permissions.Writer(caller) is { } forbidden)
        {
            return Problems.ToResult(forbidden);
        }

        var key = http.Request.Headers["Idempotency-Key"].ToString();
        if (LineMessageDraft.IdempotencyKeyRefusal(key) is { } badKey)
        {
            return Problems.ToResult(badKey);
        }

        var body = await http.ReadJson<LineMessageBody>(MultilineMessage);
        if (body.Error is { } invalid)
        {
            return Problems.ToResult(invalid);
        }

        var draft = LineMessageDraft.Parse(body.Value!, caller.PartyId!, store, options, time.GetUtcNow());
        if (draft.Error is { } bad)
        {
            return Problems.ToResult(bad);
        }

        var sent = await writes.Submit(caller.PartyId, ctx => commands.SendAsync(ctx, caller, draft.Value!, key.Length > 0 ? key : null));
        if (sent.Error is { } refused)
        {
            return Problems.ToResult(refused);
        }

        if (sent.Value!.Replayed)
        {
            http.Response.Headers["Idempotent-Replayed"] = "true";
        }

        return Results.Json(LineMessageView.Of(sent.Value.Message), Json.Options, statusCode: sent.Value.Replayed ? 200 : 201);
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

    private static async Task<IResult> Get(string id, HttpContext http, IDeconflictStore store, WriteQueue writes, LineCommands commands)
    {
        var caller = Authentication.Of(http);
        var m = store.GetMessage(id);
        if (m is null || !(caller.SeesEverything || m.Concerns(caller.PartyId!)))
        {
            return Problems.ToResult(Refusal.NotFound("message", id));
        }

        if (caller.PartyId is { } party && m.Receipts.TryGetValue(party, out var r) && r.DeliveredAt is null)
        {
            return Message(await writes.Submit(caller.PartyId, ctx => commands.DeliveredAsync(ctx, caller, id)));
        }

        return Results.Json(LineMessageView.Of(m), Json.Options);
    }

    private static async Task<IResult> Acknowledge(string id, HttpContext http, WriteQueue writes, LineCommands commands)
    {
        var body = await http.ReadJson<LineAckBody>(MultilineNote);
        if (body.Error is { } invalid)
        {
            return Problems.ToResult(invalid);
        }

        var ack = LineAckDraft.Parse(body.Value!);
        if (ack.Error is { } bad)
        {
            return Problems.ToResult(bad);
        }

        var caller = Authentication.Of(http);
        return Message(await writes.Submit(caller.PartyId, ctx => commands.AcknowledgeAsync(ctx, caller, id, ack.Value!)));
    }

    /// <summary>A receipt step's outcome as the response: the message as it now stands, or the refusal.</summary>
    private static IResult Message(Outcome<LineMessage> outcome) =>
        outcome.Error is { } refused ? Problems.ToResult(refused) : Results.Json(LineMessageView.Of(outcome.Value!), Json.Options);
}
