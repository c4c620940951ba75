using System.Data.Common;
using Deconflict.Core.Model;

namespace Deconflict.Storage;

/// <summary>The event log as both stores serve it: the same statement on either connection.</summary>
internal static class EventReads
{
    /// <summary>
    /// Events after <paramref name="after"/> that the viewer may see, in order, at most
    /// <paramref name="limit"/>. Each event is its record entry: who may see it is the entry's own
    /// parties, what is sent its own payload, and only an entry whose bytes hash to its stored leaf
    /// is served (an entry edited in place is served to nobody; the next start names it). The log
    /// is scanned in sequence order in chunks, so the cost is the events scanned, not only those
    /// returned: a leaf hash and a parse each (about 2 us for a 700-byte entry).
    /// </summary>
    public static IReadOnlyList<StoredEvent> Read(DbConnection c, long after, Caller viewer, int limit)
    {
        var chunk = Math.Max(limit, 500);
        using var cmd = c.CreateCommand();

        // A leaf's node key is SqliteRecordTree.NodeId(0, index) = index * 64.
        cmd.CommandText = "SELECT e.seq, e.entry, n.hash FROM events e JOIN record_nodes n ON n.id = (e.seq - 1) * 64 WHERE e.seq > @after ORDER BY e.seq LIMIT @chunk";
        var from = cmd.CreateParameter();
        from.ParameterName = "@after";
        cmd.Parameters.Add(from);
        var size = cmd.CreateParameter();
        size.ParameterName = "@chunk";
        size.Value = (long)chunk;
        cmd.Parameters.Add(size);
        var list = new List<StoredEvent>();
        while (true)
        {
            from.Value = after;
            var scanned = 0;
            using (var r = cmd.ExecuteReader())
            {
                while (r.Read())
                {
                    scanned++;
                    after = r.GetInt64(0);
                    if (StoreRows.Verified((byte[])r.GetValue(1), (byte[])r.GetValue(2)) is not { } entry || entry.Index != after - 1)
                    {
                        continue;
                    }

                    var e = new StoredEvent(after, entry.Time, entry.Type, entry.Actor, entry.Parties, entry.PayloadJson);
                    if (e.VisibleTo(viewer))
                    {
                        list.Add(e);
                        if (list.Count == limit)
                        {
                            return list;
                        }
                    }
                }
            }

            if (scanned < chunk)
            {
                return list;
            }
        }
    }
}
