using Deconflict.Api;
using Microsoft.Extensions.Diagnostics.Metrics;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Deconflict.Service;

/// <summary>
/// GET /metrics: the service's measurements in the Prometheus text format, served by
/// OpenTelemetry's exporter, to the admin only. The metrics show every party's activity (its
/// streams, its refused requests), which no party may see of another; they go through the same
/// authentication as every /v1 endpoint, so a party token gets 403 and no token 401.
/// </summary>
public static class MetricsEndpoint
{
    public const string Path = "/metrics";

    /// <summary>The name under which OpenTelemetry registers its <c>IMetricsListener</c>.</summary>
    private const string OpenTelemetryListener = "OpenTelemetry";

    // Meters that each host creates with its own IMeterFactory. They are enabled for this host's
    // meter factory only (MeterScope.Local): OpenTelemetry's AddMeter (and so
    // AddAspNetCoreInstrumentation) listens to every meter of that name in the process, and a
    // process holding several servers (the tests, the demo) would add up the others' requests.
    private static readonly string[] HostMeters =
    [
        ServiceMetrics.MeterName,
        WriterMetrics.MeterName,
        "Microsoft.AspNetCore.Hosting",        // http.server.request.duration by route, method and status
        "Microsoft.AspNetCore.Server.Kestrel", // connections, TLS handshakes, rejected connections
        "Microsoft.AspNetCore.Diagnostics",    // unhandled exceptions
        "Microsoft.AspNetCore.RateLimiting",   // leases and queue of ASP.NET Core's rate limiter
    ];

    public static WebApplicationBuilder AddDeconflictMetrics(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ServiceMetrics>();

        // The runtime's meter (GC, thread pool, exceptions) is the process's, whichever host asks.
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("deconflict", serviceVersion: typeof(MetricsEndpoint).Assembly.GetName().Version?.ToString()))
            .WithMetrics(m => m
            .AddRuntimeInstrumentation()
            .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        foreach (var meter in HostMeters)
        {
            builder.Metrics.EnableMetrics(meter, instrumentName: null, listenerName: OpenTelemetryListener, scopes: MeterScope.Local);
        }

        return builder;
    }

    public static RouteHandlerBuilder MapMetrics(this WebApplication app)
    {
        // Created now, so that its instruments are there at the first scrape.
        app.Services.GetRequiredService<ServiceMetrics>();
        var scrape = ((IEndpointRouteBuilder)app).CreateApplicationBuilder()
            .UseOpenTelemetryPrometheusScrapingEndpoint(meterProvider: null, predicate: _ => true, path: null, configureBranchedPipeline: null, optionsName: null)
            .Build();
        return app.MapGet(Path, async Task<IResult> (HttpContext http) =>
            {
                if (!Authentication.Of(http).IsAdmin)
                {
                    return Problems.ToResult(Refusal.Forbidden("Only the admin may read the metrics: they show every party's activity."));
                }

                await scrape(http);
                return Results.Empty;
            })
            .WithTags("Service")
            .RequireToken()
            .WithSummary("Metrics in the Prometheus text format (admin only)")
            .WithName("getMetrics")
            .Produces<string>(StatusCodes.Status200OK, "text/plain")
            .Refuses(RefusalReason.Forbidden);
    }
}
