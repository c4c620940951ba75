namespace Deconflict.Cluster;

/// <summary>
/// What a node knows of the cluster it belongs to. The background duties (expiry sweep, line clocks
/// and escalation, signing record heads, tactical detection) run only while <see cref="HoldsLease"/>;
/// per-party limits are the cluster's, shared out over <see cref="LiveNodes"/>. A single node on
/// SQLite is its own cluster (<see cref="SingleNode"/>).
/// </summary>
public interface IClusterState
{
    /// <summary>This node's name, unique among the live nodes.</summary>
    string NodeId { get; }

    /// <summary>True while this node holds the lease of the background duties.</summary>
    bool HoldsLease { get; }

    /// <summary>
    /// The lease's epoch when this node last took it: the fencing token its duties' writes carry
    /// (<see cref="LeaseGate"/>), refused by the store once another node has taken the lease since.
    /// </summary>
    long Epoch { get; }

    /// <summary>Nodes seen alive, this one included: at least 1.</summary>
    int LiveNodes { get; }
}
