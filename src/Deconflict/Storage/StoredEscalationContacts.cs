namespace Deconflict.Storage;

/// <summary>A party's escalation contacts as their rows hold them (possibly none, for a party whose set was emptied).</summary>
public sealed record StoredEscalationContacts(string Party, IReadOnlyList<(int Level, string Url)> Contacts);
