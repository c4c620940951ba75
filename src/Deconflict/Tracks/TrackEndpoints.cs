using System.Globalization;
using Deconflict.Alerts;
using Deconflict.Api;
using Deconflict.Core.Feeds;
using Deconflict.Core.Geometry;
using Deconflict.Core.Tactical;
using Deconflict.Service;

namespace Deconflict.Tracks;

/// <summary>
/// Live tracks (API.md "Tracks and alerts"): a party posts batches of its own aircraft's reports;
/// they go to the in-memory track table and wake the detector. Tracks are never stored or
/// recorded (only the alerts they cause are), and never shown to another party: GET lists the
/// caller's own as the table holds them (the admin and observers: all).
/// </summary>
public static class TrackEndpoints
{
    public static RouteGroupBuilder MapTracks(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/tracks").WithTags("Tracks").RequireToken();
        group.MapPost("/", async (HttpContext http, TacticalService tactical, TrackRelay relay, DeconflictOptions options, TimeProvider time) =>
        {
            var caller = Authentication.Of(http);
            if (!caller.MayWrite)
            {
                return Problems.ToResult(Refusal.Forbidden("Only a party reports tracks: its own aircraft."));
            }

            var received = time.GetUtcNow();
            var type = http.Request.ContentType ?? string.Empty;
            Outcome<List<TrackReport>> reports;
            var skipped = 0;
            if (type.StartsWith("application/cot+xml", StringComparison.OrdinalIgnoreCase) || type.StartsWith("application/xml", StringComparison.OrdinalIgnoreCase))
            {
                var cot = await ReadCursorOnTarget(http, time.GetUtcNow(), options.Tactical);
                reports = cot.Reports;
                skipped = cot.Skipped;
            }
            else
            {
                var body = await http.ReadJson<TrackBatchBody>();
                reports = body.Error is { } e ? e : TrackDraft.Parse(body.Value!, time.GetUtcNow(), options.Tactical);
            }

            if (reports.Error is { } invalid)
            {
                return Problems.ToResult(invalid);
            }

            var accepted = tactical.Report(caller.PartyId!, reports.Value!);

            // Applied here first, then sent to the other nodes of a cluster (nothing on a single node).
            relay.Publish(caller.PartyId!, reports.Value!, received);
            return Results.Json(new TrackBatchAcceptedView(accepted, reports.Value!.Count - accepted, skipped), Json.Options, statusCode: StatusCodes.Status202Accepted);
        }).WithSummary("Report live positions of your own aircraft (JSON, or Cursor on Target XML as application/cot+xml); late and repeated reports are ignored")
          .AcceptsJson<TrackBatchBody>("application/cot+xml").WithName("reportTracks")
          .WithDescription("The body is JSON, or Cursor on Target XML events sent as application/cot+xml (one <event> or an <events> list of them); a refused batch changes nothing.")
          .Produces<TrackBatchAcceptedView>(StatusCodes.Status202Accepted).Refuses(RefusalReason.Forbidden);

        group.MapGet("/", (HttpContext http, TacticalService tactical, DeconflictOptions options, TimeProvider time) =>
        {
            var caller = Authentication.Of(http);
            var box = http.Bbox();
            if (box.Error is { } invalid)
            {
                return Problems.ToResult(invalid);
            }

            var now = time.GetUtcNow();
            var staleBefore = now - options.Tactical.StaleAfter;

            // A party sees its own aircraft only (DESIGN.md: raw tracks never reach another party).
            var held = tactical.Tracks.Held(now, caller.SeesEverything ? null : caller.PartyId ?? string.Empty);
            var items = held
                .Where(t => box.Value is not { } area || area.Intersects(new GeoBox(t.State.Lat, t.State.Lng, t.State.Lat, t.State.Lng)))
                .OrderBy(t => t.State.Party, StringComparer.Ordinal).ThenBy(t => t.State.Id, StringComparer.Ordinal)
                .Select(t => TrackView.Of(t.State, t.Callsign, staleBefore))
                .ToList();
            return Results.Json(new TrackListView(now, items), Json.Options);
        }).WithSummary("Your own live tracks as the service holds them, stale ones marked (the admin and observers: every party's)").WithName("listTracks")
          .WithDescription("Tracks are in memory only: each is the latest report accepted, until it is old enough to be forgotten. Another party's aircraft are never listed: a party learns of them only through the alerts they are in.")
          .Produces<TrackListView>()
          .WithQuery("bbox", "Only those positioned in the box: " + BoxQuery.Description).Refuses(RefusalReason.InvalidParameter);
        return group;
    }

    /// <summary>
    /// A body of Cursor on Target events: air tracks become reports, other events are skipped and
    /// counted; a malformed document or a refused air track (no velocity, unknown height) refuses
    /// the whole body, as a bad JSON batch does.
    /// </summary>
    private static async Task<(Outcome<List<TrackReport>> Reports, int Skipped)> ReadCursorOnTarget(HttpContext http, DateTimeOffset now, TacticalOptions options)
    {
        string xml;
        try
        {
            using var reader = new StreamReader(http.Request.Body, System.Text.Encoding.UTF8);
            xml = await reader.ReadToEndAsync(http.RequestAborted);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (new Refusal(RefusalReason.PayloadTooLarge, "The body is larger than the request limit."), 0);
        }

        CotParseResult parsed;
        try
        {
            parsed = CursorOnTarget.Parse(xml);
        }
        catch (FormatException e)
        {
            return (Refusal.Invalid($"The Cursor on Target body is not valid: {e.Message}"), 0);
        }

        if (parsed.Refused.Count > 0)
        {
            var first = parsed.Refused[0];
            return (Refusal.Invalid($"Event {first.Index} (uid {first.Uid ?? "none"}) is refused: {first.Reason}", string.Create(CultureInfo.InvariantCulture, $"/events/{first.Index}")), 0);
        }

        if (parsed.Reports.Count > options.MaxReportsPerBatch)
        {
            return (Refusal.Invalid($"At most {options.MaxReportsPerBatch} reports in one batch ({parsed.Reports.Count} given)."), 0);
        }

        for (var i = 0; i < parsed.Reports.Count; i++)
        {
            if (TrackDraft.Check(parsed.Reports[i], now, options, new ReportPointer("/events", i)) is { } wrong)
            {
                return (wrong, 0);
            }
        }

        return (parsed.Reports.ToList(), parsed.Skipped.Count);
    }
}
