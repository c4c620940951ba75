using System.Diagnostics.Metrics;
using Deconflict.Service;
using Microsoft.Extensions.DependencyInjection;

namespace Deconflict.Tests.Service;

/// <summary>The writer's queue depth gauge: read from the queue when collected, nothing before the queue reports it.</summary>
public sealed class WriterMetricsTests
{
    private const string Depth = "deconflict.writer.queue_depth";

    [Fact]
    public void The_queue_depth_is_read_from_the_callback_at_each_collection_and_absent_before()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<IMeterFactory>();
        using var depth = new DepthListener(meters);
        var metrics = new WriterMetrics(meters);

        Assert.Empty(depth.Collect());

        var waiting = 7;
        metrics.ObserveQueueDepth(() => waiting);
        Assert.Equal([7], depth.Collect());
        waiting = 0;
        Assert.Equal([0], depth.Collect());
    }

    /// <summary>Listens to the depth gauge of the writer meters of one meter factory only (tests run in parallel).</summary>
    private sealed class DepthListener : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly List<int> _seen = [];

        public DepthListener(IMeterFactory meters)
        {
            _listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Scope == meters && instrument.Meter.Name == WriterMetrics.MeterName && instrument.Name == Depth)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<int>((_, value, _, _) => _seen.Add(value));
            _listener.Start();
        }

        public List<int> Collect()
        {
            _seen.Clear();
            _listener.RecordObservableInstruments();
            return [.. _seen];
        }

        public void Dispose() => _listener.Dispose();
    }
}
