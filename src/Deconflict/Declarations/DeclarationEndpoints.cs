using System.Globalization;
using Deconflict.Api;
using Deconflict.Core.Geometry;
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
        var group = app.MapGroup(path).WithTags(tag).AddEndpointFilter<Authentication.Filter>();

        group.MapPost("/", async (HttpContext http, WriteQueue writes, DeclarationCommands commands, DeconflictOptions options, TimeProvider time) =>
        {
            var input = await WriterDraft<TBody>(http, kind, options);
            if (input.Error is { } invalid)
            {
                return Problems.ToResult(invalid);
            }

            var (caller, draft) = input.Value;
            var id = DeclarationCommands.NewId(kind, time.GetUtcNow());
            var written = await writes.Submit(caller.PartyId, ctx => commands.Create(ctx, caller, draft, id));
            if (written.Error is { } refused)
            {
                return Problems.ToResult(refused);
            }

            http.SetETag(written.Value!.Declaration.Version);
            return Results.Json(Written(noun, written.Value, caller), Json.Options, statusCode: StatusCodes.Status201Created);
        }).Accepts<TBody>("application/json").WithSummary($"Declare an {noun}; returns it with the conflicts it has");

        group.MapPost("/check", async (HttpContext http, IDeconflictStore store, DeclarationCommands commands, DeconflictOptions options, TimeProvider time) =>
        {
            var input = await WriterDraft<TBody>(http, kind, options);
            if (input.Error is { } invalid)
            {
                return Problems.ToResult(invalid);
            }

            // On the store's last committed snapshot, not the writer: a trial never takes a write's turn.
            var (caller, draft) = input.Value;
            return Results.Json(new { conflicts = commands.Check(store, caller, draft, time.GetUtcNow()) }, Json.Options);
        }).Accepts<TBody>("application/json").WithSummary($"Trial: the conflicts an {noun} would have; nothing is stored");

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
        }).WithSummary($"List {noun}s: ?bbox=min_lng,min_lat,max_lng,max_lat&start=&end=&party=&state=&limit=&cursor=");

        group.MapGet("/{id}", (string id, HttpContext http, IDeconflictStore store) =>
        {
            var caller = Authentication.Of(http);
            var d = store.GetDeclaration(kind, id);
            if (d is null)
            {
                return Problems.ToResult(Problems.NotFoundError(noun, id));
            }

            http.SetETag(d.Version);
            return Results.Json(DeclarationView.Of(d, caller), Json.Options);
        }).WithSummary($"One {noun}; details only for its owner; ETag is its version");

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
            var written = await writes.Submit(caller.PartyId, ctx => commands.Update(ctx, caller, id, version.Value, draft));
            if (written.Error is { } refused)
            {
                return Problems.ToResult(refused);
            }

            http.SetETag(written.Value!.Declaration.Version);
            return Results.Json(Written(noun, written.Value, caller), Json.Options);
        }).Accepts<TBody>("application/json").WithSummary($"Replace an {noun} (If-Match: its version)");

        group.MapDelete("/{id}", async (string id, HttpContext http, WriteQueue writes, DeclarationCommands commands) =>
        {
            var caller = Authentication.Of(http);
            if (HttpExtensions.RequireWriter(caller) is { } forbidden)
            {
                return Problems.ToResult(forbidden);
            }

            var version = http.IfMatchVersion();
            if (version.Error is { } noVersion)
            {
                return Problems.ToResult(noVersion);
            }

            var written = await writes.Submit(caller.PartyId, ctx => commands.Cancel(ctx, caller, kind, id, version.Value));
            if (written.Error is { } refused)
            {
                return Problems.ToResult(refused);
            }

            http.SetETag(written.Value!.Declaration.Version);
            return Results.Json(Written(noun, written.Value, caller), Json.Options);
        }).WithSummary($"Cancel an {noun} (If-Match: its version); it stays, as cancelled, and its conflicts resolve");

        return group;
    }

    private static Dictionary<string, object> Written(string noun, DeclarationWritten w, Caller caller) => new()
    {
        [noun] = DeclarationView.Of(w.Declaration, caller),
        ["conflicts"] = w.Conflicts.Select(ConflictView.Of).ToArray(),
    };

    /// <summary>What every write of an operation or zone checks first: a caller that may write, and a valid body.</summary>
    private static async Task<Outcome<(Caller Caller, DeclarationDraft Draft)>> WriterDraft<TBody>(HttpContext http, DeclarationKind kind, DeconflictOptions options)
        where TBody : DeclarationBody
    {
        var caller = Authentication.Of(http);
        if (HttpExtensions.RequireWriter(caller) is { } forbidden)
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

        GeoBox? area = null;
        if (q["bbox"].ToString() is { Length: > 0 } bbox)
        {
            var parts = bbox.Split(',');
            var numbers = new double[4];
            if (parts.Length != 4 || !parts.Select((p, i) => double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out numbers[i])).All(ok => ok)
                || numbers.Any(n => !double.IsFinite(n))
                || numbers[0] is < -180 or > 180 || numbers[2] is < -180 or > 180
                || numbers[1] is < -90 or > 90 || numbers[3] is < -90 or > 90 || numbers[1] > numbers[3])
            {
                return new ApiError(Problems.InvalidParameter, "bbox must be min_lng,min_lat,max_lng,max_lat in degrees (min_lng > max_lng crosses the antimeridian).").With("parameter", "bbox");
            }

            area = new GeoBox(numbers[1], numbers[0], numbers[3], numbers[2]);
        }

        DateTimeOffset? start = null, end = null;
        foreach (var name in new[] { "start", "end" })
        {
            if (q[name].ToString() is { Length: > 0 } raw)
            {
                if (!Rfc3339.TryParse(raw, out var t))
                {
                    return new ApiError(Problems.InvalidParameter, $"{name} must be an RFC 3339 time with an offset, e.g. 2026-11-26T09:00:00Z.").With("parameter", name);
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
        return new DeclarationQuery(kind, area, start, end, party.Length == 0 ? null : party, http.EnumQuery<DeclarationState>("state").Value, http.Limit().Value, http.Cursor().Value);
    }
}
