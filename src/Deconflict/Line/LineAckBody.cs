namespace Deconflict.Line;

public sealed record LineAckBody(string? By, string? Note);
