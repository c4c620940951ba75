using Deconflict.Core.Record;

namespace Deconflict.Storage.Sqlite;

/// <summary>
/// The record in the single writer's open transaction: events' entries and the Merkle nodes they
/// complete (the service's RecordLog makes them), signed heads, cosignatures and reveals. The size
/// is read once, then counted (journalled on the shared connection, so a rollback takes it back).
/// </summary>
internal sealed class SqliteRecordRepository(SqliteWriteConnection write) : IRecordRepository, IDisposable
{
    private long _size = -1;
    private RawStatement? _insertEvent;
    private RawStatement? _insertNode;

    public long Size
    {
        get
        {
            if (_size < 0)
            {
                _size = (long)write.Cmd("SELECT COALESCE(MAX(seq), 0) FROM events").ExecuteScalar()!;
            }

            return _size;
        }
    }

    public ValueTask LoadFrontierAsync(MerkleFrontier frontier)
    {
        using var reader = new SqliteRecordTree.Reader(write.Connection);
        frontier.Load(Size, reader);
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// The event row (the entry's exact bytes, nothing else), then the leaf and the Merkle nodes it
    /// completes (two rows on average). A failure anywhere undoes all of it with the write that
    /// emitted it.
    /// </summary>
    public ValueTask AppendAsync(byte[] entry, IReadOnlyList<(int Level, long Index, byte[] Hash)> nodes)
    {
        var index = Size;
        _insertEvent ??= new RawStatement(write.Connection, "INSERT INTO events(seq, entry) VALUES (?1, ?2)");
        _insertEvent.Bind(1, index + 1).Bind(2, entry).Execute();
        _insertNode ??= new RawStatement(write.Connection, "INSERT INTO record_nodes(id, hash) VALUES (?1, ?2)");
        foreach (var (level, i, hash) in nodes)
        {
            _insertNode.Bind(1, SqliteRecordTree.NodeId(level, i)).Bind(2, hash).Execute();
        }

        _size = index + 1;
        write.Journal(() => _size = index);
        return ValueTask.CompletedTask;
    }

    public ValueTask<byte[]> RootAsync(long size)
    {
        using var tree = new SqliteRecordTree.Reader(write.Connection);
        return new(MerkleTree.Root(size, tree));
    }

    public ValueTask<RecordHead?> LatestHeadAsync()
    {
        var cmd = write.Cmd("SELECT size, root, time, signature FROM record_heads ORDER BY size DESC LIMIT 1");
        using var r = cmd.ExecuteReader();
        return new(r.Read() ? new RecordHead(r.GetInt64(0), (byte[])r.GetValue(1), StoreRows.Time(r.GetInt64(2)), (byte[])r.GetValue(3)) : null);
    }

    public ValueTask InsertHeadAsync(RecordHead head)
    {
        var cmd = write.Cmd("INSERT INTO record_heads(size, root, time, signature) VALUES ($size, $root, $time, $signature)");
        cmd.Parameters.AddWithValue("$size", head.Size);
        cmd.Parameters.AddWithValue("$root", head.RootHash);
        cmd.Parameters.AddWithValue("$time", StoreRows.Ms(head.Time));
        cmd.Parameters.AddWithValue("$signature", head.Signature);
        cmd.ExecuteNonQuery();
        return ValueTask.CompletedTask;
    }

    public ValueTask InsertCosignatureAsync(Cosignature cosignature)
    {
        var cmd = write.Cmd("INSERT INTO record_cosignatures(party, size, root, time, signature) VALUES ($party, $size, $root, $time, $signature)");
        cmd.Parameters.AddWithValue("$party", cosignature.Party);
        cmd.Parameters.AddWithValue("$size", cosignature.Size);
        cmd.Parameters.AddWithValue("$root", cosignature.RootHash);
        cmd.Parameters.AddWithValue("$time", StoreRows.Ms(cosignature.Time));
        cmd.Parameters.AddWithValue("$signature", cosignature.Signature);
        cmd.ExecuteNonQuery();
        return ValueTask.CompletedTask;
    }

    public ValueTask<bool> RevealAsync(long index, string? by, DateTimeOffset at)
    {
        var cmd = write.Cmd("INSERT INTO record_reveals(entry_index, revealed_by, revealed_at) VALUES ($index, $by, $at) ON CONFLICT(entry_index) DO NOTHING");
        cmd.Parameters.AddWithValue("$index", index);
        cmd.Parameters.AddWithValue("$by", (object?)by ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$at", StoreRows.Ms(at));
        return new(cmd.ExecuteNonQuery() == 1);
    }

    public void Dispose()
    {
        _insertEvent?.Dispose();
        _insertNode?.Dispose();
    }
}
