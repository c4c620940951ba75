namespace Deconflict.Cluster;

/// <summary>The cluster of one node (the embedded SQLite store): it always holds the lease.</summary>
public sealed class SingleNode : IClusterState
{
    public string NodeId { get; } = Environment.MachineName;

    public bool HoldsLease => true;

    // The lease never changes hands, and SQLite's writer checks no epoch.
    public long Epoch => 0;

    public int LiveNodes => 1;
}
