using System.Diagnostics.Metrics;
using Deconflict.Service;
using Deconflict.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

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

    [Fact(Skip = "Enable when WriteQueue reports its depth: _metrics.ObserveQueueDepth(...) (hard/writer)")]
    public async Task Requests_waiting_behind_a_busy_writer_are_its_queue_depth()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<IMeterFactory>();
        using var depth = new DepthListener(meters);
        var directory = Path.Combine(Path.GetTempPath(), "deconflict-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        await using var store = new SqliteStore(Path.Combine(directory, "store.db"));
        store.Migrate();
        var queue = new WriteQueue(store, TimeProvider.System, new EventHub(), new DeconflictOptions(), NullLogger<WriteQueue>.Instance, meters);
        try
        {
            using var running = new SemaphoreSlim(0);
            using var release = new ManualResetEventSlim();
            var busy = queue.Submit<bool>(_ =>
            {
                running.Release();
                release.Wait();
                return true;
            });
            await running.WaitAsync();
            var waiting = Enumerable.Range(0, 3).Select(_ => queue.Submit<bool>(_ => true)).ToList();

            Assert.Equal([3], depth.Collect());

            release.Set();
            await busy;
            await Task.WhenAll(waiting);
            Assert.Equal([0], depth.Collect());
        }
        finally
        {
            await queue.DisposeAsync();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
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
