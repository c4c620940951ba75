using Deconflict.Api;

namespace Deconflict.Events.Payloads;

/// <summary>A <c>zone</c> event: the action and the zone as everyone sees it.</summary>
public sealed record ZonePayload(string Action, DeclarationView Zone);
