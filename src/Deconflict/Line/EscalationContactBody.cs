namespace Deconflict.Line;

public sealed record EscalationContactBody(int Level, string? Url);
