using System.Text.Json;
using Deconflict.Api;
using Deconflict.Record;
using Deconflict.Service;
using Deconflict.Storage;
using Microsoft.OpenApi;

namespace Deconflict.Events;

/// <summary>
/// GET /v1/events: server-sent events of everything the caller may see, in record order. Each
/// event's id is its record index, so a client reconnecting with Last-Event-ID (or ?after=)
/// gets everything after it: events are read from the store, never from memory alone, so none is
/// lost across reconnects or restarts.
/// </summary>
public static class EventEndpoints
{
    public const string RecordHeadEvent = "record-head";
    private const int ReadBatch = 500;
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    public static RouteGroupBuilder MapEvents(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/events").WithTags("Events").RequireToken();
        group.MapGet("/", Stream).WithSummary("Server-sent events; resume with Last-Event-ID").WithName("streamEvents")
            .WithDescription("Each event's `id` is its record index; reconnecting with `Last-Event-ID` (or `?after=`) resumes right after it, with nothing lost. " +
                "Types: operation, zone, conflict, track-alert, line-message, line-receipt, line-overdue, party, record-head (without an id). A comment line every 15 s keeps the connection open.")
            .Produces<string>(StatusCodes.Status200OK, "text/event-stream")
            .WithHeader("Last-Event-ID", "The id of the last event received (a record index, or -1 for the start): the stream resumes after it. Without it the stream starts now.")
            .WithQuery("after", "The same as Last-Event-ID, for clients that cannot set headers.", JsonSchemaType.Integer)
            .Refuses(RefusalReason.InvalidParameter, RefusalReason.QuotaExceeded);
        return group;
    }

    private static async Task<IResult> Stream(HttpContext http, IDeconflictStore store, EventHub hub, RecordKey key, WriteQueue writes, AccessLimits limits, IHostApplicationLifetime lifetime, ILogger<EventHub> log)
    {
        var caller = Authentication.Of(http);
        var resume = http.Request.Headers["Last-Event-ID"].ToString();
        if (resume.Length == 0)
        {
            resume = http.Request.Query["after"].ToString();
        }

        // Without Last-Event-ID (or ?after=) the stream starts now; with it, right after that event.
        // Event ids are record indexes (from 0); the store counts sequences (index + 1), so -1
        // means "from the first event".
        var cursor = hub.LastSequence;
        if (resume.Length > 0)
        {
            if (!long.TryParse(resume, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var index) || index is < -1 or long.MaxValue)
            {
                return Problems.ToResult(new Refusal(RefusalReason.InvalidParameter, $"Last-Event-ID must be an event id (a record index, or -1 for the start); '{resume}' is not.").With("parameter", "Last-Event-ID"));
            }

            cursor = index + 1;
        }

        // A party's open streams are a quota (the admin's are not); the place is held until the stream ends.
        var place = caller.PartyId is { } streamer ? limits.OpenStream(streamer) : default;
        if (place.Error is { } full)
        {
            return Problems.ToResult(full);
        }

        using var held = place.Value;
        using var open = http.RequestServices.GetRequiredService<ServiceMetrics>().StreamOpened(caller);

        // Revoking the token aborts the request (LiveRequests), which ends the stream here.
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, lifetime.ApplicationStopping);
        var ct = cts.Token;
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = "text/event-stream; charset=utf-8";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        await http.Response.WriteAsync("retry: 2000\n\n", ct);
        await http.Response.Body.FlushAsync(ct);
        var seenHead = hub.Head.Version;

        try
        {
            while (!ct.IsCancellationRequested)
            {
                // Everything up to the head read before the query has been scanned once the query
                // returns less than a full batch, visible or not, so the cursor can move there.
                var head = hub.LastSequence;
                var events = store.ReadEvents(cursor, caller, ReadBatch);
                if (events.Count > 0)
                {
                    // One write per batch: a reader catching up on a million events wrote them one
                    // by one at a third of the speed.
                    var batch = new System.Text.StringBuilder();
                    foreach (var e in events)
                    {
                        batch.Append("id: ").Append(e.Sequence - 1).Append("\nevent: ").Append(e.Type).Append("\ndata: ").Append(e.PayloadJson).Append("\n\n");
                        cursor = e.Sequence;
                    }

                    await http.Response.WriteAsync(batch.ToString(), ct);
                    await http.Response.Body.FlushAsync(ct);

                    // A line message pushed to one of its recipients has reached it: its receipt
                    // says delivered (recorded off the stream's path, so a slow write never holds it).
                    // Not once the stream is aborted (its token revoked): what was written may not have gone out.
                    if (!ct.IsCancellationRequested && caller.PartyId is { } party && Line.Delivery.SentTo(events, party) is { Count: > 0 } delivered)
                    {
                        _ = Line.Delivery.MarkDeliveredAsync(writes, party, delivered).ContinueWith(
                            t => log.LogError(t.Exception, "Recording line deliveries failed"), CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                    }
                }

                if (events.Count == ReadBatch)
                {
                    continue;
                }

                cursor = Math.Max(cursor, head);
                var (signed, version) = hub.Head;
                if (version != seenHead && signed is not null)
                {
                    // Announced without an id: a head is not an entry of the record, and
                    // Last-Event-ID must keep naming record indexes.
                    var announce = JsonSerializer.Serialize(new
                    {
                        origin = key.Origin,
                        size = signed.Size,
                        root_hash = Convert.ToHexStringLower(signed.RootHash),
                        timestamp = signed.Time,
                        signature = Convert.ToBase64String(signed.Signature),
                    }, Json.Options);
                    await http.Response.WriteAsync($"event: {RecordHeadEvent}\ndata: {announce}\n\n", ct);
                    await http.Response.Body.FlushAsync(ct);
                    seenHead = version;
                }

                var before = hub.LastSequence;
                if (before > cursor)
                {
                    continue;
                }

                await hub.WaitAfterAsync(cursor, seenHead, KeepAlive, ct);
                if (hub.LastSequence <= cursor && hub.Head.Version == seenHead)
                {
                    await http.Response.WriteAsync(": keep-alive\n\n", ct);
                    await http.Response.Body.FlushAsync(ct);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        return Results.Empty;
    }
}
