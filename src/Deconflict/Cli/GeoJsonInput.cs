using System.Text.Json;
using System.Text.Json.Nodes;

namespace Deconflict.Cli;

/// <summary>
/// Turns a file given to `op submit` into an operation body: an F3548 body (with "volumes") as it
/// is, or a GeoJSON Feature / FeatureCollection (RFC 7946) whose features are the volumes. A
/// feature's geometry is a Polygon (one ring, closed as GeoJSON requires; holes are refused) or a
/// Point with a "radius" property; its properties give altitude_lower, altitude_upper (with
/// units and reference, never assumed), time_start and time_end. Anything else in the file's
/// shape is refused with a <see cref="CliException"/> naming the place (found by fuzzing: a
/// number where a string belongs, a null feature, a position that is not [lng, lat], a
/// duplicate key).
/// </summary>
public static class GeoJsonInput
{
    /// <summary>
    /// Reads a file under the rules the server applies to a body (JsonBodyRules: no member twice,
    /// no control character; then System.Text.Json with duplicates refused), so that a file the
    /// server would refuse is refused here with its pointer, before anything is sent.
    /// </summary>
    public static JsonNode Read(string name, byte[] utf8)
    {
        if (Api.JsonBodyRules.Check(utf8) is { } broken)
        {
            var pointer = broken.Extensions?.GetValueOrDefault("pointer");
            throw new CliException($"{name}: {broken.Detail} ({broken.Code} at {pointer})");
        }

        try
        {
            return JsonNode.Parse(utf8, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false })
                ?? throw new CliException($"{name} holds JSON null, not an operation.");
        }
        catch (JsonException e)
        {
            throw new CliException($"{name} is not valid JSON: {e.Message}");
        }
        catch (InvalidOperationException)
        {
            // As in RecordSources: the duplicate-member check's refusal of a lone surrogate escape in a member name.
            throw new CliException($"{name} is not valid JSON: a member name holds a lone surrogate escape (\\ud800).");
        }
    }

    public static JsonObject ToOperationBody(JsonNode file)
    {
        try
        {
            return Convert(file);
        }
        catch (Exception e) when (e is InvalidOperationException or NullReferenceException or ArgumentOutOfRangeException)
        {
            // A member of the wrong type (a string where coordinates belong) or a missing one deep inside.
            throw new CliException("The file is not an F3548 body or a GeoJSON Feature or FeatureCollection: a member is missing or has the wrong type (coordinates are [lng, lat] numbers, times are strings).");
        }
    }

    private static JsonObject Convert(JsonNode file)
    {
        if (file is not JsonObject root)
        {
            throw new CliException("The file must hold a JSON object: an F3548 body or a GeoJSON Feature.");
        }

        if (root.ContainsKey("volumes"))
        {
            return root;
        }

        var features = Text(root["type"]) switch
        {
            "Feature" => [root],
            "FeatureCollection" => root["features"] is JsonArray list
                ? list.Select((f, i) => f as JsonObject ?? throw new CliException($"feature {i} is not a JSON object.")).ToList()
                : throw new CliException("A FeatureCollection needs features (an array)."),
            _ => throw new CliException("The file is neither an F3548 body (with \"volumes\") nor a GeoJSON Feature or FeatureCollection."),
        };
        if (features.Count == 0)
        {
            throw new CliException("The FeatureCollection has no features.");
        }

        var volumes = new JsonArray();
        foreach (var (feature, i) in features.Select((f, i) => (f, i)))
        {
            volumes.Add(ToVolume(feature, i));
        }

        var body = new JsonObject { ["volumes"] = volumes };
        var first = features[0]["properties"] as JsonObject;
        foreach (var name in new[] { "priority", "state", "details", "known" })
        {
            if (first?[name] is { } value)
            {
                body[name] = value.DeepClone();
            }
        }

        return body;
    }

    private static JsonObject ToVolume(JsonObject feature, int index)
    {
        var where = $"feature {index}";
        var props = feature["properties"] as JsonObject ?? throw new CliException($"{where}: properties are required (altitudes with units, times).");
        var geometry = feature["geometry"] as JsonObject ?? throw new CliException($"{where}: geometry is required.");
        var volume = new JsonObject();
        switch (Text(geometry["type"]))
        {
            case "Polygon":
                var rings = geometry["coordinates"] as JsonArray ?? throw new CliException($"{where}: Polygon without coordinates (an array of rings).");
                if (rings.Count != 1)
                {
                    throw new CliException($"{where}: a Polygon with holes cannot be a volume outline (it has {rings.Count} rings).");
                }

                var positions = rings[0] as JsonArray ?? throw new CliException($"{where}: the Polygon's ring must be an array of positions.");
                var ring = positions.Select((p, i) => Position(p, $"{where}: position {i} of the ring")).ToList();
                if (ring.Count >= 2 && ring[0] == ring[^1])
                {
                    ring.RemoveAt(ring.Count - 1);
                }

                volume["outline_polygon"] = new JsonObject
                {
                    ["vertices"] = new JsonArray([.. ring.Select(p => (JsonNode)new JsonObject { ["lat"] = p.Lat, ["lng"] = p.Lng })]),
                };
                break;
            case "Point":
                var c = Position(geometry["coordinates"], $"{where}: the Point's coordinates");
                volume["outline_circle"] = new JsonObject
                {
                    ["center"] = new JsonObject { ["lat"] = c.Lat, ["lng"] = c.Lng },
                    ["radius"] = props["radius"]?.DeepClone() ?? throw new CliException($"{where}: a Point needs a radius property with units, e.g. {{\"value\": 5000, \"units\": \"M\"}}."),
                };
                break;
            default:
                throw new CliException($"{where}: geometry must be a Polygon or a Point with a radius.");
        }

        volume["altitude_lower"] = props["altitude_lower"]?.DeepClone() ?? throw new CliException($"{where}: altitude_lower is required, with value, reference and units.");
        volume["altitude_upper"] = props["altitude_upper"]?.DeepClone() ?? throw new CliException($"{where}: altitude_upper is required, with value, reference and units.");
        return new JsonObject
        {
            ["volume"] = volume,
            ["time_start"] = Time(props, "time_start", where),
            ["time_end"] = Time(props, "time_end", where),
        };
    }

    /// <summary>A GeoJSON position: [longitude, latitude] in degrees, an optional altitude after them.</summary>
    private static (double Lng, double Lat) Position(JsonNode? node, string what) =>
        node is JsonArray { Count: >= 2 } p && Number(p[0]) is { } lng && Number(p[1]) is { } lat
            ? (lng, lat)
            : throw new CliException($"{what} must be [longitude, latitude] in degrees.");

    private static JsonObject Time(JsonObject props, string name, string where) => props[name] switch
    {
        JsonObject o => (JsonObject)o.DeepClone(),
        var v when Text(v) is { } text => new JsonObject { ["value"] = text, ["format"] = "RFC3339" },
        _ => throw new CliException($"{where}: {name} is required (an RFC 3339 time with an offset, as a string)."),
    };

    private static string? Text(JsonNode? node) => FileJson.Text(node);

    // A number too large for a double (35.1e3085) reads as infinity, which JSON cannot carry on
    // to the server: it is no coordinate (found by fuzzing).
    private static double? Number(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<double>(out var d) && double.IsFinite(d) ? d : null;
}
