namespace Deconflict.Tests.Cluster;

/// <summary>
/// The cluster tests start three server processes each (and a PostgreSQL or NATS server of their
/// own where they kill one), and two of them bound times (failover within 10 s, a p99 under load):
/// they run in this collection, one at a time after the parallel tests, so neither each other nor
/// the rest of the suite takes the cores their bounds are measured on.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterCollection
{
    public const string Name = "Cluster";
}
