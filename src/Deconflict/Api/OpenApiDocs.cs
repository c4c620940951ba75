using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Deconflict.Service;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Deconflict.Api;

/// <summary>
/// The served OpenAPI document (GET /openapi/v1.json): the parts that hold for many endpoints are
/// added here once, from the metadata of <see cref="EndpointDocs"/>: the info block and tags, the
/// bearer scheme on the endpoints that need a token (and none on the others), the problem+json
/// schema and every refusal an endpoint may answer with its status and codes, the query and header
/// parameters that handlers read themselves, and the schemas of answers built as anonymous objects.
/// </summary>
public static class OpenApiDocs
{
    public const string ProblemSchema = "Problem";

    /// <summary>Refusals every endpoint may answer: the request limits (RequestLimits), checked before routing.</summary>
    private static readonly RefusalReason[] Everywhere = [RefusalReason.UriTooLong, RefusalReason.HeadersTooLarge];

    /// <summary>Refusals of the token gate (Authentication.Filter) and of the store (the exception handler's 503).</summary>
    private static readonly RefusalReason[] Gated = [RefusalReason.Unauthorized, RefusalReason.RateLimited, RefusalReason.StorageUnavailable];

    private static readonly (string Name, string Description)[] Tags =
    [
        ("Parties", "The parties sharing the airspace and their tokens (created and issued by the admin), and their witness keys."),
        ("Operations", "A party's planned flights as ASTM F3548-21 4D volumes; a write returns the conflicts it has with other declarations."),
        ("Zones", "Exclusive, protected or advisory airspace, in the same shape as operations."),
        ("Conflicts", "Overlaps between declarations of different parties, which each side acknowledges or accepts."),
        ("Tracks", "Live positions of a party's own aircraft; never stored, never shown to another party."),
        ("Alerts", "Predicted losses of separation between live tracks, shown to the sides concerned."),
        ("Line", "The deconfliction line: messages between parties, receipts, acknowledgement clocks and escalation."),
        ("Events", "Server-sent events of everything the caller may see, resumable by record index."),
        ("Record", "The signed, append-only record (RFC 9162 Merkle tree): heads, checkpoints, entries, proofs, cosignatures."),
        ("Service", "The parameters in force, health and metrics."),
    ];

    public static IServiceCollection AddDeconflictOpenApi(this IServiceCollection services) =>
        services.AddOpenApi("v1", o =>
        {
            o.AddDocumentTransformer(Document);
            o.AddOperationTransformer(Operation);
            o.AddSchemaTransformer(OmittedNulls);
        });

    /// <summary>
    /// The API leaves null members out (Json.Options: WhenWritingNull), so a member that may be null
    /// is not required, whatever the generator infers from a record's constructor.
    /// </summary>
    private static Task OmittedNulls(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken ct)
    {
        if (schema.Required is not { Count: > 0 } required)
        {
            return Task.CompletedTask;
        }

        var nullable = context.JsonTypeInfo.Properties
            .Where(p => p.PropertyType.IsValueType ? Nullable.GetUnderlyingType(p.PropertyType) is not null : p.IsGetNullable)
            .Select(p => p.Name)
            .Concat((schema.Properties ?? new Dictionary<string, IOpenApiSchema>()).Where(p => MayBeNull(p.Value)).Select(p => p.Key))
            .ToHashSet(StringComparer.Ordinal);
        foreach (var name in required.Where(nullable.Contains).ToList())
        {
            required.Remove(name);
        }

        return Task.CompletedTask;
    }

    private static bool MayBeNull(IOpenApiSchema schema) =>
        (schema.Type is { } type && type.HasFlag(JsonSchemaType.Null))
        || (schema.Enum ?? []).Any(e => e is null || e.GetValueKind() == JsonValueKind.Null)
        || (schema.OneOf ?? []).Concat(schema.AnyOf ?? []).Any(MayBeNull);

    private static Task Document(OpenApiDocument doc, OpenApiDocumentTransformerContext context, CancellationToken ct)
    {
        doc.Info.Title = "Deconflict";
        doc.Info.Version = typeof(OpenApiDocs).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "1.0.0";
        doc.Info.Description =
            "Deconfliction of airspace shared by parties that do not trust each other: strategic (declared operations and zones), " +
            "tactical (live tracks and alerts), a deconfliction line between the parties, and a signed record every party can verify.\n\n" +
            "Every /v1 endpoint needs `Authorization: Bearer <token>`; a token belongs to one party or to the admin. " +
            "Errors are RFC 9457 `application/problem+json` with a stable `code`; a refused request changes nothing.";

        // The server is the one that served the document, without the trailing slash ASP.NET Core gives it.
        foreach (var server in doc.Servers ?? [])
        {
            server.Url = server.Url?.TrimEnd('/') is { Length: > 0 } url ? url : "/";
        }

        doc.Components ??= new OpenApiComponents();
        doc.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        doc.Components.SecuritySchemes[EndpointDocs.BearerScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "A party's or the admin's token: `Authorization: Bearer <token>`. The admin creates parties and issues tokens (POST /v1/parties, POST /v1/parties/{id}/tokens).",
        };
        doc.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        doc.Components.Schemas[ProblemSchema] = Problem();
        doc.Tags = new HashSet<OpenApiTag>(Tags.Select(t => new OpenApiTag { Name = t.Name, Description = t.Description }));
        return Task.CompletedTask;
    }

    /// <summary>RFC 9457 problem details as Problems.ToResult writes them.</summary>
    private static OpenApiSchema Problem() => new()
    {
        Type = JsonSchemaType.Object,
        Description = "RFC 9457 problem details. `code` is stable (the API's contract); other members depend on the code.",
        Required = new HashSet<string> { "type", "title", "status", "detail", "code" },
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["type"] = Text("urn:deconflict:problem:<code>."),
            ["title"] = Text("The code's title."),
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Description = "The HTTP status." },
            ["detail"] = Text("What is wrong and how to fix it, for people."),
            ["code"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The stable error code.", Enum = [.. Codes().Select(c => (JsonNode)JsonValue.Create(c))] },
            ["pointer"] = Text("RFC 6901 JSON pointer to the member of the request body at fault."),
            ["parameter"] = Text("The query parameter or header at fault."),
            [Problems.RetryAfterMember] = new OpenApiSchema { Type = JsonSchemaType.Integer, Description = "Whole seconds to wait before retrying (also sent as Retry-After)." },
            ["trace_id"] = Text("The request's trace id, for the service's logs."),
        },
        AdditionalPropertiesAllowed = true,
    };

    private static OpenApiSchema Text(string description) => new() { Type = JsonSchemaType.String, Description = description };

    /// <summary>Every problem code, one for each refusal reason.</summary>
    private static IEnumerable<string> Codes() =>
        Enum.GetValues<RefusalReason>().Select(Problems.Code).Order(StringComparer.Ordinal);

    private static Task Operation(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var document = context.Document;

        foreach (var p in metadata.OfType<EndpointDocs.Parameter>())
        {
            operation.Parameters ??= [];
            if (operation.Parameters.Any(existing => existing.Name == p.Name && existing.In == p.In))
            {
                continue;
            }

            operation.Parameters.Add(new OpenApiParameter
            {
                Name = p.Name,
                In = p.In,
                Description = p.Description,
                Required = p.Required,
                Schema = new OpenApiSchema { Type = p.Type, Enum = p.Allowed?.Select(a => (JsonNode)JsonValue.Create(a)).ToList() },
            });
        }

        if (operation.RequestBody is OpenApiRequestBody optional && metadata.OfType<EndpointDocs.BodyOptional>().Any())
        {
            optional.Required = false;
        }

        // A body in another media type than JSON (Cursor on Target XML) is text, not the JSON body's schema.
        if (operation.RequestBody?.Content is { } bodies)
        {
            foreach (var (type, media) in bodies)
            {
                if (!type.Contains("json", StringComparison.Ordinal))
                {
                    media.Schema = new OpenApiSchema { Type = JsonSchemaType.String };
                }
            }
        }

        var codes = new List<RefusalReason>();
        var gated = metadata.OfType<EndpointDocs.TokenRequired>().Any();
        if (gated)
        {
            operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(EndpointDocs.BearerScheme, document)] = [] }];
            codes.AddRange(Gated);
        }
        else
        {
            // An empty requirement: this endpoint needs no token.
            operation.Security = [new OpenApiSecurityRequirement()];
        }

        codes.AddRange(metadata.OfType<EndpointDocs.Refusals>().SelectMany(r => r.Reasons));
        codes.AddRange(Everywhere);
        operation.Responses ??= [];
        foreach (var status in codes.Distinct().GroupBy(Problems.Status).OrderBy(g => g.Key))
        {
            var key = status.Key.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var response = new OpenApiResponse
            {
                Description = string.Join("; ", status.Select(r => $"`{Problems.Code(r)}`: {Problems.Title(r)}")),
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    // The problem schema, with `code` narrowed to the codes this operation answers under this status.
                    ["application/problem+json"] = new()
                    {
                        Schema = new OpenApiSchema
                        {
                            AllOf =
                            [
                                new OpenApiSchemaReference(ProblemSchema, document),
                                new OpenApiSchema
                                {
                                    Type = JsonSchemaType.Object,
                                    Properties = new Dictionary<string, IOpenApiSchema>
                                    {
                                        ["code"] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [.. status.Select(r => (JsonNode)JsonValue.Create(Problems.Code(r)))] },
                                    },
                                },
                            ],
                        },
                    },
                },
            };
            if (status.Key == 401)
            {
                response.Headers = new Dictionary<string, IOpenApiHeader>
                {
                    ["WWW-Authenticate"] = new OpenApiHeader { Description = "Bearer: the scheme to authenticate with.", Schema = new OpenApiSchema { Type = JsonSchemaType.String } },
                };
            }

            if (status.Key is 429 or 503)
            {
                response.Headers = new Dictionary<string, IOpenApiHeader>
                {
                    ["Retry-After"] = new OpenApiHeader { Description = "Whole seconds to wait before retrying.", Schema = new OpenApiSchema { Type = JsonSchemaType.Integer } },
                };
            }

            operation.Responses[key] = response;
        }

        foreach (var sample in metadata.OfType<EndpointDocs.Sample>())
        {
            var value = JsonSerializer.SerializeToNode(sample.Value(context.ApplicationServices), Json.Options);
            var key = sample.Status.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var response = operation.Responses.TryGetValue(key, out var found) && found is OpenApiResponse r ? r : new OpenApiResponse { Description = "OK" };
            response.Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = Infer(value) } };
            operation.Responses[key] = response;
        }

        foreach (var header in metadata.OfType<EndpointDocs.ResponseHeader>())
        {
            foreach (var (key, r) in operation.Responses)
            {
                if (key.StartsWith('2') && (header.Status is null || header.Status.ToString() == key) && r is OpenApiResponse response)
                {
                    response.Headers ??= new Dictionary<string, IOpenApiHeader>();
                    response.Headers[header.Name] = new OpenApiHeader { Description = header.Description, Schema = new OpenApiSchema { Type = JsonSchemaType.String } };
                }
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// A schema for a JSON value the endpoint answers: objects with every member present required,
    /// numbers as numbers, arrays by their first item. Used where the answer is an anonymous object
    /// (GET /v1/config), so that the schema follows the code.
    /// </summary>
    private static OpenApiSchema Infer(JsonNode? node) => node switch
    {
        JsonObject o => new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Required = new HashSet<string>(o.Select(m => m.Key)),
            Properties = o.ToDictionary(m => m.Key, m => (IOpenApiSchema)Infer(m.Value)),
        },
        JsonArray a => new OpenApiSchema { Type = JsonSchemaType.Array, Items = a.Count > 0 ? Infer(a[0]) : new OpenApiSchema { Type = JsonSchemaType.String } },
        JsonValue v when v.GetValueKind() == JsonValueKind.String => new OpenApiSchema { Type = JsonSchemaType.String },
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => new OpenApiSchema { Type = JsonSchemaType.Number },
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => new OpenApiSchema { Type = JsonSchemaType.Boolean },
        _ => new OpenApiSchema(),
    };
}
