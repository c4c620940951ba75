using System.Diagnostics;
using System.Diagnostics.Metrics;
using BenchmarkDotNet.Attributes;
using Deconflict.Service;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Deconflict.Benchmarks.Service;

/// <summary>
/// What exporting the metrics adds to the paths they measure, with the server's own OpenTelemetry
/// set-up (<see cref="MetricsEndpoint.AddDeconflictMetrics"/>) listening or nobody listening: the
/// writer's four histograms per batch, ASP.NET Core's request duration (five labels) per request,
/// and a rejection counted with its code and party.
/// </summary>
[MemoryDiagnoser]
public class MetricsBenchmarks
{
    private WebApplication? _app;
    private ServiceProvider? _unobserved;
    private WriterMetrics _writer = null!;
    private Histogram<double> _requestDuration = null!;
    private Counter<long> _rejected = null!;

    [Params(false, true)]
    public bool Exported { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        IMeterFactory meters;
        if (Exported)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            builder.AddDeconflictMetrics();
            _app = builder.Build();
            _app.Start();
            meters = _app.Services.GetRequiredService<IMeterFactory>();
        }
        else
        {
            _unobserved = new ServiceCollection().AddMetrics().BuildServiceProvider();
            meters = _unobserved.GetRequiredService<IMeterFactory>();
        }

        _writer = new WriterMetrics(meters);
        _requestDuration = meters.Create("Microsoft.AspNetCore.Hosting").CreateHistogram<double>("http.server.request.duration", "s");
        _rejected = meters.Create(ServiceMetrics.MeterName).CreateCounter<long>("deconflict.requests.rejected", "{request}");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _app?.StopAsync().GetAwaiter().GetResult();
        _app?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _unobserved?.Dispose();
    }

    [Benchmark(Description = "writer batch: 4 histograms")]
    public void WriterBatch() => _writer.Batch(12, 3.5, 1.25, 4.75);

    [Benchmark(Description = "request duration: 5 labels")]
    public void RequestDuration()
    {
        var tags = new TagList
        {
            { "http.request.method", "POST" },
            { "url.scheme", "http" },
            { "network.protocol.version", "1.1" },
            { "http.route", "/v1/operations/" },
            { "http.response.status_code", 201 },
        };
        _requestDuration.Record(0.0042, tags);
    }

    [Benchmark(Description = "rejection: code and party")]
    public void Rejected() =>
        _rejected.Add(1, new KeyValuePair<string, object?>(ServiceMetrics.CodeTag, "not-found"), new KeyValuePair<string, object?>(ServiceMetrics.PartyTag, "blue"));
}
