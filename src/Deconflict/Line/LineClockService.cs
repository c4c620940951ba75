using Deconflict.Cluster;
using Deconflict.Core.Line;
using Deconflict.Service;
using Deconflict.Storage;

namespace Deconflict.Line;

/// <summary>
/// Runs the acknowledgement clocks: on every tick of the <see cref="TimeProvider"/> (1 s by
/// default) it escalates the messages whose deadlines have passed, in the writer, each escalation a
/// `line-overdue` event to the sender and the recipient. Due times live in the database, so after a
/// restart the clocks resume where they were; deadlines missed while the service was down all fire
/// on its first tick, each with its own due time. In a cluster only the node holding the lease runs
/// the clocks, its writes carrying the lease's epoch (<see cref="LeaseGate"/>); a node that gains it
/// finds the due times in the database like one that restarted.
/// </summary>
public sealed class LineClockService(WriteQueue writes, IDeconflictStore store, EscalationWebhooks webhooks, DeconflictOptions options, TimeProvider time, IClusterState cluster, ILogger<LineClockService> log) : BackgroundService
{
    private const int Batch = 200;

    private readonly LeaseGate _lease = new(cluster, log, "line clocks");

    /// <summary>Escalates everything due now, whether or not this node holds the lease (its writes carry no epoch); returns how many escalations fired.</summary>
    public Task<int> RunOnceAsync() => RunAsync(null);

    /// <summary>One tick of the timer: the clocks, on the lease holder only; null on another node, or when another node took the lease over meanwhile.</summary>
    internal async Task<int?> TickAsync()
    {
        if (!_lease.Enter(out _))
        {
            return null;
        }

        try
        {
            return await RunAsync(_lease.Epoch);
        }
        catch (LeaseFencedException e)
        {
            _lease.FencedOut(e);
            return null;
        }
    }

    private async Task<int> RunAsync(long? epoch)
    {
        var total = 0;
        while (true)
        {
            var calls = new List<EscalationCall>();
            var fired = await writes.SubmitDuty<(int Messages, int Escalations)>(epoch, async ctx =>
            {
                calls.Clear();
                var due = await ctx.Store.Line.DueByAsync(ctx.Now, Batch);
                var escalations = 0;
                foreach (var m in due)
                {
                    var (next, fired) = LineClock.Escalate(m, ctx.Now, TimeSpan.FromSeconds(options.Line.EscalationIntervalS), options.Line.MaxEscalationLevel);
                    if (fired.IsEmpty)
                    {
                        continue;
                    }

                    await ctx.Store.Line.UpdateAsync(next);
                    foreach (var e in fired)
                    {
                        await ctx.EmitAsync(LineEvents.Overdue(m, e, next));
                        calls.AddRange(EscalationWebhooks.CallsFor(store, m.From, e.Recipient, e.Level, LineEvents.OverdueNotice(m, e)));
                    }

                    escalations += fired.Length;
                }

                return (due.Count, escalations);
            });
            // Webhooks are called only for escalations that were committed.
            if (fired.Ok)
            {
                webhooks.Enqueue(calls);
            }

            total += fired.Value.Escalations;
            if (fired.Value.Messages < Batch)
            {
                return total;
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.LineClockTick, time);
        try
        {
            do
            {
                try
                {
                    await TickAsync();
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.LogError(e, "The line clock failed; it runs again next tick");
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException)
        {
        }
    }
}
