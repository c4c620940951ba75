namespace Deconflict.Line;

public sealed record EscalationContactsBody
{
    public IReadOnlyList<EscalationContactBody>? Contacts { get; init; }
}
