using System.Text.Json.Nodes;

namespace Deconflict.Tests.Cluster;

/// <summary>
/// What a node's GET /healthz says of itself and its cluster: its status, last event (a
/// sequence: record index + 1), its node id, whether it holds the lease of the background
/// duties, and how many nodes it sees alive.
/// </summary>
public sealed record NodeHealth(int StatusCode, string? Status, long? LastEvent, string? NodeId, bool? HoldsLease, int? LiveNodes)
{
    /// <summary>
    /// Reads the answer. The cluster's fields are IClusterState's (NodeId, HoldsLease, LiveNodes) in
    /// the API's snake_case, at the top or in one nested object (a "cluster" section).
    /// </summary>
    public static NodeHealth Parse(int statusCode, JsonNode? body) => new(
        statusCode,
        Find(body, "status")?.GetValue<string>(),
        Find(body, "last_event")?.GetValue<long>(),
        Find(body, "node_id")?.GetValue<string>(),
        Find(body, "holds_lease")?.GetValue<bool>(),
        Find(body, "live_nodes")?.GetValue<int>());

    private static JsonNode? Find(JsonNode? body, string name)
    {
        if (body is not JsonObject o)
        {
            return null;
        }

        if (o[name] is { } direct)
        {
            return direct;
        }

        return o.Select(p => p.Value is JsonObject inner ? inner[name] : null).FirstOrDefault(v => v is not null);
    }
}
