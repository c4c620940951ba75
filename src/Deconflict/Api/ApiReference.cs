using Scalar.AspNetCore;

namespace Deconflict.Api;

/// <summary>
/// GET /docs: the interactive API reference (Scalar), served from the package's own embedded
/// assets, loading nothing from another origin and offering nothing that does not exist here.
/// </summary>
public static class ApiReference
{
    public const string Path = "/docs";

    /// <summary>
    /// Everything the page may load or call is this server's: scripts only its own files and the
    /// inline start-up script carrying the per-request nonce; styles its own and those the page
    /// injects; no font, image or request to another origin (Scalar's defaults would fetch its fonts
    /// from fonts.scalar.com and send test requests through proxy.scalar.com).
    /// </summary>
    private const string Policy =
        "default-src 'self'; script-src SCRIPTS; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
        "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'none'; frame-ancestors 'none'";

    public static IEndpointConventionBuilder MapApiReference(this WebApplication app, string openApiRoute)
    {
        // The policy goes on every response under /docs (the page and its scripts); the nonce is the
        // one Scalar generated for this request's page, if it is the page.
        app.UseWhen(http => http.Request.Path.StartsWithSegments(Path), branch => branch.Use((http, next) =>
        {
            http.Response.OnStarting(() =>
            {
                var scripts = http.Items[ScalarOptions.NonceHttpContextItemKey] is string nonce ? $"'self' 'nonce-{nonce}'" : "'self'";
                http.Response.Headers.ContentSecurityPolicy = Policy.Replace("SCRIPTS", scripts, StringComparison.Ordinal);
                http.Response.Headers.XContentTypeOptions = "nosniff";
                return Task.CompletedTask;
            });
            return next(http);
        }));

        return app.MapScalarApiReference(Path, o => o
            .WithTitle("Deconflict API")
            .WithOpenApiRoutePattern(openApiRoute)
            .WithNonce()

            // Fonts from the page's own stylesheet stack, not Scalar's CDN.
            .DisableDefaultFonts()

            // Test requests go straight to this server, never through Scalar's proxy.
            .WithProxy(string.Empty)

            // No services that do not exist here: the AI chat, MCP, the "Deploy"/"Generate SDK"
            // developer toolbar, the client-download button, and Scalar's usage telemetry.
            .DisableAgent()
            .DisableMcp()
            .HideDeveloperTools()
            .HideClientButton()
            .DisableTelemetry()
            .WithDotNetFlag(false)
            .ShowOperationId());
    }
}
