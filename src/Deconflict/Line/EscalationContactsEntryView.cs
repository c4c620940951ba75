namespace Deconflict.Line;

/// <summary>
/// A party's escalation contacts as the record states them (docs/record.md, "Served state"): the
/// set as stored, each (level, url) once, ordered by level and then url (ordinal), so the entry and
/// the rows render to the same text.
/// </summary>
public sealed record EscalationContactsEntryView(string Party, IReadOnlyList<EscalationContactBody> Contacts)
{
    public static EscalationContactsEntryView Of(string party, IEnumerable<(int Level, string Url)> contacts) =>
        new(party, [.. contacts.Distinct().OrderBy(c => c.Level).ThenBy(c => c.Url, StringComparer.Ordinal).Select(c => new EscalationContactBody(c.Level, c.Url))]);
}
