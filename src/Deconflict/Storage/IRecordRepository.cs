using Deconflict.Core.Record;

namespace Deconflict.Storage;

/// <summary>
/// The record as the open write transaction stands: the events' entries and the Merkle nodes they
/// complete, signed heads, the parties' cosignatures and revealed entries. Persistence only: the
/// entries are made, salted and hashed by the service's <c>RecordLog</c>, one for both stores.
/// </summary>
public interface IRecordRepository
{
    /// <summary>The number of entries (the index the next one gets).</summary>
    long Size { get; }

    /// <summary>Loads <paramref name="frontier"/> with the stored nodes of the record of <see cref="Size"/> entries.</summary>
    ValueTask LoadFrontierAsync(MerkleFrontier frontier);

    /// <summary>
    /// Stores entry <see cref="Size"/> (its event's sequence is that index + 1): the entry's exact
    /// bytes and the Merkle nodes its leaf completes, level 0 (the leaf) first.
    /// </summary>
    ValueTask AppendAsync(byte[] entry, IReadOnlyList<(int Level, long Index, byte[] Hash)> nodes);

    /// <summary>The root hash of the record's first <paramref name="size"/> leaves, from the stored nodes.</summary>
    ValueTask<byte[]> RootAsync(long size);

    /// <summary>The newest signed head, or null before the first.</summary>
    ValueTask<RecordHead?> LatestHeadAsync();

    ValueTask InsertHeadAsync(RecordHead head);

    ValueTask InsertCosignatureAsync(Cosignature cosignature);

    /// <summary>Marks the entry readable by every party; false when it was already revealed.</summary>
    ValueTask<bool> RevealAsync(long index, string? by, DateTimeOffset at);
}
