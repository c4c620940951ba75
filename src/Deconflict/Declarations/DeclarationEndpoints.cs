using Deconflict.Api;
using Deconflict.Core.Model;
using Deconflict.Service;
using Deconflict.Storage;

namespace Deconflict.Declarations;

/// <summary>
/// Operations and zones have the same endpoints (API.md: "the same shape under /v1/zones"); this maps
/// them once for each kind. Writes go to the single writer; reads go straight to the store.
/// </summary>
public static class DeclarationEndpoints
{
    public static RouteGroupBuilder MapOperations(this IEndpointRouteBuilder app) =>
        app.MapDeclarations<OperationBody>("/v1/operations", DeclarationKind.Operation, "Operations");

    public static RouteGroupBuilder MapZones(this IEndpointRouteBuilder app) =>
        app.MapDeclarations<ZoneBody>("/v1/zones", DeclarationKind.Zone, "Zones");

    private static RouteGroupBuilder MapDeclarations<TBody>(this IEndpointRouteBuilder app, string path, DeclarationKind kind, string tag)
        where TBody : DeclarationBody
    {
        var noun = kind == DeclarationKind.Operation ? "operation" : "zone";
        var group = app.MapGroup(path).WithTags(tag).RequireToken();
        var noun1 = char.ToUpperInvariant(noun[0]) + noun[1..];
        var writtenView = kind == DeclarationKind.Operation ? typeof(OperationWrittenView) : typeof(ZoneWrittenView);
        RefusalReason[] writeRefusals = [RefusalReason.Forbidden, RefusalReason.InvalidVolume, RefusalReason.UnknownUnits, RefusalReason.LimitExceeded, RefusalReason.InvalidReference, RefusalReason.QuotaExceeded];

        group.MapPost("/", async (HttpContext http, WriteQueue writes, DeclarationCommands commands, DeconflictOptions options, TimeProvider time) =>
        {
            var input = await WriterDraft<TBody>(http, kind, options);
            if (input.Error is { } invalid)
            {
                return Problems.ToResult(invalid);
            }

            var (caller, draft) = input.Value;
            var id = DeclarationCommands.NewId(kind, time.GetUtcNow());
            var written = await writes.Submit(caller.PartyId, ctx => commands.CreateAsync(ctx, caller, draft, id));
            if (written.Error is { } refused)
            {
                return Problems.ToResult(refused);
            }

            http.SetETag(written.Value!.Declaration.Version);
            return Results.Json(Written(noun, written.Value, caller), Json.Options, statusCode: StatusCodes.Status201Created);
        }).AcceptsJson<TBody>().WithSummary($"Declare an {noun}; returns it with the conflicts it has").WithName($"create{noun1}")
          .WithDescription($"Under the `notify` policy the {noun} is stored with its conflicts; under `reject` a conflict refuses it (409 `conflict`). With `known`, every declaration it conflicts with must be listed at its current version, else 409 `missing-awareness`.")
          .Produces(StatusCodes.Status201Created, writtenView).WithETag().Refuses([.. writeRefusals, RefusalReason.MissingAwareness, RefusalReason.Conflict]);

        group.MapPost("/check", async (HttpContext http, IDeconflictStore store, DeclarationCommands commands, DeconflictOptions options, TimeProvider time) =>
        {
            var input = await WriterDraft<TBody>(http, kind, options);
            if (input.Error is { } invalid)
            {
                return Problems.ToResult(invalid);
            }

            // On the store's last committed snapshot, not the writer: a trial never takes a write's turn.
            var (caller, draft) = input.Value;
            return Results.Json(new ConflictCheckView(commands.Check(store, caller, draft, time.GetUtcNow())), Json.Options);
        }).AcceptsJson<TBody>().WithSummary($"Trial: the conflicts an {noun} would have; nothing is stored").WithName($"check{noun1}")
          .Produces<ConflictCheckView>().Refuses(writeRefusals);

        group.MapGet("/", (HttpContext http, IDeconflictStore store) =>
        {
            var caller = Authentication.Of(http);
            var query = ListQuery(http, kind);
            if (query.Error is { } invalid)
            {
                return Problems.ToResult(invalid);
            }

            var page = store.ListDeclarations(query.Value!);
            return Results.Json(new ListView<DeclarationView>([.. page.Items.Select(d => DeclarationView.Of(d, caller))], HttpExtensions.EncodeCursor(page.Next)), Json.Options);
        }).WithSummary($"List {noun}s").WithName($"list{noun1}s")
          .WithDescription($"Every party sees every {noun} (its details only its owner); filtered by place, time window, party and state, oldest first.")
          .Produces<ListView<DeclarationView>>().WithPaging()
          .WithQuery("bbox", "min_lng,min_lat,max_lng,max_lat in degrees: only those whose outline's box meets it (min_lng > max_lng crosses the antimeridian).")
          .WithQuery("start", "RFC 3339 time: only those that end after it.")
          .WithQuery("end", "RFC 3339 time: only those that start before it.")
          .WithQuery("party", "Only this party's.")
          .WithQuery("state", "Only those in this state.", allowed: ["planned", "active", "ended", "cancelled"]);

        group.MapGet("/{id}", (string id, HttpContext http, IDeconflictStore store) =>
        {
            var caller = Authentication.Of(http);
            var d = store.GetDeclaration(kind, id);
            if (d is null)
            {
                return Problems.ToResult(Refusal.NotFound(noun, id));
            }

            http.SetETag(d.Version);
            return Results.Json(DeclarationView.Of(d, caller), Json.Options);
        }).WithSummary($"One {noun}; details only for its owner; ETag is its version").WithName($"get{noun1}")
          .Produces<DeclarationView>().WithETag().Refuses(RefusalReason.NotFound);

        group.MapPut("/{id}", async (string id, HttpContext http, WriteQueue writes, DeclarationCommands commands, DeconflictOptions options) =>
        {
            var input = await WriterDraft<TBody>(http, kind, options);
            if (input.Error is { } invalid)
            {
                return Problems.ToResult(invalid);
            }

            var version = http.IfMatchVersion();
            if (version.Error is { } noVersion)
            {
                return Problems.ToResult(noVersion);
            }

            var (caller, draft) = input.Value;
            var written = await writes.Submit(caller.PartyId, ctx => commands.UpdateAsync(ctx, caller, id, version.Value, draft));
            if (written.Error is { } refused)
            {
                return Problems.ToResult(refused);
            }

            http.SetETag(written.Value!.Declaration.Version);
            return Results.Json(Written(noun, written.Value, caller), Json.Options);
        }).AcceptsJson<TBody>().WithSummary($"Replace an {noun} (If-Match: its version)").WithName($"update{noun1}")
          .Produces(StatusCodes.Status200OK, writtenView).WithETag().WithIfMatch().Refuses([.. writeRefusals, RefusalReason.NotFound, RefusalReason.MissingAwareness, RefusalReason.Conflict, RefusalReason.InvalidState]);

        group.MapDelete("/{id}", async (string id, HttpContext http, WriteQueue writes, DeclarationCommands commands) =>
        {
            var caller = Authentication.Of(http);
            if (Permissions.Writer(caller) is { } forbidden)
            {
                return Problems.ToResult(forbidden);
            }

            var version = http.IfMatchVersion();
            if (version.Error is { } noVersion)
            {
                return Problems.ToResult(noVersion);
            }

            var written = await writes.Submit(caller.PartyId, ctx => commands.CancelAsync(ctx, caller, kind, id, version.Value));
            if (written.Error is { } refused)
            {
                return Problems.ToResult(refused);
            }

            http.SetETag(written.Value!.Declaration.Version);
            return Results.Json(Written(noun, written.Value, caller), Json.Options);
        }).WithSummary($"Cancel an {noun} (If-Match: its version); it stays, as cancelled, and its conflicts resolve").WithName($"cancel{noun1}")
          .Produces(StatusCodes.Status200OK, writtenView).WithETag().WithIfMatch().Refuses(RefusalReason.Forbidden, RefusalReason.NotFound, RefusalReason.InvalidState);

        return group;
    }

    private static object Written(string noun, DeclarationWritten w, Caller caller) => noun == "operation"
        ? new OperationWrittenView(DeclarationView.Of(w.Declaration, caller), [.. w.Conflicts.Select(ConflictView.Of)])
        : new ZoneWrittenView(DeclarationView.Of(w.Declaration, caller), [.. w.Conflicts.Select(ConflictView.Of)]);

    /// <summary>What every write of an operation or zone checks first: a caller that may write, and a valid body.</summary>
    private static async Task<Outcome<(Caller Caller, DeclarationDraft Draft)>> WriterDraft<TBody>(HttpContext http, DeclarationKind kind, DeconflictOptions options)
        where TBody : DeclarationBody
    {
        var caller = Authentication.Of(http);
        if (Permissions.Writer(caller) is { } forbidden)
        {
            return forbidden;
        }

        var body = await http.ReadJson<TBody>();
        if (body.Error is { } unreadable)
        {
            return unreadable;
        }

        var draft = DeclarationDraft.Parse(kind, body.Value, options, http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow());
        return draft.Error is { } invalid ? invalid : (caller, draft.Value!);
    }

    private static Outcome<DeclarationQuery> ListQuery(HttpContext http, DeclarationKind kind)
    {
        var q = http.Request.Query;
        if (http.Limit() is { Error: { } badLimit })
        {
            return badLimit;
        }

        if (http.Cursor() is { Error: { } badCursor })
        {
            return badCursor;
        }

        if (http.EnumQuery<DeclarationState>("state") is { Error: { } badState })
        {
            return badState;
        }

        if (http.Bbox() is { Error: { } badBox })
        {
            return badBox;
        }

        DateTimeOffset? start = null, end = null;
        foreach (var name in new[] { "start", "end" })
        {
            if (q[name].ToString() is { Length: > 0 } raw)
            {
                if (!Rfc3339.TryParse(raw, out var t))
                {
                    return new Refusal(RefusalReason.InvalidParameter, $"{name} must be an RFC 3339 time with an offset, e.g. 2026-11-26T09:00:00Z.").With("parameter", name);
                }

                if (name == "start")
                {
                    start = t;
                }
                else
                {
                    end = t;
                }
            }
        }

        var party = q["party"].ToString();
        return new DeclarationQuery(kind, http.Bbox().Value, start, end, party.Length == 0 ? null : party, http.EnumQuery<DeclarationState>("state").Value, http.Limit().Value, http.Cursor().Value);
    }
}
