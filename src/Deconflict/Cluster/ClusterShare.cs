namespace Deconflict.Cluster;

/// <summary>
/// One node's part of a per-party limit that holds for the cluster as a whole (request rate and
/// burst, open event streams, the writer's queue share): the limit divided by the live nodes, the
/// counts rounded up. The limits are counted where the requests arrive, on each node, with no round
/// trip to a shared counter: a request rate and a place in a queue are decided in microseconds, and
/// a counter in the database or over NATS would add a network round trip to every request and fail
/// with it. The nodes stand behind one balancer that spreads a party's requests evenly, so a party
/// that uses all of its share on every node gets the whole limit, and one that spreads its requests
/// over N nodes to multiply its share gets at most N times 1/N of it, never more. The bound goes one
/// way only: a party whose requests all reach one node (a pinned connection, an event stream) gets
/// 1/N of the limit there: stricter than agreed, never looser. Rounding up keeps at least one of
/// each count per node, and lets the whole cluster grant at most N - 1 more than the limit.
/// </summary>
public static class ClusterShare
{
    /// <summary>This node's part of a count (burst, streams, queued writes): ceil(total / nodes), at least 1 when total is.</summary>
    public static int Of(int total, int nodes)
    {
        var n = Math.Max(1, nodes);
        return total <= 0 ? total : (int)((total + (long)n - 1) / n);
    }

    /// <summary>This node's part of a rate: rate / nodes.</summary>
    public static double Of(double rate, int nodes) => rate / Math.Max(1, nodes);
}
