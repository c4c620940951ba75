using Deconflict.Api;
using Deconflict.Service;

namespace Deconflict.Tests.Cluster;

/// <summary>
/// The rate a node's bucket of a party's requests refills at is the party's rate divided by the
/// live nodes, exactly: a share rounded up to whole tokens per 100 ms (15/s to 20/s) would let a
/// party spreading its requests over the nodes get more than its rate from the cluster.
/// </summary>
public sealed class RequestShareTests
{
    [Theory]
    [InlineData(30, 30, 1, 30, 30)]
    [InlineData(30, 30, 2, 15, 15)]
    [InlineData(30, 30, 3, 10, 10)]
    [InlineData(30, 30, 4, 7.5, 8)]
    [InlineData(200, 400, 3, 66.666666666666667, 134)]
    [InlineData(25, 30, 1, 25, 30)]
    [InlineData(1, 30, 1, 1, 30)]
    [InlineData(0.001, 30, 2, 0.0005, 15)]
    public void A_nodes_bucket_refills_at_the_partys_rate_over_the_live_nodes_and_holds_its_burst_share(double rate, int burst, int nodes, double perNode, int burstShare)
    {
        var bucket = AccessLimits.RequestBucket(new QuotaOptions { RequestsPerSecond = rate, RequestBurst = burst }, nodes);

        var refill = bucket.TokensPerPeriod * (double)TimeSpan.TicksPerSecond / bucket.ReplenishmentPeriod.Ticks;
        Assert.Equal(perNode, refill, perNode * 1e-6);
        Assert.Equal(burstShare, bucket.TokenLimit);
        Assert.False(bucket.AutoReplenishment);
        Assert.Equal(0, bucket.QueueLimit);
    }
}
