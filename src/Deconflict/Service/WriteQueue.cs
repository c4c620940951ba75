using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Deconflict.Api;
using Deconflict.Core.Model;
using Deconflict.Storage;

namespace Deconflict.Service;

/// <summary>What a write sees while it runs on the writer: the session, the time, and where its events go.</summary>
public sealed class WriteContext(IWriteSession session, TimeProvider time)
{
    private readonly List<StoredEvent> _events = [];

    public IWriteSession Store { get; } = session;

    /// <summary>
    /// The write's time, whole milliseconds: the store keeps times in milliseconds, so an object read
    /// back equals the one its record entry holds (docs/record.md, "Served state").
    /// </summary>
    public DateTimeOffset Now { get; private set; } = Milliseconds(time.GetUtcNow());

    internal IReadOnlyList<StoredEvent> Events => _events;

    /// <summary>Records the event in this write's transaction; it is pushed only after the commit.</summary>
    public StoredEvent Emit(DomainEvent e)
    {
        var stored = Store.AppendEvent(e, Now);
        _events.Add(stored);
        return stored;
    }

    internal void Reset(TimeProvider time)
    {
        _events.Clear();
        Now = Milliseconds(time.GetUtcNow());
    }

    private static DateTimeOffset Milliseconds(DateTimeOffset t) => DateTimeOffset.FromUnixTimeMilliseconds(t.ToUnixTimeMilliseconds());
}

/// <summary>
/// The single writer. Requests queue here; one thread takes every request waiting (up to the batch
/// limit), runs them in one transaction (a refusal that changed something, or a failure, makes the
/// batch run again with a savepoint per request, so it undoes only itself), commits the batch with
/// one fsync, and only then answers the callers and wakes the event streams. One writer makes
/// conflict detection and the write it guards one serialisable step without locks; group commit is
/// what lets it keep up with many concurrent writers (one fsync per batch, not per request).
/// </summary>
public sealed class WriteQueue : IAsyncDisposable
{
    private readonly Channel<IWork> _channel = Channel.CreateUnbounded<IWork>(new UnboundedChannelOptions { SingleReader = true });
    private readonly IDeconflictStore _store;
    private readonly TimeProvider _time;
    private readonly EventHub _hub;
    private readonly int _maxBatch;
    private readonly ILogger _log;
    private readonly Thread _thread;
    private readonly WriterMetrics _metrics;

    /// <param name="meters">Where the writer's measurements go (<see cref="WriterMetrics"/>); the host's factory when there is one.</param>
    public WriteQueue(IDeconflictStore store, TimeProvider time, EventHub hub, DeconflictOptions options, ILogger<WriteQueue> log, IMeterFactory? meters = null)
    {
        _metrics = new WriterMetrics(meters);
        _store = store;
        _time = time;
        _hub = hub;
        _maxBatch = options.MaxWriteBatch;
        _log = log;
        _thread = new Thread(Loop) { IsBackground = true, Name = "deconflict-writer" };
        _thread.Start();
    }

    private interface IWork
    {
        /// <summary>When the request was queued (<see cref="Stopwatch.GetTimestamp"/>).</summary>
        long Queued { get; }

        /// <summary>Runs the write; true when it stands, false when it was refused and must be undone.</summary>
        bool Run(WriteContext context);

        void Fail(Exception e);

        void Complete();
    }

    /// <summary>Queues a write and completes after its batch is durably committed (or it was refused).</summary>
    public Task<Outcome<T>> Submit<T>(Func<WriteContext, Outcome<T>> write)
    {
        var work = new Work<T>(write);
        ObjectDisposedException.ThrowIf(!_channel.Writer.TryWrite(work), this);

        return work.Task;
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Writer.TryComplete();
        await Task.Run(() => _thread.Join(TimeSpan.FromSeconds(30)));
    }

    private void Loop()
    {
        using var session = _store.OpenWriteSession();
        var context = new WriteContext(session, _time);
        var batch = new List<IWork>(_maxBatch);
        var standing = new List<IWork>(_maxBatch);
        var reader = _channel.Reader;
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            batch.Clear();
            while (batch.Count < _maxBatch && reader.TryRead(out var work))
            {
                batch.Add(work);
            }

            RunBatch(session, context, batch, standing);
        }
    }

    private void RunBatch(IWriteSession session, WriteContext context, List<IWork> batch, List<IWork> standing)
    {
        long lastSequence;
        var started = Stopwatch.GetTimestamp();
        try
        {
            session.Begin();
            if (!RunRequests(session, context, batch, standing, savepoints: false, out lastSequence))
            {
                // A refused or failed request changed something: undo the whole batch and run it
                // again with a savepoint around each request, so that one undoes only itself.
                session.Rollback();
                session.Begin();
                RunRequests(session, context, batch, standing, savepoints: true, out lastSequence);
            }

            var ran = Stopwatch.GetTimestamp();
            session.Commit();
            _metrics.Batch(
                batch.Count,
                Stopwatch.GetElapsedTime(batch.Count > 0 ? batch[0].Queued : started, started).TotalMilliseconds,
                Stopwatch.GetElapsedTime(started, ran).TotalMilliseconds,
                Stopwatch.GetElapsedTime(ran).TotalMilliseconds);
        }
        catch (Exception e)
        {
            _log.LogError(e, "A write batch could not be committed; none of it is acknowledged");
            try
            {
                session.Rollback();
            }
            catch (Exception rollback)
            {
                _log.LogError(rollback, "Rollback after a failed commit failed");
            }

            // Every request of the batch, not only those that ran: one that never ran must not
            // wait for ever. A request already answered keeps its answer.
            foreach (var work in batch)
            {
                work.Fail(e);
            }

            return;
        }

        foreach (var work in standing)
        {
            work.Complete();
        }

        if (lastSequence > 0)
        {
            _hub.Published(lastSequence);
        }
    }

    /// <summary>
    /// Runs the batch's requests in the open transaction. Without savepoints (the common case) a
    /// request that stands needs none, and a refusal is decided before anything is written; a
    /// savepoint cost SQLite a copy of every page a request first touched into its sub-journal,
    /// about 12% of the writer's time at 1,000 submissions a second (perf, docs/performance.md).
    /// So without savepoints this gives false, with nothing answered, when a request threw or was
    /// refused after changing something: only a rollback of the batch undoes that. With
    /// savepoints, such a request is undone alone and the others go on.
    /// </summary>
    private bool RunRequests(IWriteSession session, WriteContext context, List<IWork> batch, List<IWork> standing, bool savepoints, out long lastSequence)
    {
        standing.Clear();
        lastSequence = 0;
        foreach (var work in batch)
        {
            context.Reset(_time);
            var before = session.Changes;
            if (savepoints)
            {
                session.Savepoint();
            }

            bool stands;
            try
            {
                stands = work.Run(context);
            }
            catch (Exception e)
            {
                if (!savepoints)
                {
                    // Logged when the batch runs again with savepoints and this request fails alone.
                    return false;
                }

                _log.LogError(e, "A write failed; it alone is undone");
                session.RollbackToSavepoint();
                session.ReleaseSavepoint();
                work.Fail(e);
                continue;
            }

            if (!stands && session.Changes != before)
            {
                if (!savepoints)
                {
                    return false;
                }

                session.RollbackToSavepoint();
            }

            if (savepoints)
            {
                session.ReleaseSavepoint();
            }

            if (stands && context.Events.Count > 0)
            {
                lastSequence = context.Events[^1].Sequence;
            }

            standing.Add(work);
        }

        return true;
    }

    private sealed class Work<T>(Func<WriteContext, Outcome<T>> write) : IWork
    {
        private readonly TaskCompletionSource<Outcome<T>> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public long Queued { get; } = Stopwatch.GetTimestamp();
        private Outcome<T> _result;

        public Task<Outcome<T>> Task => _done.Task;

        public bool Run(WriteContext context)
        {
            _result = write(context);
            return _result.Ok;
        }

        public void Fail(Exception e) => _done.TrySetException(e);

        public void Complete() => _done.TrySetResult(_result);
    }
}
