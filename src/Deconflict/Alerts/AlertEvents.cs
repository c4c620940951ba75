using Deconflict.Core.Model;
using Deconflict.Core.Tactical;
using Deconflict.Events.Payloads;
using Deconflict.Record;

namespace Deconflict.Alerts;

/// <summary>The record entries of track alerts: one per side, each with that side's view.</summary>
public static class AlertEvents
{
    /// <summary>The <c>track-alert</c> event of <paramref name="party"/>'s side.</summary>
    public static DomainEvent ForSide(string action, TrackAlert alert, string party, string? actor) =>
        new(TacticalService.AlertEvent, actor, [party], RecordJsonContext.Write(new TrackAlertPayload(action, AlertView.ForEntry(alert, party)), RecordJsonContext.Default.TrackAlertPayload));
}
