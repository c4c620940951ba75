namespace Deconflict.Storage;

/// <summary>The few statements of the record check (<see cref="CheckReads"/>) that each store says its own way.</summary>
/// <param name="TokenOrder">The ORDER BY of tokens (alias t) in the order they were issued.</param>
/// <param name="RecipientMismatches">
/// Inbox rows whose message does not name the party among its recipients (or that name no
/// message), then recipients with no inbox row: message id, record index, party.
/// </param>
internal sealed record CheckSql(string TokenOrder, string RecipientMismatches)
{
    public static readonly CheckSql Sqlite = new(
        "t.rowid",
        "SELECT m.id, m.record_index, r.party FROM line_recipients r LEFT JOIN line_messages m ON m.seq = r.message_seq " +
        "WHERE m.seq IS NULL OR NOT EXISTS (SELECT 1 FROM json_each(m.doc, '$.to') t WHERE t.value = r.party) " +
        "UNION ALL " +
        "SELECT m.id, m.record_index, t.value FROM line_messages m, json_each(m.doc, '$.to') t " +
        "WHERE NOT EXISTS (SELECT 1 FROM line_recipients r WHERE r.message_seq = m.seq AND r.party = t.value)");

    public static readonly CheckSql Postgres = new(
        "t.seq",
        "SELECT m.id, m.record_index, r.party FROM line_recipients r LEFT JOIN line_messages m ON m.seq = r.message_seq " +
        "WHERE m.seq IS NULL OR NOT EXISTS (SELECT 1 FROM jsonb_array_elements_text(m.doc::jsonb -> 'to') t(value) WHERE t.value = r.party) " +
        "UNION ALL " +
        "SELECT m.id, m.record_index, t.value FROM line_messages m, jsonb_array_elements_text(m.doc::jsonb -> 'to') t(value) " +
        "WHERE NOT EXISTS (SELECT 1 FROM line_recipients r WHERE r.message_seq = m.seq AND r.party = t.value)");
}
