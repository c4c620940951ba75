using Deconflict.Cluster;
using Deconflict.Declarations;

namespace Deconflict.Service;

/// <summary>
/// Ends operations and zones whose last volume is over, on a timer driven by the
/// <see cref="TimeProvider"/> (so tests and replays control it), resolving their conflicts. In a
/// cluster only the node holding the lease sweeps, and its writes carry the lease's epoch
/// (<see cref="LeaseGate"/>).
/// </summary>
public sealed class ExpirySweep(WriteQueue writes, DeclarationCommands commands, DeconflictOptions options, TimeProvider time, IClusterState cluster, ILogger<ExpirySweep> log) : BackgroundService
{
    private const int Batch = 200;

    private readonly LeaseGate _lease = new(cluster, log, "expiry sweep");

    /// <summary>A sweep now, whether or not this node holds the lease (its writes carry no epoch).</summary>
    public Task<int> RunOnceAsync() => SweepAsync(null);

    /// <summary>One tick of the timer: a sweep, on the lease holder only; null on another node, or when another node took the lease over meanwhile.</summary>
    internal async Task<int?> TickAsync()
    {
        if (!_lease.Enter(out _))
        {
            return null;
        }

        try
        {
            return await SweepAsync(_lease.Epoch);
        }
        catch (LeaseFencedException e)
        {
            _lease.FencedOut(e);
            return null;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.ExpirySweepInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await TickAsync();
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.LogError(e, "Expiry sweep failed; it will run again");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task<int> SweepAsync(long? epoch)
    {
        var total = 0;
        while (true)
        {
            var ended = await writes.SubmitDuty<int>(epoch, async ctx => await commands.EndExpiredAsync(ctx, Batch));
            total += ended.Value;
            if (ended.Value < Batch)
            {
                return total;
            }
        }
    }
}
