using Deconflict.Api;
using Deconflict.Core.Tactical;
using Deconflict.Service;
using Deconflict.Storage;

namespace Deconflict.Alerts;

/// <summary>
/// Alerts (API.md "Tracks and alerts"): each side sees the alerts its aircraft are in, with the
/// other aircraft only as position, altitude and velocity; the admin and observers see all. A side
/// acknowledges for itself; the acknowledgement is stored, recorded and pushed to both sides.
/// </summary>
public static class AlertEndpoints
{
    public static RouteGroupBuilder MapAlerts(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/alerts").WithTags("Alerts").RequireToken();

        group.MapGet("/", (HttpContext http, IDeconflictStore store) =>
        {
            var caller = Authentication.Of(http);
            var paging = http.Paging();
            var state = http.EnumQuery<AlertState>("state");
            if ((paging.Error ?? state.Error) is { } error)
            {
                return Problems.ToResult(error);
            }

            var page = store.ListAlerts(caller.SeesEverything ? null : caller.PartyId, state.Value, paging.Value.Limit, paging.Value.After);
            return Results.Json(new ListView<AlertView>([.. page.Items.Select(a => AlertView.For(a, caller))], HttpExtensions.EncodeCursor(page.Next)), Json.Options);
        }).WithSummary("Alerts your aircraft are in (the admin and observers: all)").WithName("listAlerts")
          .Produces<ListView<AlertView>>().WithPaging()
          .WithQuery("state", "Only those in this state.", allowed: ["active", "cleared"]);

        group.MapGet("/{id}", (string id, HttpContext http, IDeconflictStore store) =>
        {
            var caller = Authentication.Of(http);
            if (store.GetAlert(id) is not { } a || !(caller.SeesEverything || a.Concerns(caller.PartyId!)))
            {
                return Problems.ToResult(Refusal.NotFound("alert", id));
            }

            http.SetETag(a.Version);
            return Results.Json(AlertView.For(a, caller), Json.Options);
        }).WithSummary("One alert").WithName("getAlert").Produces<AlertView>().WithETag().Refuses(RefusalReason.NotFound);

        group.MapPost("/{id}/acknowledge", async (string id, HttpContext http, WriteQueue writes, AlertCommands commands) =>
        {
            var caller = Authentication.Of(http);
            if (AlertCommands.MayAcknowledge(caller) is { } forbidden)
            {
                return Problems.ToResult(forbidden);
            }

            var outcome = await writes.Submit(caller.PartyId, ctx => commands.AcknowledgeAsync(ctx, caller, id));
            if (outcome.Error is { } error)
            {
                return Problems.ToResult(error);
            }

            http.SetETag(outcome.Value!.Version);
            return Results.Json(AlertView.For(outcome.Value, caller), Json.Options);
        }).WithSummary("Acknowledge an alert for your side (again: no change)").WithName("acknowledgeAlert")
          .Produces<AlertView>().WithETag().Refuses(RefusalReason.Forbidden, RefusalReason.NotFound);

        group.MapGet("/status", (HttpContext http, TacticalService tactical) =>
        {
            var caller = Authentication.Of(http);
            if (!caller.SeesEverything)
            {
                return Problems.ToResult(Refusal.Forbidden("Traffic figures are for the admin and observers: they count every party's aircraft."));
            }

            return Results.Json(new DetectorStatusView(tactical.Tracks.Count, tactical.LastCycle), Json.Options);
        }).WithSummary("The detector's last cycle (admin and observers)").WithName("getDetectorStatus")
          .Produces<DetectorStatusView>().Refuses(RefusalReason.Forbidden);

        return group;
    }
}
