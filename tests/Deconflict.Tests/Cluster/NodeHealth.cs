using System.Text.Json.Nodes;

namespace Deconflict.Tests.Cluster;

/// <summary>
/// What a node's GET /healthz says of itself and its cluster: its status, last event (a
/// sequence: record index + 1), its node id, whether it holds the lease of the background
/// duties, and how many nodes it sees alive.
/// </summary>
public sealed record NodeHealth(int StatusCode, string? Status, long? LastEvent, string? NodeId, bool? HoldsLease, int? LiveNodes)
{
    /// <summary>Reads the answer: the cluster's fields are <c>node</c>, <c>lease</c> and <c>live_nodes</c>.</summary>
    public static NodeHealth Parse(int statusCode, JsonNode? body) => new(
        statusCode,
        Find(body, "status")?.GetValue<string>(),
        Find(body, "last_event")?.GetValue<long>(),
        Find(body, "node")?.GetValue<string>(),
        Find(body, "lease")?.GetValue<bool>(),
        Find(body, "live_nodes")?.GetValue<int>());

    private static JsonNode? Find(JsonNode? body, string name) => body is JsonObject o ? o[name] : null;
}
