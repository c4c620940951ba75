using Deconflict.Core.Record;

namespace Deconflict.Storage;

/// <summary>
/// What the record check (Record/RecordCheck) reads from a store, beyond its ordinary reads: the
/// log and the stored tree streamed in order, every signed head, and every served row as stored
/// with the entry it names. Both stores give them from the same SQL (<see cref="CheckReads"/>).
/// </summary>
public interface IRecordCheckSource : IStoreReader
{
    /// <summary>The command that checks this store's whole record, for people to run (no secret in it).</summary>
    string CheckCommand { get; }

    /// <summary>
    /// Until disposed, every read of this store sees one snapshot: other nodes go on writing while
    /// a node checks the record at its start, and a row committed after the check read the record's
    /// size must not be taken for a row that names no entry.
    /// </summary>
    IDisposable Snapshot();

    /// <summary>Entries [start, end) in order, streamed; a missing one ends the stream as (index, null).</summary>
    IEnumerable<(long Index, byte[]? Entry)> CheckEntries(long start, long end);

    /// <summary>The stored tree nodes completed by leaves [start, end) by key (SqliteRecordTree.NodeId), in that order, streamed.</summary>
    IEnumerable<(long Id, byte[] Hash)> CheckNodes(long start, long end);

    /// <summary>Every served row as stored, with the entry it names, streamed.</summary>
    IEnumerable<ServedRow> CheckRows();

    /// <summary>Inbox rows that disagree with their messages' recipients.</summary>
    IReadOnlyList<(string? Message, long? RecordIndex, string Party)> RecipientMismatches();

    /// <summary>The signed heads from that size up, smallest first.</summary>
    IReadOnlyList<RecordHead> HeadsFrom(long size);

    /// <summary>Runs the reads of a proof on the stored tree (one snapshot where the store needs one).</summary>
    T WithTree<T>(Func<IMerkleNodes, T> read);
}
