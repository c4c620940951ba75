using System.Diagnostics;
using System.Threading.Channels;
using Deconflict.Cluster;
using Deconflict.Core.Tactical;
using Deconflict.Service;
using Deconflict.Storage;
using Deconflict.Tracks;

namespace Deconflict.Alerts;

/// <summary>What the last detection cycle did: detection alone, then the commit of its decisions (for the admin's status and the benchmarks).</summary>
public sealed record CycleStats(DateTimeOffset At, double DurationMs, double DetectMs, int Tracks, int Predictions, int Decisions, long Cycles);

/// <summary>
/// Tactical deconfliction: holds the live track table and runs the detection cycle, every
/// <see cref="TacticalOptions.CycleInterval"/> and promptly after new reports (no sooner than
/// <see cref="TacticalOptions.MinCycleGap"/> after the previous start). A cycle takes the fresh
/// tracks, finds every predicted loss of separation within the advisory horizon with the grid
/// detector, turns them into alert decisions with hysteresis, and writes only the decisions (raise,
/// level change, track lost or regained, clear with its reason) through the single writer: each is an alert row and one `track-alert`
/// event per side, with that side's view, so both sides learn of it in the same commit. In a cluster
/// only the node holding the lease detects; one that gains it takes the active alerts back from
/// the store, as after a restart, so an alert another node raised is continued, not raised again.
/// Its writes carry the lease's epoch (<see cref="LeaseGate"/>): a node that lost the lease without
/// knowing it yet cannot raise an alert after another node took the alerts back.
/// </summary>
public sealed class TacticalService : BackgroundService
{
    public const string AlertEvent = "track-alert";

    /// <summary>Alert decisions committed in one write (each is a row and two record entries).</summary>
    public const int DecisionsPerWrite = 200;

    private readonly WriteQueue _writes;
    private readonly IDeconflictStore _store;
    private readonly DeconflictOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly AlertPolicy _policy;
    private readonly TrackRelayStatus? _relay;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly SemaphoreSlim _cycle = new(1, 1);
    private readonly LeaseGate _lease;
    private AlertTracker _tracker;
    private bool _restored;
    private long _cycles;
    private int _activeAlerts;
    private CycleStats? _last;

    /// <param name="relay">Whether the other nodes' tracks are heard (a cluster's NATS); none: a single node, never paused.</param>
    public TacticalService(WriteQueue writes, IDeconflictStore store, DeconflictOptions options, TimeProvider time, IClusterState cluster, ILogger<TacticalService> log, TrackRelayStatus? relay = null)
    {
        _lease = new LeaseGate(cluster, log, "tactical detection");
        _relay = relay;
        _writes = writes;
        _store = store;
        _options = options;
        _time = time;
        _log = log;
        _policy = new AlertPolicy(options.Tactical.WarningS, options.LookaheadS, options.Tactical.AdvisoryS, options.Tactical.ClearAfterCycles);
        _tracker = new AlertTracker(_policy);
        Tracks = new TrackTable(options.Tactical.StaleAfter, options.Tactical.DropAfter);
    }

    public TrackTable Tracks { get; }

    public CycleStats? LastCycle => Volatile.Read(ref _last);

    /// <summary>Alerts active after the last cycle (or as restored from the store): the tracker's count, kept for readers on other threads.</summary>
    public int ActiveAlerts => Volatile.Read(ref _activeAlerts);

    /// <summary>Applies a party's reports and wakes the detector; returns how many were newer than what was held.</summary>
    public int Report(string party, IReadOnlyList<TrackReport> reports)
    {
        var accepted = Tracks.Report(party, reports);
        if (accepted > 0)
        {
            _wake.Writer.TryWrite(true);
        }

        return accepted;
    }

    /// <summary>One detection cycle at the clock's time, whether or not this node holds the lease (its writes carry no epoch); returns once its decisions are committed.</summary>
    public Task<CycleStats> RunCycleAsync(CancellationToken ct = default) => RunCycleAsync(null, ct);

    /// <summary>A detection cycle whose writes carry the lease's <paramref name="epoch"/> (null: none).</summary>
    private async Task<CycleStats> RunCycleAsync(long? epoch, CancellationToken ct)
    {
        await _cycle.WaitAsync(ct);
        try
        {
            var started = Stopwatch.GetTimestamp();
            var now = _time.GetUtcNow();
            if (!_restored)
            {
                Restore(now);
            }

            var live = Tracks.Live(now);
            var t = _options.TacticalSeparation;
            // One pass with the widest horizon; the levels split it by entry time.
            var predictions = TacticalDetector.Detect(live, now, t.HorizontalM, t.VerticalM, _policy.AdvisoryS, _options.Tactical.SameParty);
            var decisions = _tracker.Step(live, predictions, now, () => "alert-" + Guid.CreateVersion7(now).ToString("N"), Tracks.CallsignOf, k => Tracks.Fresh(k, now));
            var detectMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (decisions.Count > 0)
            {
                await Commit(decisions, now, epoch);
            }

            Volatile.Write(ref _activeAlerts, _tracker.ActiveCount);

            var stats = new CycleStats(now, Stopwatch.GetElapsedTime(started).TotalMilliseconds, detectMs, live.Count, predictions.Count, decisions.Count, Interlocked.Increment(ref _cycles));
            Volatile.Write(ref _last, stats);
            return stats;
        }
        finally
        {
            _cycle.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.Tactical.CycleInterval, _time);
        var tick = timer.WaitForNextTickAsync(stoppingToken).AsTask();
        var woken = _wake.Reader.WaitToReadAsync(stoppingToken).AsTask();
        var lastStart = _time.GetTimestamp();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var fired = await Task.WhenAny(tick, woken);
                if (fired == tick)
                {
                    if (!await tick)
                    {
                        return;
                    }

                    tick = timer.WaitForNextTickAsync(stoppingToken).AsTask();
                }
                else
                {
                    await woken;
                    _wake.Reader.TryRead(out _);
                    var since = _time.GetElapsedTime(lastStart);
                    if (since < _options.Tactical.MinCycleGap)
                    {
                        await Task.Delay(_options.Tactical.MinCycleGap - since, _time, stoppingToken);
                    }

                    woken = _wake.Reader.WaitToReadAsync(stoppingToken).AsTask();
                }

                // Without the other nodes' tracks a cycle would clear or lose alerts it only no
                // longer hears: it waits for NATS (the warning is on /healthz).
                if (_relay is { DetectionPaused: true })
                {
                    continue;
                }

                lastStart = _time.GetTimestamp();
                try
                {
                    await GatedCycleAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _log.LogError(e, "A detection cycle failed; the next one starts from the stored alerts");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>A cycle of the loop: on the lease holder only (null elsewhere), from the stored alerts when the lease was just gained.</summary>
    internal async Task<CycleStats?> GatedCycleAsync(CancellationToken ct = default)
    {
        if (!_lease.Enter(out var gained))
        {
            return null;
        }

        if (gained)
        {
            // Another node may have raised, changed or cleared alerts while this one did not hold the lease.
            Volatile.Write(ref _restored, false);
        }

        try
        {
            return await RunCycleAsync(_lease.Epoch, ct);
        }
        catch (LeaseFencedException e)
        {
            // What was refused is left to the node holding the lease; this one starts again from
            // the stored alerts when it holds it again.
            _lease.FencedOut(e);
            return null;
        }
    }

    /// <summary>
    /// Alerts active when the service stopped come back and continue by the usual rules; an aircraft
    /// of theirs that no feed reports within the staleness limit of the restart is lost.
    /// </summary>
    private void Restore(DateTimeOffset now)
    {
        _tracker = new AlertTracker(_policy);
        foreach (var alert in _store.ActiveAlerts())
        {
            _tracker.Restore(alert, now + _options.Tactical.StaleAfter);
        }

        _restored = true;
    }

    private async Task Commit(List<AlertDecision> decisions, DateTimeOffset now, long? epoch)
    {
        try
        {
            // In writes of at most DecisionsPerWrite, most urgent first: a cycle that raises thousands
            // of alerts (dense traffic) must not hold every other write, or the worst of its own
            // alerts, behind one long transaction.
            var ordered = decisions.OrderByDescending(d => d.Kind == AlertChangeKind.Cleared ? 0 : (int)d.Level).ToList();
            foreach (var chunk in ordered.Chunk(DecisionsPerWrite))
            {
                var written = await _writes.SubmitDuty<int>(epoch, ctx => ApplyAsync(ctx, chunk, now));
                if (written.Error is { } error)
                {
                    throw new InvalidOperationException(error.Detail);
                }
            }
        }
        catch
        {
            // The tracker has moved on but the store has not: start again from what is stored, so
            // the next cycle raises again what was lost rather than changing alerts that do not exist.
            _restored = false;
            throw;
        }
    }

    private static async ValueTask<Outcome<int>> ApplyAsync(WriteContext ctx, AlertDecision[] decisions, DateTimeOffset now)
    {
        var written = 0;
        foreach (var d in decisions)
        {
            // Every change but a raise is to an alert still active in the store.
            var held = d.Kind == AlertChangeKind.Raised ? null : await ctx.Store.Alerts.GetAsync(d.AlertId) is { State: AlertState.Active } active ? active : null;
            var (alert, action) = (d.Kind, held) switch
            {
                (AlertChangeKind.Raised, _) => (AlertLifecycle.Raise(d.AlertId, d.Level, d.A!, d.B!, d.Encounter, now), "raised"),
                (AlertChangeKind.LevelChanged, { } h) => (AlertLifecycle.ChangeLevel(h, d.Level, d.A!, d.B!, d.Encounter, now), "level-changed"),
                (AlertChangeKind.TrackLost, { } h) => (AlertLifecycle.LoseTrack(h, d.A!, d.B!, d.Encounter, d.PredictedAt ?? now, now), "track-lost"),
                (AlertChangeKind.TrackRegained, { } h) => (AlertLifecycle.RegainTrack(h, d.Level, d.A!, d.B!, d.Encounter, now), "track-regained"),
                (AlertChangeKind.Cleared, { } h) => (AlertLifecycle.Clear(h, now, d.Reason ?? ClearReason.Diverging), "cleared"),
                _ => ((TrackAlert?)null, ""),
            };
            if (alert is null)
            {
                continue;
            }

            if (d.Kind == AlertChangeKind.Raised)
            {
                await ctx.Store.Alerts.InsertAsync(alert);
            }
            else
            {
                await ctx.Store.Alerts.UpdateAsync(alert);
            }

            await PublishAsync(ctx, action, alert, null);
            written++;
        }

        return written;
    }

    /// <summary>One `track-alert` event per side, each with that side's view of the alert.</summary>
    public static async ValueTask PublishAsync(WriteContext ctx, string action, TrackAlert alert, string? actor)
    {
        foreach (var party in alert.Parties)
        {
            await ctx.EmitAsync(AlertEvents.ForSide(action, alert, party, actor));
        }
    }
}
