using Deconflict.Core.Model;
using Deconflict.Core.Record;
using Deconflict.Storage;

namespace Deconflict.Service;

/// <summary>
/// The writer's side of the record, the same whichever store keeps it: it numbers each event,
/// makes its salted entry, hashes the leaf and appends it to the tree's frontier (in memory, so an
/// append reads no stored node), and gives the store the entry and the nodes it completes to keep.
/// Its in-memory changes are journalled and undone with the transaction (<see cref="Undo"/>).
/// <para>
/// A transaction begins from the record as the store holds it: when its size is not the frontier's
/// (another node appended, or a commit whose outcome was lost), the frontier is loaded again. The
/// size alone tells: the record is append-only, so the tree of its first n entries never changes.
/// </para>
/// Not thread-safe: it belongs to the single writer.
/// </summary>
public sealed class RecordLog
{
    private readonly MerkleFrontier _frontier = new();
    private readonly RecordSalts _salts = new();

    private readonly UndoJournal _journal = new();

    /// <summary>Where the journal stands: a savepoint undoes back to it.</summary>
    public int Mark => _journal.Mark;

    /// <summary>Takes the record as the store's open transaction holds it.</summary>
    public async ValueTask BeginAsync(IRecordRepository record)
    {
        _journal.Clear();
        if (record.Size != _frontier.Size)
        {
            await record.LoadFrontierAsync(_frontier);
        }
    }

    /// <summary>The transaction committed: what is in memory now is the stored record.</summary>
    public void Committed() => _journal.Clear();

    /// <summary>Undoes the in-memory appends after <paramref name="mark"/> (0: the whole transaction).</summary>
    public void Undo(int mark) => _journal.Undo(mark);

    /// <summary>
    /// Appends the event's entry to the record in the store's open transaction; returns the event
    /// with its sequence number (its record index + 1) and its time in whole milliseconds, as stored.
    /// </summary>
    public async ValueTask<StoredEvent> AppendAsync(IRecordRepository record, DomainEvent e, DateTimeOffset time)
    {
        if (record.Size != _frontier.Size)
        {
            throw new InvalidOperationException($"The record holds {record.Size} entries but the writer's frontier {_frontier.Size}: the transaction did not begin through the record log.");
        }

        var stored = new StoredEvent(_frontier.Size + 1, StoreRows.Time(StoreRows.Ms(time)), e.Type, e.Actor, e.IsPublic ? [] : e.Audience, e.PayloadJson);
        var entry = StoreRows.Entry(stored, _salts.Next()).Canonical();
        var (completed, undo) = _frontier.Append(MerkleTree.LeafHash(entry));
        try
        {
            await record.AppendAsync(entry, completed);
        }
        catch
        {
            // Nothing of it was kept: the frontier stays as the store is.
            undo();
            throw;
        }

        _journal.Add(undo);
        return stored;
    }

    /// <summary>The record's size and root hash as the open transaction stands: O(log n) hashes, nothing read.</summary>
    public (long Size, byte[] Root) Head() => (_frontier.Size, _frontier.Root());
}
