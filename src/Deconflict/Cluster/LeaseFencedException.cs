namespace Deconflict.Cluster;

/// <summary>
/// A background duty's write carried a lease epoch that is no longer the lease's: another node took
/// the lease over since, so the write was refused and nothing of it was committed.
/// </summary>
public sealed class LeaseFencedException(long heldEpoch, long currentEpoch)
    : Exception($"The write of lease epoch {heldEpoch} was refused: the lease is at epoch {currentEpoch}, taken over by another node since.")
{
    /// <summary>The epoch the write carried.</summary>
    public long HeldEpoch { get; } = heldEpoch;

    /// <summary>The lease's epoch in the database when the write was refused.</summary>
    public long CurrentEpoch { get; } = currentEpoch;
}
