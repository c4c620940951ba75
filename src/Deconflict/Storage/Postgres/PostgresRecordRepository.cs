using Deconflict.Core.Record;
using Deconflict.Storage.Sqlite;

namespace Deconflict.Storage.Postgres;

/// <summary>
/// The record in the PostgreSQL write transaction: events' entries and the Merkle nodes they
/// complete (the service's RecordLog makes them), signed heads, cosignatures and reveals. The size
/// is read under the record head lock at each begin (another node may have appended since the
/// last transaction), then counted; its undo goes to the shared journal.
/// </summary>
internal sealed class PostgresRecordRepository(PostgresWriteConnection write) : IRecordRepository
{
    private long _size;

    public long Size
    {
        get
        {
            write.Open();
            return _size;
        }
    }

    public ValueTask LoadFrontierAsync(MerkleFrontier frontier)
    {
        var (c, tx) = write.Open();
        PostgresRecordTree.LoadFrontier(frontier, c, tx, _size);
        return ValueTask.CompletedTask;
    }

    /// <summary>The event row (the entry's exact bytes), the leaf and the Merkle nodes it completes, in one statement.</summary>
    public ValueTask AppendAsync(byte[] entry, IReadOnlyList<(int Level, long Index, byte[] Hash)> nodes)
    {
        var index = Size;
        write.Write(
            "WITH e AS (INSERT INTO events(seq, entry) VALUES ($1, $2)) INSERT INTO record_nodes(id, hash) SELECT * FROM unnest($3::bigint[], $4::bytea[])",
            index + 1, entry, nodes.Select(n => SqliteRecordTree.NodeId(n.Level, n.Index)).ToArray(), nodes.Select(n => n.Hash).ToArray());

        // The events row of the WITH is not in the statement's count.
        write.Changed(1);
        _size = index + 1;
        write.Journal(() => _size = index);
        return ValueTask.CompletedTask;
    }

    /// <summary>The perfect subtrees that make up the first <paramref name="size"/> leaves, read in one query and folded.</summary>
    public ValueTask<byte[]> RootAsync(long size)
    {
        var (c, tx) = write.Open();
        var frontier = new MerkleFrontier();
        PostgresRecordTree.LoadFrontier(frontier, c, tx, size);
        return new(frontier.Root());
    }

    public ValueTask<RecordHead?> LatestHeadAsync() => new(write.One(PostgresStore.ReadHead, "SELECT size, root, time, signature FROM record_heads ORDER BY size DESC LIMIT 1"));

    public ValueTask InsertHeadAsync(RecordHead head)
    {
        write.Write("INSERT INTO record_heads(size, root, time, signature) VALUES ($1, $2, $3, $4)", head.Size, head.RootHash, StoreRows.Ms(head.Time), head.Signature);
        return ValueTask.CompletedTask;
    }

    public ValueTask InsertCosignatureAsync(Cosignature cosignature)
    {
        write.Write("INSERT INTO record_cosignatures(party, size, root, time, signature) VALUES ($1, $2, $3, $4, $5)",
            cosignature.Party, cosignature.Size, cosignature.RootHash, StoreRows.Ms(cosignature.Time), cosignature.Signature);
        return ValueTask.CompletedTask;
    }

    public ValueTask<bool> RevealAsync(long index, string? by, DateTimeOffset at) =>
        new(write.Write("INSERT INTO record_reveals(entry_index, revealed_by, revealed_at) VALUES ($1, $2, $3) ON CONFLICT(entry_index) DO NOTHING", index, by, StoreRows.Ms(at)) == 1);

    /// <summary>Takes the record's size, read under the head lock as the transaction begins.</summary>
    internal void Begin(long size) => _size = size;
}
