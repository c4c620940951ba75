namespace Deconflict.Cluster;

/// <summary>
/// The check at the top of each cycle of a background duty: run only while this node holds the
/// lease, and learn when it was gained since the last cycle, since another node may have done the
/// duty in between and what the duty keeps in memory must then be read again from the store.
/// </summary>
public sealed class LeaseGate(IClusterState cluster)
{
    private bool _held;

    /// <summary>True when this cycle may run; <paramref name="gained"/> when the lease was not held at the previous check (or this is the first).</summary>
    public bool Enter(out bool gained)
    {
        var held = cluster.HoldsLease;
        gained = held && !_held;
        _held = held;
        return held;
    }
}
