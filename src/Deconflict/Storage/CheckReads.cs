using System.Collections.Immutable;
using System.Data.Common;
using Deconflict.Core.Model;
using Deconflict.Core.Record;
using Deconflict.Core.Volumes;

namespace Deconflict.Storage;

/// <summary>
/// The reads of the record check (Record/RecordCheck): entries with their stored leaves in order,
/// and every served row as stored, with the entry it names (the check renders it). Streamed, so a check of a million
/// entries holds one row at a time. The same SQL on both stores (named parameters, which both
/// take), but for the store's own <see cref="CheckSql"/>.
/// </summary>
internal static class CheckReads
{
    // A leaf's node key is Sqlite.SqliteRecordTree.NodeId(0, index) = index * 64; the entry of index i is
    // the event of seq i + 1.
    private const string EntryJoin = "LEFT JOIN events e ON e.seq = t.record_index + 1 LEFT JOIN record_nodes n ON n.id = t.record_index * 64";

    /// <summary>Entries [start, end) in order: index and bytes (null when missing; the log stops there).</summary>
    public static IEnumerable<(long Index, byte[]? Entry)> Entries(DbConnection c, long start, long end)
    {
        using var cmd = Command(c, "SELECT seq, entry FROM events WHERE seq > @start AND seq <= @end ORDER BY seq");
        Add(cmd, "@start", start);
        Add(cmd, "@end", end);
        using var r = cmd.ExecuteReader();
        var expected = start;
        while (r.Read())
        {
            var index = r.GetInt64(0) - 1;
            if (index != expected)
            {
                // A gap in the log: the entry is missing.
                yield return (expected, null);
                yield break;
            }

            yield return (index, r.IsDBNull(1) ? null : (byte[])r.GetValue(1));
            expected++;
        }

        if (expected < end)
        {
            yield return (expected, null);
        }
    }

    /// <summary>
    /// The stored tree nodes completed by leaves [start, end), in completion order: leaf i completes
    /// the nodes whose keys are i * 64 + level (Sqlite.SqliteRecordTree.NodeId), so one range scan gives
    /// them in the order a check appends the leaves.
    /// </summary>
    public static IEnumerable<(long Id, byte[] Hash)> NodesCompletedBy(DbConnection c, long start, long end)
    {
        using var cmd = Command(c, "SELECT id, hash FROM record_nodes WHERE id >= @from AND id < @to ORDER BY id");
        Add(cmd, "@from", start * 64);
        Add(cmd, "@to", end * 64);
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            yield return (r.GetInt64(0), (byte[])r.GetValue(1));
        }
    }

    /// <summary>Every signed head from the given size up, smallest first.</summary>
    public static IReadOnlyList<RecordHead> Heads(DbConnection c, long fromSize)
    {
        using var cmd = Command(c, "SELECT size, root, time, signature FROM record_heads WHERE size >= @from ORDER BY size");
        Add(cmd, "@from", fromSize);
        using var r = cmd.ExecuteReader();
        var list = new List<RecordHead>();
        while (r.Read())
        {
            list.Add(new RecordHead(r.GetInt64(0), (byte[])r.GetValue(1), StoreRows.Time(r.GetInt64(2)), (byte[])r.GetValue(3)));
        }

        return list;
    }

    /// <summary>
    /// Every served row (operations, zones, conflicts, line messages, one per side of each alert, tokens, parties, witness keys,
    /// escalation contacts) as stored. Volumes are not decoded: the row's volume text is what the
    /// entry's payload holds (both are the F3548 JSON of the same volumes).
    /// </summary>
    public static IEnumerable<ServedRow> Rows(DbConnection c, CheckSql sql)
    {
        using (var cmd = Command(c,
            $"SELECT t.id, t.kind, t.party, t.version, t.state, t.priority, t.rule, t.name, t.volumes, t.details, t.created_at, t.updated_at, t.record_index, t.details_salt, e.entry, n.hash " +
            $"FROM declarations t {EntryJoin} ORDER BY t.seq"))
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                var d = new Declaration(
                    StoreRows.ParseEnum<DeclarationKind>(r.GetString(1)), r.GetString(0), r.GetString(2), r.GetInt64(3),
                    StoreRows.ParseEnum<DeclarationState>(r.GetString(4)), r.GetInt32(5),
                    r.IsDBNull(6) ? null : StoreRows.ParseEnum<ZoneRule>(r.GetString(6)), r.IsDBNull(7) ? null : r.GetString(7),
                    ImmutableArray<Volume4D>.Empty, r.IsDBNull(9) ? null : r.GetString(9), StoreRows.Time(r.GetInt64(10)), StoreRows.Time(r.GetInt64(11)))
                {
                    DetailsSalt = r.IsDBNull(13) ? null : r.GetString(13),
                };
                yield return new ServedRow(StoreJson.Name(d.Kind), d.Id, null, Index(r, 12), new StoredDeclaration(d, r.GetString(8)), Bytes(r, 14), Bytes(r, 15));
            }
        }

        var conflictColumns = string.Join(", ", StoreRows.ConflictColumns.Split(", ").Select(col => "t." + col));
        using (var cmd = Command(c, $"SELECT {conflictColumns}, e.entry, n.hash FROM conflicts t {EntryJoin} ORDER BY t.seq"))
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                var conflict = StoreRows.ReadConflict(r);
                yield return new ServedRow(RecordSubject.Conflict, conflict.Id, null, conflict.RecordIndex, conflict, Bytes(r, 22), Bytes(r, 23));
            }
        }

        using (var cmd = Command(c, $"SELECT t.seq, t.doc, t.record_index, e.entry, n.hash FROM line_messages t {EntryJoin} ORDER BY t.seq"))
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                var m = LineRows.Read(r);
                yield return new ServedRow(RecordSubject.Message, m.Id, null, m.RecordIndex, m, Bytes(r, 3), Bytes(r, 4));
            }
        }

        // One entry per side, in party order, from the row's record index on.
        using (var cmd = Command(c,
            "SELECT t.seq, t.doc, t.record_index, e.entry, n.hash, e2.entry, n2.hash FROM alerts t " + EntryJoin +
            " LEFT JOIN events e2 ON e2.seq = t.record_index + 2 LEFT JOIN record_nodes n2 ON n2.id = (t.record_index + 1) * 64 ORDER BY t.seq"))
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                var a = AlertRows.Read(r);
                var parties = a.Parties;
                for (var i = 0; i < parties.Length; i++)
                {
                    yield return new ServedRow(RecordSubject.Alert, a.Id, parties[i], a.RecordIndex + i, a, Bytes(r, 3 + (2 * i)), Bytes(r, 4 + (2 * i)));
                }
            }
        }

        foreach (var row in Tokens(c, sql))
        {
            yield return row;
        }

        using (var cmd = Command(c, $"SELECT t.id, t.name, t.role, t.created_at, t.record_index, e.entry, n.hash FROM parties t {EntryJoin} ORDER BY t.id"))
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                var party = StoreRows.ReadParty(r);
                yield return new ServedRow(RecordSubject.Party, party.Id, null, Index(r, 4), party, Bytes(r, 5), Bytes(r, 6));
            }
        }

        using (var cmd = Command(c, $"SELECT t.party, t.public_key, t.registered_at, t.record_index, e.entry, n.hash FROM party_keys t {EntryJoin} ORDER BY t.party"))
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                var key = new StoredPartyKey(r.GetString(0), (byte[])r.GetValue(1), StoreRows.Time(r.GetInt64(2)));
                yield return new ServedRow(RecordSubject.PartyKey, key.Party, null, Index(r, 3), key, Bytes(r, 4), Bytes(r, 5));
            }
        }

        foreach (var row in EscalationContacts(c))
        {
            yield return row;
        }
    }

    /// <summary>
    /// Each party's set of escalation contacts (a party with a set, or with contact rows); contact
    /// rows of a party with no set name no entry.
    /// </summary>
    private static IEnumerable<ServedRow> EscalationContacts(DbConnection c)
    {
        var contacts = StoreRows.ContactsByParty(c, null);

        using var sets = Command(c,
            "SELECT p.party, t.record_index, e.entry, n.hash FROM (SELECT party FROM escalation_contact_sets UNION SELECT party FROM escalation_contacts) p " +
            "LEFT JOIN escalation_contact_sets t ON t.party = p.party " + EntryJoin + " ORDER BY p.party");
        using var rows = sets.ExecuteReader();
        while (rows.Read())
        {
            var party = rows.GetString(0);
            var set = new StoredEscalationContacts(party, contacts.GetValueOrDefault(party) ?? []);
            yield return new ServedRow(RecordSubject.EscalationContacts, party, null, Index(rows, 1), set, Bytes(rows, 2), Bytes(rows, 3));
        }
    }

    /// <summary>Every token (admin tokens too) as stored.</summary>
    public static IEnumerable<ServedRow> Tokens(DbConnection c, CheckSql sql)
    {
        var columns = string.Join(", ", StoreRows.TokenColumns.Split(", ").Select(col => "t." + col));
        using var cmd = Command(c, $"SELECT {columns}, t.record_index, e.entry, n.hash FROM tokens t {EntryJoin} ORDER BY {sql.TokenOrder}");
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            var token = StoreRows.ReadToken(r);
            yield return new ServedRow(RecordSubject.Token, token.Id, null, Index(r, 5), token, Bytes(r, 6), Bytes(r, 7));
        }
    }

    /// <summary>
    /// The inbox index disagreeing with the messages it lists: a (party, message) row whose message
    /// does not name the party among its recipients, or a recipient with no row. Each as the
    /// message's id and record index (null when the row names no message) and the party.
    /// </summary>
    public static IEnumerable<(string? Message, long? RecordIndex, string Party)> RecipientMismatches(DbConnection c, CheckSql sql)
    {
        using var cmd = Command(c, sql.RecipientMismatches);
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            yield return (r.IsDBNull(0) ? null : r.GetString(0), Index(r, 1), r.GetString(2));
        }
    }

    private static DbCommand Command(DbConnection c, string sql)
    {
        var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return cmd;
    }

    private static void Add(DbCommand cmd, string name, object value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        cmd.Parameters.Add(p);
    }

    private static long? Index(DbDataReader r, int column) => r.IsDBNull(column) ? null : r.GetInt64(column);

    private static byte[]? Bytes(DbDataReader r, int column) => r.IsDBNull(column) ? null : (byte[])r.GetValue(column);
}
