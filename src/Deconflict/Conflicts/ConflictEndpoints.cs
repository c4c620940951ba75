using Deconflict.Api;
using Deconflict.Core.Model;
using Deconflict.Service;
using Deconflict.Storage;

namespace Deconflict.Conflicts;

public sealed record ConflictStepBody
{
    public string? Note { get; init; }
}

/// <summary>Conflicts: each side sees its own; the admin and observers see all; only a side may acknowledge or accept.</summary>
public static class ConflictEndpoints
{
    public const int MaxNoteLength = 2000;

    /// <summary>The note may span lines (tab and newline); no other member may.</summary>
    private static readonly IReadOnlySet<string> MultilineNote = new HashSet<string>(["/note"], StringComparer.Ordinal);

    public static RouteGroupBuilder MapConflicts(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/conflicts").WithTags("Conflicts").RequireToken();

        group.MapGet("/", (HttpContext http, IDeconflictStore store) =>
        {
            var caller = Authentication.Of(http);
            var paging = http.Paging();
            var state = http.EnumQuery<ConflictState>("state");
            if ((paging.Error ?? state.Error) is { } error)
            {
                return Problems.ToResult(error);
            }

            var page = store.ListConflicts(new ConflictQuery(caller.SeesEverything ? null : caller.PartyId, state.Value, paging.Value.Limit, paging.Value.After));
            return Results.Json(new ListView<ConflictView>([.. page.Items.Select(ConflictView.Of)], HttpExtensions.EncodeCursor(page.Next)), Json.Options);
        }).WithSummary("Conflicts the caller is a side of (the admin and observers: all)").WithName("listConflicts")
          .Produces<ListView<ConflictView>>().WithPaging()
          .WithQuery("state", "Only those in this state.", allowed: ["open", "acknowledged", "resolved", "accepted"]);

        group.MapGet("/{id}", (string id, HttpContext http, IDeconflictStore store) =>
        {
            var caller = Authentication.Of(http);
            var c = store.GetConflict(id);
            if (c is null || !(caller.SeesEverything || c.Concerns(caller.PartyId!)))
            {
                return Problems.ToResult(Refusal.NotFound("conflict", id));
            }

            http.SetETag(c.Version);
            return Results.Json(ConflictView.Of(c), Json.Options);
        }).WithSummary("One conflict").WithName("getConflict").Produces<ConflictView>().WithETag().Refuses(RefusalReason.NotFound);

        group.MapPost("/{id}/acknowledge", (string id, HttpContext http, WriteQueue writes, ConflictCommands commands) =>
            Step(id, http, writes, commands.AcknowledgeAsync))
            .AcceptsJson<ConflictStepBody>().BodyMayBeOmitted().WithSummary("Acknowledge a conflict for the caller's side").WithName("acknowledgeConflict")
            .Produces<ConflictView>().WithETag().Refuses(RefusalReason.Forbidden, RefusalReason.NotFound, RefusalReason.InvalidState);

        group.MapPost("/{id}/accept", (string id, HttpContext http, WriteQueue writes, ConflictCommands commands) =>
            Step(id, http, writes, commands.AcceptAsync))
            .AcceptsJson<ConflictStepBody>().BodyMayBeOmitted().WithSummary("Accept a conflict (both sides accepting makes it accepted)").WithName("acceptConflict")
            .Produces<ConflictView>().WithETag().Refuses(RefusalReason.Forbidden, RefusalReason.NotFound, RefusalReason.InvalidState);

        return group;
    }

    /// <summary>Reads the optional note, then runs the side's step on the writer.</summary>
    private static async Task<IResult> Step(
        string id,
        HttpContext http,
        WriteQueue writes,
        Func<WriteContext, Caller, string, string?, ValueTask<Outcome<Conflict>>> step)
    {
        var caller = Authentication.Of(http);
        string? note = null;
        if (http.Request.ContentLength is > 0 || http.Request.ContentType is not null)
        {
            var body = await http.ReadJson<ConflictStepBody>(MultilineNote);
            if (body.Error is { } invalid)
            {
                return Problems.ToResult(invalid);
            }

            note = body.Value!.Note;
            if (note is { Length: > MaxNoteLength })
            {
                return Problems.ToResult(Refusal.Invalid($"note may be at most {MaxNoteLength} characters.", "/note"));
            }
        }

        var result = await writes.Submit(caller.PartyId, ctx => step(ctx, caller, id, note));
        if (result.Error is { } refused)
        {
            return Problems.ToResult(refused);
        }

        http.SetETag(result.Value!.Version);
        return Results.Json(ConflictView.Of(result.Value), Json.Options);
    }
}
