using Deconflict.Core.Model;
using Deconflict.Core.Record;

namespace Deconflict.Storage;

/// <summary>
/// The record: events and their entries (leaves and Merkle nodes), signed heads, the parties'
/// cosignatures and revealed entries, as the open write transaction stands.
/// </summary>
public interface IRecordRepository
{
    /// <summary>
    /// Appends an event and its record entry (leaf and Merkle nodes); returns it with its sequence
    /// number (record index + 1).
    /// </summary>
    StoredEvent Append(DomainEvent e, DateTimeOffset time);

    /// <summary>The record's size and root hash.</summary>
    (long Size, byte[] Root) Head();

    /// <summary>The root hash of the record's first <paramref name="size"/> leaves.</summary>
    byte[] Root(long size);

    /// <summary>The newest signed head, or null before the first.</summary>
    RecordHead? LatestHead();

    void InsertHead(RecordHead head);

    void InsertCosignature(Cosignature cosignature);

    /// <summary>Marks the entry readable by every party; false when it was already revealed.</summary>
    bool Reveal(long index, string? by, DateTimeOffset at);
}
