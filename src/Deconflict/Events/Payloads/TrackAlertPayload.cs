using Deconflict.Alerts;

namespace Deconflict.Events.Payloads;

/// <summary>A <c>track-alert</c> event for one side: the action and the alert as that side sees it.</summary>
public sealed record TrackAlertPayload(string Action, AlertView Alert);
