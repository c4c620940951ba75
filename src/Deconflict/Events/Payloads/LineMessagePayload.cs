using Deconflict.Line;

namespace Deconflict.Events.Payloads;

/// <summary>A <c>line-message</c> event: <c>sent</c>, with the message as it was sent.</summary>
public sealed record LineMessagePayload(string Action, LineMessageView Message);
