using Deconflict.Core.Record;
using Deconflict.Storage.Sqlite;
using Sql = Deconflict.Storage.Postgres.PostgresSql;

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

    public void LoadFrontier(MerkleFrontier frontier)
    {
        var (c, tx) = write.Open();
        PostgresRecordTree.LoadFrontier(frontier, c, tx, _size);
    }

    /// <summary>The event row (the entry's exact bytes), the leaf and the Merkle nodes it completes, in one statement.</summary>
    public void Append(byte[] entry, IReadOnlyList<(int Level, long Index, byte[] Hash)> nodes)
    {
        var (c, tx) = write.Open();
        var index = _size;
        write.Changed(Sql.Execute(c, tx,
            "WITH e AS (INSERT INTO events(seq, entry) VALUES ($1, $2)) INSERT INTO record_nodes(id, hash) SELECT * FROM unnest($3::bigint[], $4::bytea[])",
            index + 1, entry, nodes.Select(n => SqliteRecordTree.NodeId(n.Level, n.Index)).ToArray(), nodes.Select(n => n.Hash).ToArray()) + 1);
        _size = index + 1;
        write.Journal(() => _size = index);
    }

    public byte[] Root(long size)
    {
        var (c, tx) = write.Open();
        using var tree = new PostgresRecordTree.Reader(c, tx);
        return MerkleTree.Root(size, tree);
    }

    public RecordHead? LatestHead() => write.One(PostgresStore.ReadHead, "SELECT size, root, time, signature FROM record_heads ORDER BY size DESC LIMIT 1");

    public void InsertHead(RecordHead head) =>
        write.Write("INSERT INTO record_heads(size, root, time, signature) VALUES ($1, $2, $3, $4)", head.Size, head.RootHash, StoreRows.Ms(head.Time), head.Signature);

    public void InsertCosignature(Cosignature cosignature) =>
        write.Write("INSERT INTO record_cosignatures(party, size, root, time, signature) VALUES ($1, $2, $3, $4, $5)",
            cosignature.Party, cosignature.Size, cosignature.RootHash, StoreRows.Ms(cosignature.Time), cosignature.Signature);

    public bool Reveal(long index, string? by, DateTimeOffset at) =>
        write.Write("INSERT INTO record_reveals(entry_index, revealed_by, revealed_at) VALUES ($1, $2, $3) ON CONFLICT(entry_index) DO NOTHING", index, by, StoreRows.Ms(at)) == 1;

    /// <summary>Takes the record's size, read under the head lock as the transaction begins.</summary>
    internal void Begin(long size) => _size = size;
}
