using System.Text.Json.Nodes;

namespace Deconflict.Cli;

/// <summary>
/// One server-sent event of GET /v1/events: its id (the record index; none for a `record-head`
/// announcement, which is not an entry of the record), its type and its data as sent.
/// </summary>
public sealed record StreamEvent(long? Id, string Type, JsonNode Data, string RawData)
{
    /// <summary>The event as one line of JSON (`{"id":..,"type":..,"data":{..}}`), for scripts reading NDJSON.</summary>
    public string ToJsonLine() => new JsonObject
    {
        ["id"] = Id,
        ["type"] = Type,
        ["data"] = JsonNode.Parse(RawData),
    }.ToJsonString();
}
