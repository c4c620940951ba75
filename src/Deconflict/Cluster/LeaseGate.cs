namespace Deconflict.Cluster;

/// <summary>
/// The check at the top of each cycle of a background duty: run only while this node holds the
/// lease, and learn when it was gained since the last cycle, since another node may have done the
/// duty in between and what the duty keeps in memory must then be read again from the store.
/// </summary>
/// <remarks>
/// The duty's writes carry <see cref="Epoch"/>, the lease's epoch when this node took it: the store
/// refuses them once another node has taken the lease since (<see cref="LeaseFencedException"/>),
/// which this node may not know yet (a pause, a partition, a lease connection that died unnoticed).
/// A fenced-out duty then stops (<see cref="FencedOut"/>) until this node takes the lease again.
/// </remarks>
public sealed class LeaseGate(IClusterState cluster, ILogger log, string duty)
{
    private bool _held;
    private long _epoch;
    private long? _fenced;

    /// <summary>The lease's epoch this cycle runs under: what the duty's writes carry.</summary>
    public long Epoch => _epoch;

    /// <summary>True when this cycle may run; <paramref name="gained"/> when the lease was not held at the previous check (or this is the first), or was taken again since.</summary>
    public bool Enter(out bool gained)
    {
        var held = cluster.HoldsLease;
        var epoch = cluster.Epoch;

        // Fenced out under this epoch: the node has not noticed yet that it lost the lease.
        if (epoch == _fenced)
        {
            held = false;
        }

        gained = held && (!_held || epoch != _epoch);
        _held = held;
        if (held)
        {
            _epoch = epoch;
        }

        return held;
    }

    /// <summary>The store refused a write of this duty: it stops, with one warning, until this node takes the lease again.</summary>
    public void FencedOut(LeaseFencedException e)
    {
        _held = false;
        if (_fenced != e.HeldEpoch)
        {
            _fenced = e.HeldEpoch;
            log.LogWarning(
                "Node {Node}: a write of the {Duty} under lease epoch {Held} was refused, another node took the lease over (epoch {Current}); the duty waits until this node holds the lease again",
                cluster.NodeId, duty, e.HeldEpoch, e.CurrentEpoch);
        }
    }
}
