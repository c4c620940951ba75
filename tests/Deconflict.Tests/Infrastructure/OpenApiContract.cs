using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Deconflict.Tests.Infrastructure;

/// <summary>
/// The served OpenAPI document as a contract to check real answers against: the operation a
/// request reaches, whether its status and media type are among that operation's documented
/// responses, and whether its JSON body validates against the documented schema (types, required
/// members, enums, items, oneOf/anyOf/allOf, through $ref). Only the JSON Schema the ASP.NET Core
/// generator and the document transformers write is understood; formats and patterns are not checked.
/// </summary>
public sealed class OpenApiContract(JsonObject document)
{
    private readonly List<(string Template, Regex Pattern, JsonObject Item)> _paths = [.. document["paths"]!.AsObject()
        .Select(p => (p.Key, new Regex("^" + Regex.Replace(Regex.Escape(p.Key), @"\\\{[^}]+}", "[^/]+") + "$"), p.Value!.AsObject()))

        // A literal segment wins over a template one (/v1/alerts/status before /v1/alerts/{id}).
        .OrderBy(p => p.Key.Count(c => c == '{'))];

    public JsonObject Document => document;

    /// <summary>The documented operation for a method and a request path (without the query).</summary>
    public (string Template, JsonObject Operation) Operation(string method, string path)
    {
        var absolute = "/" + path.Split('?')[0].TrimStart('/');
        foreach (var (template, pattern, item) in _paths)
        {
            if (pattern.IsMatch(absolute) && item[method.ToLowerInvariant()] is JsonObject op)
            {
                return (template, op);
            }
        }

        throw new Xunit.Sdk.XunitException($"The document has no operation for {method} {absolute}.");
    }

    /// <summary>The reasons why an answer does not match the document: empty when it does.</summary>
    public List<string> Check(string method, string path, int status, string? mediaType, string body)
    {
        var (template, op) = Operation(method, path);
        var where = $"{method} {path} ({op["operationId"]}, {template}) answered {status}";
        var responses = op["responses"]!.AsObject();
        if (responses[status.ToString(System.Globalization.CultureInfo.InvariantCulture)] is not JsonObject response)
        {
            return [$"{where}, which is not among its documented responses ({string.Join(", ", responses.Select(r => r.Key))})"];
        }

        var content = response["content"] as JsonObject;
        if (content is null || content.Count == 0)
        {
            return body.Length == 0 ? [] : [$"{where} with a body ({mediaType}), but the response documents none"];
        }

        if (mediaType is null || content[mediaType] is not JsonObject media)
        {
            return [$"{where} as {mediaType ?? "no media type"}, but the response documents {string.Join(", ", content.Select(c => c.Key))}"];
        }

        if (!mediaType.Contains("json", StringComparison.Ordinal) || media["schema"] is not JsonObject schema)
        {
            return [];
        }

        var errors = new List<string>();
        Validate(JsonNode.Parse(body), schema, "", errors);
        return [.. errors.Select(e => $"{where}: {e}")];
    }

    private JsonObject Resolve(JsonObject schema)
    {
        while (schema["$ref"]?.GetValue<string>() is { } reference)
        {
            JsonNode node = document;
            foreach (var part in reference.TrimStart('#', '/').Split('/'))
            {
                node = node[part.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)]
                    ?? throw new Xunit.Sdk.XunitException($"The document's {reference} does not resolve.");
            }

            schema = node.AsObject();
        }

        return schema;
    }

    private void Validate(JsonNode? value, JsonObject schema, string at, List<string> errors)
    {
        schema = Resolve(schema);
        var pointer = at.Length == 0 ? "/" : at;
        if ((schema["oneOf"] ?? schema["anyOf"]) is JsonArray alternatives)
        {
            var passing = alternatives.Count(s => Errors(value, s!.AsObject(), at).Count == 0);
            if (passing == 0)
            {
                errors.Add($"{pointer} matches none of the documented alternatives: {Short(value)}");
            }
        }

        if (schema["allOf"] is JsonArray allOf)
        {
            foreach (var s in allOf)
            {
                Validate(value, s!.AsObject(), at, errors);
            }
        }

        if (schema["type"] is { } type)
        {
            var allowed = type is JsonArray types ? types.Select(t => t!.GetValue<string>()).ToList() : [type.GetValue<string>()];
            var kind = Kind(value);
            if (!allowed.Contains(kind) && !(kind == "integer" && allowed.Contains("number")))
            {
                errors.Add($"{pointer} is {kind}, documented as {string.Join(" or ", allowed)}: {Short(value)}");
                return;
            }
        }

        if (schema["enum"] is JsonArray values && !values.Any(v => JsonNode.DeepEquals(v, value)))
        {
            errors.Add($"{pointer} is {Short(value)}, not one of the documented values {values.ToJsonString()}");
        }

        if (value is JsonObject obj)
        {
            foreach (var name in (schema["required"] as JsonArray ?? []).Select(r => r!.GetValue<string>()))
            {
                if (!obj.ContainsKey(name))
                {
                    errors.Add($"{at}/{name} is required by the document but missing");
                }
            }

            var properties = schema["properties"] as JsonObject;
            foreach (var (name, member) in obj)
            {
                if (properties?[name] is JsonObject property)
                {
                    Validate(member, property, $"{at}/{name}", errors);
                }
                else if (schema["additionalProperties"] is JsonObject extra)
                {
                    Validate(member, extra, $"{at}/{name}", errors);
                }
                else if (properties is not null && schema["additionalProperties"] is JsonValue v && v.GetValueKind() == JsonValueKind.False)
                {
                    errors.Add($"{at}/{name} is not a documented member");
                }
            }
        }

        if (value is JsonArray array && schema["items"] is JsonObject items)
        {
            for (var i = 0; i < array.Count; i++)
            {
                Validate(array[i], items, $"{at}/{i}", errors);
            }
        }
    }

    private List<string> Errors(JsonNode? value, JsonObject schema, string at)
    {
        var errors = new List<string>();
        Validate(value, schema, at, errors);
        return errors;
    }

    private static string Kind(JsonNode? value) => value switch
    {
        null => "null",
        JsonObject => "object",
        JsonArray => "array",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.True or JsonValueKind.False => "boolean",
            JsonValueKind.Number => v.ToJsonString().Contains('.', StringComparison.Ordinal) || v.ToJsonString().Contains('e', StringComparison.OrdinalIgnoreCase) ? "number" : "integer",
            _ => "null",
        },
        _ => "unknown",
    };

    private static string Short(JsonNode? value)
    {
        var text = value?.ToJsonString() ?? "null";
        return text.Length > 120 ? text[..120] + "..." : text;
    }
}
