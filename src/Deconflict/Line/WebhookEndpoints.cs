using Deconflict.Api;

namespace Deconflict.Line;

/// <summary>The key that verifies escalation webhook bodies (docs/webhooks.md).</summary>
public static class WebhookEndpoints
{
    public static IEndpointRouteBuilder MapWebhooks(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/line/webhook-key", (WebhookKey key) => Results.Text(key.VerifierKey + "\n", "text/plain; charset=utf-8"))
            .WithTags("Line").RequireToken()
            .WithSummary("The signed-note verifier key (name+keyhash+base64key) of the escalation webhooks' Deconflict-Signature; not the record's key")
            .WithName("getWebhookKey").Produces<string>(StatusCodes.Status200OK, "text/plain");
        return app;
    }
}
