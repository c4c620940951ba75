namespace Deconflict.Events.Payloads;

/// <summary>A <c>record-reveal</c> event: the entry revealed and the party that revealed it (none for the admin).</summary>
public sealed record RevealPayload(long Index, string? RevealedBy);
