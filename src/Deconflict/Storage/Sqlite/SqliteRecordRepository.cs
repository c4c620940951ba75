using Deconflict.Core.Model;
using Deconflict.Core.Record;

namespace Deconflict.Storage.Sqlite;

/// <summary>
/// The record in the single writer's open transaction: events and their entries, with the tree's
/// frontier in memory (its appends journalled on the shared connection), signed heads,
/// cosignatures and reveals.
/// </summary>
internal sealed class SqliteRecordRepository(SqliteWriteConnection write) : IRecordRepository, IDisposable
{
    private readonly SqliteRecordTree.Appender _tree = new(write.Connection);
    private bool _recordLoaded;
    private RawStatement? _insertEvent;
    private readonly RecordSalts _salts = new();

    /// <summary>
    /// Appends the event and its record entry in this transaction: the event row (the entry's exact
    /// bytes, nothing else), then the leaf and the Merkle nodes it completes. The event's sequence is its
    /// record index + 1. A failure anywhere undoes all of it with the write that emitted it.
    /// </summary>
    public StoredEvent Append(DomainEvent e, DateTimeOffset time)
    {
        LoadRecord();
        var ms = StoreRows.Ms(time);
        var stored = new StoredEvent(_tree.Size + 1, StoreRows.Time(ms), e.Type, e.Actor, e.IsPublic ? [] : e.Audience, e.PayloadJson);
        var entry = StoreRows.Entry(stored, _salts.Next()).Canonical();
        _insertEvent ??= new RawStatement(write.Connection, "INSERT INTO events(seq, entry) VALUES (?1, ?2)");
        _insertEvent.Bind(1, stored.Sequence).Bind(2, entry).Execute();
        write.Journal(_tree.Append(MerkleTree.LeafHash(entry)));
        return stored;
    }

    /// <summary>The record's size: the index the next appended entry gets.</summary>
    internal long NextIndex()
    {
        LoadRecord();
        return _tree.Size;
    }

    /// <summary>The record's size and root as this transaction stands.</summary>
    public (long Size, byte[] Root) Head()
    {
        LoadRecord();
        return (_tree.Size, _tree.Root());
    }

    public byte[] Root(long size)
    {
        using var tree = new SqliteRecordTree.Reader(write.Connection);
        return MerkleTree.Root(size, tree);
    }

    public RecordHead? LatestHead()
    {
        var cmd = write.Cmd("SELECT size, root, time, signature FROM record_heads ORDER BY size DESC LIMIT 1");
        using var r = cmd.ExecuteReader();
        return r.Read() ? new RecordHead(r.GetInt64(0), (byte[])r.GetValue(1), StoreRows.Time(r.GetInt64(2)), (byte[])r.GetValue(3)) : null;
    }

    public void InsertHead(RecordHead head)
    {
        var cmd = write.Cmd("INSERT INTO record_heads(size, root, time, signature) VALUES ($size, $root, $time, $signature)");
        cmd.Parameters.AddWithValue("$size", head.Size);
        cmd.Parameters.AddWithValue("$root", head.RootHash);
        cmd.Parameters.AddWithValue("$time", StoreRows.Ms(head.Time));
        cmd.Parameters.AddWithValue("$signature", head.Signature);
        cmd.ExecuteNonQuery();
    }

    public void InsertCosignature(Cosignature cosignature)
    {
        var cmd = write.Cmd("INSERT INTO record_cosignatures(party, size, root, time, signature) VALUES ($party, $size, $root, $time, $signature)");
        cmd.Parameters.AddWithValue("$party", cosignature.Party);
        cmd.Parameters.AddWithValue("$size", cosignature.Size);
        cmd.Parameters.AddWithValue("$root", cosignature.RootHash);
        cmd.Parameters.AddWithValue("$time", StoreRows.Ms(cosignature.Time));
        cmd.Parameters.AddWithValue("$signature", cosignature.Signature);
        cmd.ExecuteNonQuery();
    }

    public bool Reveal(long index, string? by, DateTimeOffset at)
    {
        var cmd = write.Cmd("INSERT INTO record_reveals(entry_index, revealed_by, revealed_at) VALUES ($index, $by, $at) ON CONFLICT(entry_index) DO NOTHING");
        cmd.Parameters.AddWithValue("$index", index);
        cmd.Parameters.AddWithValue("$by", (object?)by ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$at", StoreRows.Ms(at));
        return cmd.ExecuteNonQuery() == 1;
    }

    private void LoadRecord()
    {
        if (_recordLoaded)
        {
            return;
        }

        var cmd = write.Cmd("SELECT COALESCE(MAX(seq), 0) FROM events");
        _tree.Load(write.Connection, (long)cmd.ExecuteScalar()!);
        _recordLoaded = true;
    }

    public void Dispose()
    {
        _insertEvent?.Dispose();
        _tree.Dispose();
    }
}
