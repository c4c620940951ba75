namespace Deconflict.Line;

public sealed record LineMessageBody
{
    public IReadOnlyList<string>? To { get; init; }

    public string? Kind { get; init; }

    public string? Subject { get; init; }

    public string? Body { get; init; }

    public string? Language { get; init; }

    public bool? RequiresAck { get; init; }

    public double? AckWithinS { get; init; }

    public IReadOnlyList<LineRefBody>? Refs { get; init; }

    public LinePlaceBody? Place { get; init; }
}
