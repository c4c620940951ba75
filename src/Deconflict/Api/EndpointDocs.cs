using Deconflict.Service;
using Microsoft.OpenApi;

namespace Deconflict.Api;

/// <summary>
/// What an endpoint's handler reads from the request by hand (query parameters, headers) and
/// answers besides its success, as endpoint metadata that <see cref="OpenApiDocs"/> turns into the
/// OpenAPI document. The handlers keep their own parsing (their refusals carry the API's codes);
/// this only describes it.
/// </summary>
public static class EndpointDocs
{
    /// <summary>The name of the bearer security scheme in the document.</summary>
    public const string BearerScheme = "bearer";

    /// <summary>The refusals that every JSON body can meet before its own rules (HttpExtensions.ReadJson, JsonBodyRules).</summary>
    private static readonly RefusalReason[] BodyRefusals =
    [
        RefusalReason.InvalidRequest, RefusalReason.InvalidTime, RefusalReason.DuplicateMember, RefusalReason.ControlCharacter,
        RefusalReason.PayloadTooLarge, RefusalReason.UnsupportedMediaType,
    ];

    /// <summary>Marks an endpoint that requires a bearer token.</summary>
    public sealed record TokenRequired;

    /// <summary>The refusals this endpoint may answer (their statuses and codes come from <see cref="Problems"/>).</summary>
    public sealed record Refusals(IReadOnlyList<RefusalReason> Reasons);

    /// <summary>A query parameter or header the handler reads itself.</summary>
    public sealed record Parameter(string Name, ParameterLocation In, string Description, JsonSchemaType Type, bool Required = false, IReadOnlyList<string>? Allowed = null);

    /// <summary>The body may be left out (the handler reads one only when it is sent).</summary>
    public sealed record BodyOptional;

    /// <summary>A header the successful responses carry (those of <see cref="Status"/> only, when given).</summary>
    public sealed record ResponseHeader(string Name, string Description, int? Status = null);

    /// <summary>The successful response's JSON schema, inferred from a value the endpoint would answer (for answers built as anonymous objects).</summary>
    public sealed record Sample(int Status, Func<IServiceProvider, object> Value);

    /// <summary>
    /// The token gate of every /v1 endpoint (<see cref="Authentication.Filter"/>) and its mark in the
    /// document: the bearer scheme, and the refusals the gate gives (401, 429) besides 503.
    /// </summary>
    public static TBuilder RequireToken<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter<TBuilder, Authentication.Filter>().WithMetadata(new TokenRequired());

    /// <summary>The problems (by code) this endpoint may answer besides those every endpoint may.</summary>
    public static TBuilder Refuses<TBuilder>(this TBuilder builder, params RefusalReason[] reasons)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new Refusals(reasons));

    /// <summary>
    /// A JSON request body of <typeparamref name="T"/> (or the other media types given), with the
    /// refusals any body can meet. Routing takes this too: a request whose Content-Type is none of
    /// these is answered 415 before the handler runs.
    /// </summary>
    public static RouteHandlerBuilder AcceptsJson<T>(this RouteHandlerBuilder builder, params string[] otherContentTypes)
        where T : notnull =>
        builder.Accepts<T>("application/json", otherContentTypes).Refuses(BodyRefusals);

    /// <summary>
    /// Documents the body as optional. Only the document changes: routing (Accepts) is left as it is,
    /// and lets a request without a Content-Type through to the handler.
    /// </summary>
    public static RouteHandlerBuilder BodyMayBeOmitted(this RouteHandlerBuilder builder) =>
        builder.WithMetadata(new BodyOptional());

    public static TBuilder WithQuery<TBuilder>(this TBuilder builder, string name, string description, JsonSchemaType type = JsonSchemaType.String, bool required = false, params string[] allowed)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new Parameter(name, ParameterLocation.Query, description, type, required, allowed.Length == 0 ? null : allowed));

    public static TBuilder WithHeader<TBuilder>(this TBuilder builder, string name, string description, bool required = false)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new Parameter(name, ParameterLocation.Header, description, JsonSchemaType.String, required));

    /// <summary>?limit= and ?cursor= (HttpExtensions.Paging).</summary>
    public static TBuilder WithPaging<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder
            .WithQuery("limit", $"Most items in the page: 1 to {HttpExtensions.MaxListLimit}, {HttpExtensions.DefaultListLimit} when not given.", JsonSchemaType.Integer)
            .WithQuery("cursor", "The next_cursor of the previous page, as given (opaque).")
            .Refuses(RefusalReason.InvalidParameter);

    /// <summary>If-Match with the current version (HttpExtensions.IfMatchVersion): 428 without it, 412 when stale.</summary>
    public static TBuilder WithIfMatch<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder
            .WithHeader("If-Match", "The version being changed, as the ETag gave it: \"3\". Without it: 428 precondition-required; stale: 412 version-mismatch.", required: true)
            .Refuses(RefusalReason.PreconditionRequired, RefusalReason.VersionMismatch, RefusalReason.InvalidRequest);

    /// <summary>The success carries ETag: "version".</summary>
    public static TBuilder WithETag<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ResponseHeader("ETag", "The object's version, quoted (\"3\"): send it back as If-Match to change the object."));

    public static TBuilder WithResponseHeader<TBuilder>(this TBuilder builder, int status, string name, string description)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ResponseHeader(name, description, status));

    public static RouteHandlerBuilder ProducesSample(this RouteHandlerBuilder builder, int status, Func<IServiceProvider, object> value) =>
        builder.WithMetadata(new Sample(status, value));
}
