using Deconflict.Cluster;

namespace Deconflict.Tests.Cluster;

/// <summary>A node whose lease the test gives and takes.</summary>
internal sealed class FakeCluster : IClusterState
{
    public string NodeId { get; init; } = "test-" + Guid.NewGuid().ToString("N")[..12];

    public bool HoldsLease { get; set; }

    public long Epoch { get; set; }

    public int LiveNodes { get; set; } = 2;
}
