using Deconflict.Api;

namespace Deconflict.Events.Payloads;

/// <summary>A <c>conflict</c> event: the action, the party whose step it was (none for the service's), a note, and the conflict.</summary>
public sealed record ConflictPayload(string Action, string? By, string? Note, ConflictView Conflict);
