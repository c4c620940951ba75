using System.Diagnostics;
using System.Diagnostics.Metrics;
using Deconflict.Cluster;
using Deconflict.Conflicts;
using Deconflict.Core.Model;
using Deconflict.Declarations;
using Deconflict.Storage;
using Deconflict.Storage.Sqlite;

namespace Deconflict.Service;

/// <summary>
/// What a write sees while it runs on the writer: the store's unit of work, the time, and the
/// record its events go to. It also runs the transaction for the writer, the store's and the
/// writer's own in-memory state's (the record log, and the indexes of live declarations and
/// conflicts where the store has one writer) together, so a rollback undoes all of it.
/// </summary>
public sealed class WriteContext
{
    private readonly List<StoredEvent> _events = [];
    private readonly RecordLog _record = new();

    // Undo steps of the live indexes' changes in the open transaction (the record log keeps its own).
    private readonly UndoJournal _journal = new();
    private readonly LiveDeclarations? _liveDeclarations;
    private readonly LiveConflicts? _liveConflicts;
    private int _savepointMark;
    private int _journalMark;

    /// <param name="soleWriter">The store has one writer (<see cref="IDeconflictStore.SoleWriter"/>): keep the live indexes in memory.</param>
    public WriteContext(IWriteSession session, TimeProvider time, bool soleWriter)
    {
        Store = session;
        Now = Milliseconds(time.GetUtcNow());
        if (soleWriter)
        {
            _liveDeclarations = new LiveDeclarations(session.Declarations, _journal);
            _liveConflicts = new LiveConflicts(session.Conflicts, _journal);
        }

        Declarations = _liveDeclarations ?? session.Declarations;
        Conflicts = _liveConflicts ?? session.Conflicts;
    }

    /// <summary>The store's unit of work: its repositories read and write in the open transaction.</summary>
    public IWriteSession Store { get; }

    /// <summary>Operations and zones: the store's repository, or, with one writer, it behind the writer's live index.</summary>
    public IDeclarationRepository Declarations { get; }

    /// <summary>Strategic conflicts: the store's repository, or, with one writer, it behind the writer's live index.</summary>
    public IConflictRepository Conflicts { get; }

    /// <summary>The record as this write's transaction stands (its size and root).</summary>
    public RecordLog Record => _record;

    /// <summary>
    /// The write's time, whole milliseconds: the store keeps times in milliseconds, so an object read
    /// back equals the one its record entry holds (docs/record.md, "Served state").
    /// </summary>
    public DateTimeOffset Now { get; private set; }

    internal IReadOnlyList<StoredEvent> Events => _events;

    /// <summary>Records the event in this write's transaction; it is pushed only after the commit.</summary>
    public async ValueTask<StoredEvent> EmitAsync(DomainEvent e)
    {
        var stored = await _record.AppendAsync(Store.Record, e, Now);
        _events.Add(stored);
        return stored;
    }

    internal void Reset(TimeProvider time)
    {
        _events.Clear();
        Now = Milliseconds(time.GetUtcNow());
    }

    internal async ValueTask BeginAsync()
    {
        _journal.Clear();
        await Store.BeginAsync();
        await _record.BeginAsync(Store.Record);
        if (_liveDeclarations is not null)
        {
            await _liveDeclarations.BeginAsync();
            await _liveConflicts!.BeginAsync();
        }
    }

    internal async ValueTask CommitAsync()
    {
        await Store.CommitAsync();
        _record.Committed();
        _journal.Clear();
    }

    internal ValueTask RollbackAsync()
    {
        _record.Undo(0);
        _journal.Undo(0);
        return Store.RollbackAsync();
    }

    internal ValueTask SavepointAsync()
    {
        _savepointMark = _record.Mark;
        _journalMark = _journal.Mark;
        return Store.SavepointAsync();
    }

    internal ValueTask RollbackToSavepointAsync()
    {
        _record.Undo(_savepointMark);
        _journal.Undo(_journalMark);
        return Store.RollbackToSavepointAsync();
    }

    internal ValueTask ReleaseSavepointAsync() => Store.ReleaseSavepointAsync();

    private static DateTimeOffset Milliseconds(DateTimeOffset t) => DateTimeOffset.FromUnixTimeMilliseconds(t.ToUnixTimeMilliseconds());
}

/// <summary>
/// The single writer. Requests queue here; one thread takes every request waiting (up to the batch
/// limit), runs them in one transaction (a refusal that changed something, or a failure, makes the
/// batch run again with a savepoint per request, so it undoes only itself), commits the batch with
/// one fsync, and only then answers the callers and wakes the event streams. One writer makes
/// conflict detection and the write it guards one serialisable step without locks; group commit is
/// what lets it keep up with many concurrent writers (one fsync per batch, not per request).
/// <para>
/// The queue is bounded and shared fairly (<see cref="WriterOptions"/>): each request names the
/// party it is for, and one over its party's share is refused at once with 429; the writer fills a
/// batch taking one request of each waiting party in turn (round robin), so one party's backlog
/// delays another's request by at most one batch. The service's own work (party null) is never
/// refused. One lock guards the lanes: a submission takes it once (tens of nanoseconds
/// uncontended, against the writer's hundreds of microseconds per request), and the writer takes
/// it once per batch (WriteQueueBenchmarks, docs/performance.md).
/// </para>
/// </summary>
public sealed class WriteQueue : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly Lane _service = new(null);
    private readonly Dictionary<string, Lane> _lanes = new(StringComparer.Ordinal);

    // Lanes with requests waiting, in the order the writer serves them; _turn is the next to serve.
    private readonly List<Lane> _ready = [];
    private int _turn;
    private int _partyWaiting;
    private int _partiesWaiting;
    private int _peakPartyWaiting;
    private bool _writerIdle;

    // The writer's own empty queue to swap into a lane it takes whole (Take); only the writer touches it.
    private Queue<IWork>? _spare;
    private readonly ManualResetEventSlim _wake = new();
    private bool _closed;
    private volatile string? _fault;

    private readonly IDeconflictStore _store;
    private readonly TimeProvider _time;
    private readonly EventHub _hub;
    private readonly int _maxBatch;
    private readonly WriterOptions _limits;
    private readonly ILogger _log;
    private readonly Thread _thread;
    private readonly WriterMetrics _metrics;
    private readonly IClusterState _cluster;

    /// <param name="meters">Where the writer's measurements go (<see cref="WriterMetrics"/>); the host's factory when there is one.</param>
    /// <param name="cluster">The live nodes a party's share of the queue is divided over (<see cref="ClusterShare"/>); none: one node.</param>
    public WriteQueue(IDeconflictStore store, TimeProvider time, EventHub hub, DeconflictOptions options, ILogger<WriteQueue> log, IMeterFactory? meters = null, IClusterState? cluster = null)
    {
        _cluster = cluster ?? new SingleNode();
        _metrics = new WriterMetrics(meters);
        _metrics.ObserveQueueDepth(() => Waiting);
        _store = store;
        _time = time;
        _hub = hub;
        _maxBatch = options.MaxWriteBatch;
        _limits = options.Writer;
        _log = log;
        _thread = new Thread(Loop) { IsBackground = true, Name = "deconflict-writer" };
        _thread.Start();
    }

    private interface IWork
    {
        /// <summary>When the request was queued (<see cref="Stopwatch.GetTimestamp"/>).</summary>
        long Queued { get; }

        /// <summary>Runs the write; true when it stands, false when it was refused and must be undone.</summary>
        ValueTask<bool> RunAsync(WriteContext context);

        void Fail(Exception e);

        void Complete();
    }

    /// <summary>Requests of parties waiting for the writer now (the service's own are not counted).</summary>
    public int Waiting
    {
        get
        {
            lock (_gate)
            {
                return _partyWaiting;
            }
        }
    }

    /// <summary>The most requests of parties that ever waited at once: never more than <see cref="WriterOptions.MaxQueued"/>.</summary>
    public int PeakWaiting
    {
        get
        {
            lock (_gate)
            {
                return _peakPartyWaiting;
            }
        }
    }

    /// <summary>Requests of <paramref name="party"/> waiting for the writer now.</summary>
    public int WaitingFor(string party)
    {
        lock (_gate)
        {
            return _lanes.TryGetValue(party, out var lane) ? lane.Items.Count : 0;
        }
    }

    /// <summary>
    /// Why the writer cannot write, or null while it can: set when a batch fails to commit or a
    /// write fails in the store (<see cref="StorageFault"/>), cleared when a batch that changed
    /// something commits. Reported by /healthz.
    /// </summary>
    public string? Fault => _fault;

    /// <summary>
    /// Queues a write for <paramref name="party"/> (null: the service's own work or the admin's,
    /// never refused) and completes after its batch is durably committed, or at once with 429
    /// <c>rate-limited</c> when the party is over its share of the queue (nothing ran).
    /// </summary>
    public Task<Outcome<T>> Submit<T>(string? party, Func<WriteContext, ValueTask<Outcome<T>>> write) => Enqueue(party, new Work<T>(write, null));

    /// <summary>
    /// Queues a write of a background duty that holds the lease of <paramref name="epoch"/>
    /// (<see cref="LeaseGate.Epoch"/>; the service's own work, never refused). It runs only while
    /// that is the lease's epoch in the store, read in the write's own transaction
    /// (<see cref="IWriteSession.LeaseEpoch"/>): otherwise it writes nothing, and the task fails
    /// with <see cref="LeaseFencedException"/> once its batch is committed. Null: no fence, for a
    /// duty run by hand.
    /// </summary>
    public Task<Outcome<T>> SubmitDuty<T>(long? epoch, Func<WriteContext, ValueTask<Outcome<T>>> write) => Enqueue(null, new Work<T>(write, epoch));

    private Task<Outcome<T>> Enqueue<T>(string? party, Work<T> work)
    {
        bool wake;
        (int Waiting, int Parties, bool Full)? over = null;
        // A party's share is the cluster's, divided over the live nodes (ClusterShare); the bound on
        // the whole queue is this node's memory, so it stays whole.
        var nodes = party is null ? 1 : _cluster.LiveNodes;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            var lane = party is null ? _service : PartyLane(party);
            if (party is not null)
            {
                var parties = _partiesWaiting + (lane.Items.Count == 0 ? 1 : 0);
                if (_partyWaiting >= _limits.MaxQueued || lane.Items.Count >= ClusterShare.Of(_limits.Share(parties), nodes))
                {
                    over = (lane.Items.Count, parties, _partyWaiting >= _limits.MaxQueued);
                }
            }

            if (over is null)
            {
                Admit(party, lane, work);
            }

            wake = over is null && _writerIdle;
            if (wake)
            {
                _writerIdle = false;
            }
        }

        if (over is { } o)
        {
            // The sentence is made outside the lock: under a flood, refusals are most requests.
            return Task.FromResult(Refused<T>(party!, o.Waiting, o.Parties, o.Full, nodes));
        }

        // Outside the lock, so the writer does not wake only to wait for it.
        if (wake)
        {
            _wake.Set();
        }

        return work.Task;
    }

    /// <summary>Queues the work in its lane and counts it. Under the lock.</summary>
    private void Admit(string? party, Lane lane, IWork work)
    {
        if (party is not null)
        {
            if (++_partyWaiting > _peakPartyWaiting)
            {
                _peakPartyWaiting = _partyWaiting;
            }

            if (lane.Items.Count == 0)
            {
                _partiesWaiting++;
            }
        }

        if (lane.Items.Count == 0)
        {
            _ready.Add(lane);
        }

        lane.Items.Enqueue(work);
    }

    private Lane PartyLane(string party)
    {
        if (!_lanes.TryGetValue(party, out var lane))
        {
            lane = new Lane(party);
            _lanes.Add(party, lane);
        }

        return lane;
    }

    /// <summary>The 429 for a write over its party's share, or over the whole queue's bound.</summary>
    private Outcome<T> Refused<T>(string party, int waiting, int parties, bool full, int nodes) => Refusal.Retry(
        RefusalReason.RateLimited,
        full
            ? $"The writer's queue holds its limit of {_limits.MaxQueued} writes of parties; party '{party}' has {waiting} of them. Nothing was changed."
            : $"Party '{party}' already has {waiting} write(s) waiting for the writer, its share of the {_limits.MaxQueued} the queue holds while {parties} part{(parties == 1 ? "y writes" : "ies write")}{(nodes > 1 ? $", divided over {nodes} nodes" : string.Empty)}. Nothing was changed.",
        _limits.RetryAfter);

    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            _closed = true;
        }

        _wake.Set();

        if (await Task.Run(() => _thread.Join(TimeSpan.FromSeconds(30))))
        {
            _wake.Dispose();
        }
    }

    /// <summary>
    /// The writer's thread: waits for requests and runs each batch. Both stores complete every call
    /// of the write contract before it returns (their statements run on this thread: see
    /// PostgresWriteSession for why), so a batch runs straight through; a write that awaits
    /// something that has not completed is waited for here, holding the writer as a blocking call would.
    /// </summary>
    private void Loop()
    {
        var session = _store.OpenWriteSession();
        try
        {
            var context = new WriteContext(session, _time, _store.SoleWriter);
            var batch = new List<IWork>(_maxBatch);
            var standing = new List<IWork>(_maxBatch);
            while (true)
            {
                batch.Clear();
                if (!Take(batch))
                {
                    return;
                }

                Wait(RunBatchAsync(session, context, batch, standing));
            }
        }
        finally
        {
            Wait(session.DisposeAsync());
        }
    }

    private static void Wait(ValueTask run)
    {
        if (run.IsCompleted)
        {
            run.GetAwaiter().GetResult();
        }
        else
        {
            run.AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>
    /// Waits for requests and takes up to a batch of them, one from each waiting lane in turn;
    /// false when the queue is closed and empty (every request queued before is run first). When
    /// one lane alone waits and fits in the batch (one party writing, or only the service), its
    /// whole queue is swapped for an empty one under the lock and read after it, so submitters
    /// never wait while the writer copies a batch.
    /// </summary>
    private bool Take(List<IWork> batch)
    {
        Queue<IWork>? whole = null;
        while (true)
        {
            lock (_gate)
            {
                if (_ready.Count == 1 && _ready[0].Items.Count <= _maxBatch)
                {
                    var lane = _ready[0];
                    whole = lane.Items;
                    lane.Items = _spare ?? new Queue<IWork>();
                    _spare = null;
                    _ready.Clear();
                    _turn = 0;
                    if (lane.Party is not null)
                    {
                        _partyWaiting -= whole.Count;
                        _partiesWaiting--;
                    }

                    break;
                }

                if (_ready.Count > 0)
                {
                    TakeInTurn(batch);
                    return true;
                }

                if (_closed)
                {
                    return false;
                }

                _writerIdle = true;
                _wake.Reset();
            }

            _wake.Wait();
        }

        while (whole.TryDequeue(out var work))
        {
            batch.Add(work);
        }

        _spare = whole;
        return true;
    }

    /// <summary>Fills the batch with one request of each waiting lane in turn, from where the last batch stopped. Under the lock.</summary>
    private void TakeInTurn(List<IWork> batch)
    {
        var i = _turn;
        while (batch.Count < _maxBatch && _ready.Count > 0)
        {
            if (i >= _ready.Count)
            {
                i = 0;
            }

            var lane = _ready[i];
            batch.Add(lane.Items.Dequeue());
            if (lane.Party is not null)
            {
                _partyWaiting--;
            }

            if (lane.Items.Count == 0)
            {
                _ready.RemoveAt(i);
                if (lane.Party is not null)
                {
                    _partiesWaiting--;
                }
            }
            else
            {
                i++;
            }
        }

        _turn = i;
    }

    /// <summary>The requests waiting for one party (or, with no party, the service's own), oldest first.</summary>
    private sealed class Lane(string? party)
    {
        public string? Party { get; } = party;

        /// <summary>Swapped for an empty queue when the writer takes all of it (<see cref="Take"/>).</summary>
        public Queue<IWork> Items { get; set; } = new();
    }

    private async ValueTask RunBatchAsync(IWriteSession session, WriteContext context, List<IWork> batch, List<IWork> standing)
    {
        long lastSequence;
        var started = Stopwatch.GetTimestamp();
        try
        {
            await context.BeginAsync();
            var unchanged = session.Changes;
            var (stood, last) = await RunRequestsAsync(session, context, batch, standing, savepoints: false);
            if (!stood)
            {
                // A refused or failed request changed something: undo the whole batch and run it
                // again with a savepoint around each request, so that one undoes only itself.
                await context.RollbackAsync();
                await context.BeginAsync();
                unchanged = session.Changes;
                (_, last) = await RunRequestsAsync(session, context, batch, standing, savepoints: true);
            }

            lastSequence = last;
            var wrote = session.Changes != unchanged;
            var ran = Stopwatch.GetTimestamp();
            await context.CommitAsync();
            if (wrote && _fault is not null)
            {
                _fault = null;
                _log.LogWarning("The writer commits again");
            }

            _metrics.Batch(
                batch.Count,
                Stopwatch.GetElapsedTime(batch.Count > 0 ? batch[0].Queued : started, started).TotalMilliseconds,
                Stopwatch.GetElapsedTime(started, ran).TotalMilliseconds,
                Stopwatch.GetElapsedTime(ran).TotalMilliseconds);
        }
        catch (Exception e)
        {
            _log.LogError(e, "A write batch could not be committed; none of it is acknowledged");
            _fault = StorageFault.Is(e) ? StorageFault.Describe(e) : "the last batch could not be committed";
            try
            {
                await context.RollbackAsync();
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

        // Streams hear of the events before any submitter is answered: a party that reads the
        // stream's cursor after its write was acknowledged must find that write under it.
        if (lastSequence > 0)
        {
            _hub.Published(lastSequence);
        }

        foreach (var work in standing)
        {
            work.Complete();
        }
    }

    /// <summary>
    /// Runs the batch's requests in the open transaction. Without savepoints (the common case) a
    /// request that stands needs none, and a refusal is decided before anything is written; a
    /// savepoint cost SQLite a copy of every page a request first touched into its sub-journal,
    /// about 12% of the writer's time at 1,000 submissions a second (perf, docs/performance.md).
    /// So without savepoints this gives false, with nothing answered, when a request threw or was
    /// refused after changing something: only a rollback of the batch undoes that. With
    /// savepoints, such a request is undone alone and the others go on. Also gives the sequence of
    /// the last event of the requests that stand (0: none).
    /// </summary>
    private async ValueTask<(bool Stood, long LastSequence)> RunRequestsAsync(IWriteSession session, WriteContext context, List<IWork> batch, List<IWork> standing, bool savepoints)
    {
        standing.Clear();
        long lastSequence = 0;
        foreach (var work in batch)
        {
            context.Reset(_time);
            var before = session.Changes;
            if (savepoints)
            {
                await context.SavepointAsync();
            }

            bool stands;
            try
            {
                stands = await work.RunAsync(context);
            }
            catch (Exception e)
            {
                if (!savepoints)
                {
                    // Logged when the batch runs again with savepoints and this request fails alone.
                    return (false, 0);
                }

                _log.LogError(e, "A write failed; it alone is undone");
                if (StorageFault.Is(e))
                {
                    _fault = StorageFault.Describe(e);
                }

                try
                {
                    await context.RollbackToSavepointAsync();
                    await context.ReleaseSavepointAsync();
                }
                catch when (StorageFault.Is(e))
                {
                    // SQLite rolled the whole transaction back: the batch fails, for that cause.
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e);
                }

                work.Fail(e);
                continue;
            }

            if (!stands && session.Changes != before)
            {
                if (!savepoints)
                {
                    return (false, 0);
                }

                await context.RollbackToSavepointAsync();
            }

            if (savepoints)
            {
                await context.ReleaseSavepointAsync();
            }

            if (stands && context.Events.Count > 0)
            {
                lastSequence = context.Events[^1].Sequence;
            }

            standing.Add(work);
        }

        return (true, lastSequence);
    }

    /// <summary>A request; with an <paramref name="epoch"/>, a duty's write that runs only under that lease epoch.</summary>
    private sealed class Work<T>(Func<WriteContext, ValueTask<Outcome<T>>> write, long? epoch) : IWork
    {
        private readonly TaskCompletionSource<Outcome<T>> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public long Queued { get; } = Stopwatch.GetTimestamp();
        private Outcome<T> _result;
        private LeaseFencedException? _fenced;

        public Task<Outcome<T>> Task => _done.Task;

        public async ValueTask<bool> RunAsync(WriteContext context)
        {
            // Decided again each time the batch runs, in that transaction: the answer is given
            // after the commit, from the run that was committed.
            _fenced = epoch is { } held && context.Store.LeaseEpoch is { } current && current != held ? new LeaseFencedException(held, current) : null;
            if (_fenced is not null)
            {
                // Nothing written: a refusal that needs nothing undone.
                return false;
            }

            _result = await write(context);
            return _result.Ok;
        }

        public void Fail(Exception e) => _done.TrySetException(e);

        public void Complete()
        {
            if (_fenced is { } fenced)
            {
                _done.TrySetException(fenced);
            }
            else
            {
                _done.TrySetResult(_result);
            }
        }
    }
}
