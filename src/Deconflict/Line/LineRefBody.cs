namespace Deconflict.Line;

public sealed record LineRefBody(string? Kind, string? Id);
