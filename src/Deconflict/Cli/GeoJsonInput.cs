using System.Text.Json;
using System.Text.Json.Nodes;
using Deconflict.Core.Geometry;
using Deconflict.Core.Volumes;
using Deconflict.Service;

namespace Deconflict.Cli;

/// <summary>
/// Turns a file given to `op submit` into an operation body: an F3548 body (with "volumes") as it
/// is, or a GeoJSON Feature / FeatureCollection (RFC 7946) whose features are the volumes. A
/// feature's geometry is a Polygon (one ring, closed as GeoJSON requires; holes are refused) or a
/// Point with a "radius" property; its properties give altitude_lower, altitude_upper (with
/// units and reference, never assumed; the units and references the API takes, FL and NM
/// included), time_start and time_end. Anything else in the file's shape is refused with a
/// <see cref="CliException"/> naming the place by its pointer in the file (found by fuzzing: a
/// number where a string belongs, a null feature, a position that is not [lng, lat], a
/// duplicate key).
/// </summary>
public static partial class GeoJsonInput
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
            var pointer = broken.Facts?.GetValueOrDefault("pointer");
            throw new CliException($"{name}: {broken.Detail} ({Api.Problems.Code(broken.Reason)} at {pointer})");
        }

        try
        {
            return JsonNode.Parse(utf8, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false })
                ?? throw new CliException($"{name} holds JSON null, not an operation.");
        }
        catch (JsonException)
        {
            var why = Api.JsonBodyErrors.NotWellFormed(utf8)?.Detail.Replace("The body", name, StringComparison.Ordinal);
            throw new CliException(why ?? $"{name} is not well-formed JSON.");
        }
        catch (InvalidOperationException)
        {
            // As in RecordSources: the duplicate-member check's refusal of a lone surrogate escape in a member name.
            throw new CliException($"{name} is not valid JSON: a member name holds a lone surrogate escape (\\ud800).");
        }
    }

    /// <summary>
    /// The operation body the file stands for. A GeoJSON file is converted and then checked here
    /// under the server's own rules for a body and a volume (JSON shape, units, references, outline,
    /// times; the size limits stay the server's), so that a mistake is reported as a place in the
    /// user's file, e.g. <c>/features/0/properties/altitude_lower</c>, not in the converted body.
    /// An F3548 body is the body: the server's pointers are already places in the file.
    /// </summary>
    public static JsonObject ToOperationBody(JsonNode file)
    {
        JsonObject body;
        try
        {
            body = Convert(file);
        }
        catch (Exception e) when (e is InvalidOperationException or NullReferenceException or ArgumentOutOfRangeException)
        {
            // A member of the wrong type (a string where coordinates belong) or a missing one deep inside.
            throw new CliException("The file is not an F3548 body or a GeoJSON Feature or FeatureCollection: a member is missing or has the wrong type (coordinates are [lng, lat] numbers, times are strings).");
        }

        if (!ReferenceEquals(body, file))
        {
            try
            {
                Check(body, file);
            }
            catch (InvalidOperationException)
            {
                // As in Read: a string escape that is no text (\ud800), met when the body is written out.
                throw new CliException("The file holds a string that is not text: an escape of half a surrogate pair, such as \\ud800, alone.");
            }
        }

        return body;
    }

    /// <summary>
    /// A server's refusal of a body made from <paramref name="file"/> with its pointers into the
    /// body (<c>/volumes/0/volume/altitude_lower/units</c>) replaced by the places in the file they
    /// came from (<c>/features/0/properties/altitude_lower/units</c>), or the feature when the
    /// member has no counterpart there.
    /// </summary>
    public static string InFile(JsonNode file, string refusal)
    {
        if (file is JsonObject root && root.ContainsKey("volumes"))
        {
            return refusal;
        }

        return VolumePointer().Replace(refusal, m => FilePointer(file, m.Value) ?? m.Value);
    }

    /// <summary>The server's checks of a body and its volumes, run on the converted body, each refusal placed in the file.</summary>
    private static void Check(JsonObject body, JsonNode file)
    {
        var utf8 = System.Text.Encoding.UTF8.GetBytes(body.ToJsonString());
        Refusal? refused = null;
        Api.OperationBody? parsed = null;
        try
        {
            parsed = JsonSerializer.Deserialize<Api.OperationBody>(utf8, Api.Json.Options);
        }
        catch (JsonException e)
        {
            refused = Api.JsonBodyErrors.Explain(e, utf8, typeof(Api.OperationBody), Api.Json.Options);
        }

        if (refused is not null)
        {
            var pointer = refused.Facts?.GetValueOrDefault("pointer") as string ?? "/";
            var place = FilePointer(file, pointer) ?? pointer;
            var detail = refused.Detail.Replace(pointer, place, StringComparison.Ordinal);
            throw new CliException(detail.StartsWith(place, StringComparison.Ordinal) ? detail : $"{place}: {detail}");
        }

        for (var i = 0; i < (parsed?.Volumes?.Count ?? 0); i++)
        {
            var result = VolumeParser.Parse(parsed!.Volumes![i], LocalLimits);
            if (result.Error is { } limit && (limit.Code == VolumeParser.LimitExceeded || limit.Detail.Contains("the limit is", StringComparison.Ordinal)))
            {
                // A size limit is the server's to apply (its configuration may differ from the defaults): it decides, and its refusal is translated.
                return;
            }

            if (result.Error is { } e)
            {
                var pointer = $"/volumes/{i}{e.Pointer}";
                throw new CliException($"{FilePointer(file, pointer) ?? pointer}: {e.Detail}");
            }
        }
    }

    /// <summary>
    /// The default limits: the outline work stays within the extent it is accurate and safe for,
    /// and an outline over any limit is not refused here but sent, for the server to judge under
    /// the limits it was given.
    /// </summary>
    private static readonly GeometryLimits LocalLimits = new();

    /// <summary>
    /// Where in the GeoJSON file a pointer into the converted body came from: a volume's altitudes,
    /// radius and times are the feature's properties of the same name (a time given as a string is
    /// the property itself), its outline is the feature's geometry (a vertex is a position of the
    /// ring, lat its [1] and lng its [0]), and the operation's own members are the first feature's
    /// properties. Null when the pointer is not into the body's volumes or members.
    /// </summary>
    private static string? FilePointer(JsonNode file, string pointer)
    {
        var collection = file is JsonObject root && FileJson.Text(root["type"]) == "FeatureCollection";
        string Feature(int k) => collection ? $"/features/{k}" : string.Empty;
        var tokens = pointer.TrimStart('/').Split('/');
        if (tokens[0] != "volumes")
        {
            return tokens[0] is "priority" or "state" or "details" or "known" ? Feature(0) + "/properties" + pointer : null;
        }

        if (tokens.Length < 2 || !int.TryParse(tokens[1], System.Globalization.CultureInfo.InvariantCulture, out var k))
        {
            return collection ? "/features" : "/";
        }

        var feature = Feature(k);
        var rest = tokens[2..];
        switch (rest)
        {
            case []:
                return feature.Length == 0 ? "/" : feature;
            case ["time_start" or "time_end", ..]:
                var asText = FileJson.Text((collection ? file["features"]?[k] : file)?["properties"]?[rest[0]]) is not null;
                return $"{feature}/properties/{rest[0]}" + (asText || rest.Length == 1 ? string.Empty : "/" + string.Join('/', rest[1..]));
            case ["volume", "altitude_lower" or "altitude_upper", ..]:
                return $"{feature}/properties/" + string.Join('/', rest[1..]);
            case ["volume", "outline_circle", "radius", ..]:
                return $"{feature}/properties/" + string.Join('/', rest[2..]);
            case ["volume", "outline_circle", "center", ..]:
                return $"{feature}/geometry/coordinates" + (rest.Length > 3 ? (rest[3] == "lat" ? "/1" : "/0") : string.Empty);
            case ["volume", "outline_polygon", "vertices"]:
                return $"{feature}/geometry/coordinates/0";
            case ["volume", "outline_polygon", "vertices", var j, ..]:
                return $"{feature}/geometry/coordinates/0/{j}" + (rest.Length > 4 ? (rest[4] == "lat" ? "/1" : "/0") : string.Empty);
            case ["volume", "outline_polygon", ..] or ["volume", "outline_circle", ..]:
                return $"{feature}/geometry";
            default:
                return feature.Length == 0 ? "/" : feature;
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"/volumes(/[A-Za-z0-9_~.\-]+)*")]
    private static partial System.Text.RegularExpressions.Regex VolumePointer();

    private static JsonObject Convert(JsonNode file)
    {
        if (file is not JsonObject root)
        {
            throw new CliException("/: the file must hold a JSON object: an F3548 body (with \"volumes\") or a GeoJSON Feature or FeatureCollection.");
        }

        if (root.ContainsKey("volumes"))
        {
            return root;
        }

        var features = Text(root["type"]) switch
        {
            "Feature" => [(root, string.Empty)],
            "FeatureCollection" => root["features"] is JsonArray list
                ? list.Select((f, i) => (f as JsonObject ?? throw new CliException($"/features/{i}: a feature must be a JSON object (a GeoJSON Feature)."), $"/features/{i}")).ToList()
                : throw new CliException("/features: a FeatureCollection needs features (an array of Features)."),
            _ => throw new CliException("/type: the file is neither an F3548 body (with \"volumes\") nor a GeoJSON Feature or FeatureCollection (type \"Feature\" or \"FeatureCollection\")."),
        };
        if (features.Count == 0)
        {
            throw new CliException("/features: the FeatureCollection has no features; each feature is one volume.");
        }

        var volumes = new JsonArray();
        foreach (var (feature, at) in features)
        {
            volumes.Add(ToVolume(feature, at));
        }

        var body = new JsonObject { ["volumes"] = volumes };
        var first = features[0].Item1["properties"] as JsonObject;
        foreach (var name in new[] { "priority", "state", "details", "known" })
        {
            if (first?[name] is { } value)
            {
                body[name] = value.DeepClone();
            }
        }

        return body;
    }

    /// <summary>One feature as a volume; <paramref name="at"/> is the feature's pointer in the file ("" for a lone Feature), which every refusal names.</summary>
    private static JsonObject ToVolume(JsonObject feature, string at)
    {
        var props = feature["properties"] as JsonObject ?? throw new CliException($"{at}/properties: properties are required (altitude_lower and altitude_upper with units, time_start and time_end).");
        var geometry = feature["geometry"] as JsonObject ?? throw new CliException($"{at}/geometry: geometry is required (a Polygon, or a Point with a radius property).");
        var volume = new JsonObject();
        switch (Text(geometry["type"]))
        {
            case "Polygon":
                var rings = geometry["coordinates"] as JsonArray ?? throw new CliException($"{at}/geometry/coordinates: a Polygon needs coordinates (an array of rings).");
                if (rings.Count != 1)
                {
                    throw new CliException($"{at}/geometry/coordinates: a Polygon with holes cannot be a volume outline (it has {rings.Count} rings; give one).");
                }

                var positions = rings[0] as JsonArray ?? throw new CliException($"{at}/geometry/coordinates/0: the Polygon's ring must be an array of positions.");
                var ring = positions.Select((p, i) => Position(p, $"{at}/geometry/coordinates/0/{i}")).ToList();
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
                var c = Position(geometry["coordinates"], $"{at}/geometry/coordinates");
                volume["outline_circle"] = new JsonObject
                {
                    ["center"] = new JsonObject { ["lat"] = c.Lat, ["lng"] = c.Lng },
                    ["radius"] = props["radius"]?.DeepClone() ?? throw new CliException($"{at}/properties/radius: a Point needs a radius property with units, e.g. {{\"value\": 5, \"units\": \"NM\"}} (M, FT, KM or NM)."),
                };
                break;
            default:
                throw new CliException($"{at}/geometry/type: geometry must be a Polygon or a Point with a radius property.");
        }

        foreach (var name in new[] { "altitude_lower", "altitude_upper" })
        {
            volume[name] = props[name]?.DeepClone() ?? throw new CliException(
                $"{at}/properties/{name}: {name} is required, with value, reference and units, e.g. {{\"value\": 150, \"units\": \"FL\"}} or {{\"value\": 3000, \"reference\": \"W84\", \"units\": \"M\"}}.");
        }

        return new JsonObject
        {
            ["volume"] = volume,
            ["time_start"] = Time(props, "time_start", at),
            ["time_end"] = Time(props, "time_end", at),
        };
    }

    /// <summary>A GeoJSON position: [longitude, latitude] in degrees, an optional altitude after them.</summary>
    private static (double Lng, double Lat) Position(JsonNode? node, string what) =>
        node is JsonArray { Count: >= 2 } p && Number(p[0]) is { } lng && Number(p[1]) is { } lat
            ? (lng, lat)
            : throw new CliException($"{what}: a position must be [longitude, latitude] in degrees (numbers).");

    private static JsonObject Time(JsonObject props, string name, string where) => props[name] switch
    {
        JsonObject o => (JsonObject)o.DeepClone(),
        var v when Text(v) is { } text => new JsonObject { ["value"] = text, ["format"] = "RFC3339" },
        _ => throw new CliException($"{where}/properties/{name}: {name} is required (an RFC 3339 time with an offset, as a string, such as \"2026-11-26T09:00:00Z\")."),
    };

    private static string? Text(JsonNode? node) => FileJson.Text(node);

    // A number too large for a double (35.1e3085) reads as infinity, which JSON cannot carry on
    // to the server: it is no coordinate (found by fuzzing).
    private static double? Number(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<double>(out var d) && double.IsFinite(d) ? d : null;
}
