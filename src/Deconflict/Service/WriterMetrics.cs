using System.Diagnostics.Metrics;

namespace Deconflict.Service;

/// <summary>
/// The single writer's own measurements, as instruments of the meter <see cref="MeterName"/>
/// (read them with <c>dotnet-counters monitor --counters Deconflict.Writer</c> or any
/// OpenTelemetry exporter): how long the oldest request of each batch waited for the writer, how
/// many requests the batch held, how long running them and committing them took, and how many
/// requests wait for the writer. The tail latency of writes is the writer's queue
/// (docs/performance.md); these show where it comes from without a profiler. Times in milliseconds.
/// </summary>
public sealed class WriterMetrics
{
    public const string MeterName = "Deconflict.Writer";

    private readonly Histogram<double> _queueWait;
    private readonly Histogram<int> _batchSize;
    private readonly Histogram<double> _run;
    private readonly Histogram<double> _commit;
    private Func<int>? _depth;

    /// <param name="meters">The host's meter factory; null for a meter of its own (tools and tests without a host).</param>
    public WriterMetrics(IMeterFactory? meters)
    {
        var meter = meters?.Create(MeterName) ?? new Meter(MeterName);
        _queueWait = meter.CreateHistogram<double>("deconflict.writer.queue_wait", "ms", "How long the oldest request of a batch waited for the writer.");
        _batchSize = meter.CreateHistogram<int>("deconflict.writer.batch_size", "{request}", "Requests run and committed together.");
        _run = meter.CreateHistogram<double>("deconflict.writer.run", "ms", "Time to run a batch's requests, before its commit.");
        _commit = meter.CreateHistogram<double>("deconflict.writer.commit", "ms", "Time to commit a batch (its fsync included).");
        meter.CreateObservableUpDownCounter("deconflict.writer.queue_depth", ObserveDepth, "{request}", "Requests queued for the writer, not yet taken into a batch.");
    }

    /// <summary>
    /// Where the queue depth is read from, when a collector asks (a scrape): the queue calls this
    /// once, with a callback that must be cheap and thread-safe. Nothing is reported before.
    /// </summary>
    public void ObserveQueueDepth(Func<int> depth) => Volatile.Write(ref _depth, depth);

    private IEnumerable<Measurement<int>> ObserveDepth() =>
        Volatile.Read(ref _depth) is { } depth ? [new Measurement<int>(depth())] : [];

    public void Batch(int size, double queueWaitMs, double runMs, double commitMs)
    {
        _batchSize.Record(size);
        _queueWait.Record(queueWaitMs);
        _run.Record(runMs);
        _commit.Record(commitMs);
    }
}
