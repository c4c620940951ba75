using Deconflict.Core.Model;
using Deconflict.Core.Record;
using Deconflict.Storage.Sqlite;
using Npgsql;
using Sql = Deconflict.Storage.Postgres.PostgresSql;

namespace Deconflict.Storage.Postgres;

/// <summary>
/// The record in the PostgreSQL write transaction. Its frontier is loaded under the record head
/// lock at each begin (another node may have appended since the last transaction), so an append
/// reads nothing more; its undo goes to the shared journal.
/// </summary>
internal sealed class PostgresRecordRepository(PostgresWriteConnection write) : IRecordRepository
{
    private readonly MerkleFrontier _frontier = new();
    private readonly RecordSalts _salts = new();

    /// <summary>The record's size as the transaction stands.</summary>
    internal long Size => _frontier.Size;

    /// <summary>
    /// Appends the event and its record entry in this transaction: the event row (the entry's
    /// exact bytes), the leaf and the Merkle nodes it completes, in one statement. The sequence is
    /// the record index + 1, from the frontier loaded under the head lock.
    /// </summary>
    public StoredEvent Append(DomainEvent e, DateTimeOffset time)
    {
        var (c, tx) = write.Open();
        var ms = StoreRows.Ms(time);
        var stored = new StoredEvent(_frontier.Size + 1, StoreRows.Time(ms), e.Type, e.Actor, e.IsPublic ? [] : e.Audience, e.PayloadJson);
        var entry = StoreRows.Entry(stored, _salts.Next()).Canonical();
        var (completed, undo) = _frontier.Append(MerkleTree.LeafHash(entry));
        write.Journal(undo);
        write.Changed(Sql.Execute(c, tx,
            "WITH e AS (INSERT INTO events(seq, entry) VALUES ($1, $2)) INSERT INTO record_nodes(id, hash) SELECT * FROM unnest($3::bigint[], $4::bytea[])",
            stored.Sequence, entry, completed.Select(n => SqliteRecordTree.NodeId(n.Level, n.Index)).ToArray(), completed.Select(n => n.Hash).ToArray()) + 1);
        return stored;
    }

    public (long Size, byte[] Root) Head()
    {
        write.Open();
        return (_frontier.Size, _frontier.Root());
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

    /// <summary>Loads the frontier of the record of <paramref name="size"/> leaves, read under the head lock.</summary>
    internal void Begin(NpgsqlConnection c, NpgsqlTransaction tx, long size) => PostgresRecordTree.LoadFrontier(_frontier, c, tx, size);
}
