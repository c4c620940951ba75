using Deconflict.Cluster;
using Deconflict.Core.Record;
using Deconflict.Service;
using Deconflict.Storage;

namespace Deconflict.Record;

/// <summary>
/// Signs tree heads: a new one at least every <see cref="DeconflictOptions.RecordHeadInterval"/>
/// while entries arrive, one at start-up (so a head always exists, even of the empty log), and one
/// on request. A head is written by the single writer, which reads the tree's size and root in the
/// same step, so a head never names a size whose entries are not committed with it.
/// </summary>
/// <remarks>
/// A head is signed only when it is consistent with the last one signed (the previous head's root
/// is the root of the tree's first entries at its size): a log that lost or changed entries gets no
/// head contradicting one already given out. Every head is also kept in the anchor file beside the
/// database (<see cref="RecordAnchor"/>), which the start check holds the database to. In a cluster
/// only the node holding the lease signs on its timer, its writes carrying the lease's epoch
/// (<see cref="LeaseGate"/>); a head on request may be signed by any node. The newest head is read
/// inside the write, under the lock every node's writes take (PostgresWriteSession), so a node
/// continues from the last head any node signed, and a second signer of an unchanged record gets
/// the head already signed: never two heads of one size.
/// </remarks>
public sealed class RecordHeads(IDeconflictStore store, WriteQueue writes, EventHub hub, RecordKey key, RecordAnchor anchor, DeconflictOptions options, TimeProvider time, IClusterState cluster, ILogger<RecordHeads> log) : BackgroundService
{
    private readonly SemaphoreSlim _signing = new(1, 1);
    private readonly LeaseGate _lease = new(cluster, log, "signing of record heads");

    /// <summary>Signs a head of the record as it stands now, or returns the newest when nothing was appended since.</summary>
    public Task<RecordHead> SignAsync(CancellationToken ct = default) => SignAsync(null, ct);

    /// <summary>As <see cref="SignAsync(CancellationToken)"/>, the write carrying the lease's <paramref name="epoch"/> (null: none).</summary>
    private async Task<RecordHead> SignAsync(long? epoch, CancellationToken ct)
    {
        await _signing.WaitAsync(ct);
        try
        {
            var kept = anchor.Head;
            var result = await writes.SubmitDuty<RecordHead>(epoch, async ctx =>
            {
                var latest = await ctx.Store.Record.LatestHeadAsync();
                var previous = kept is not null && (latest is null || kept.Size > latest.Size) ? kept : latest;
                var (size, root) = ctx.Record.Head();
                if (previous is not null && (size < previous.Size || !(await ctx.Store.Record.RootAsync(previous.Size)).AsSpan().SequenceEqual(previous.RootHash)))
                {
                    throw new InvalidOperationException(
                        $"Refusing to sign a head of {size} entries: it is not consistent with the head of {previous.Size} entries the service signed before.");
                }

                if (latest is not null && latest.Size == size)
                {
                    return latest;
                }

                var head = new RecordHead(size, root, ctx.Now, key.Sign(size, root));
                await ctx.Store.Record.InsertHeadAsync(head);
                return head;
            });
            var signed = result.Value ?? throw new InvalidOperationException(result.Error?.Detail);
            anchor.Signed(signed);
            hub.HeadSigned(signed);
            return signed;
        }
        finally
        {
            _signing.Release();
        }
    }

    /// <summary>One tick of the timer: on the lease holder, a head when entries arrived since the last; null when none was signed.</summary>
    internal async Task<RecordHead?> TickAsync(CancellationToken ct = default)
    {
        if (!_lease.Enter(out _))
        {
            return null;
        }

        if (store.LatestHead() is { } head && store.LastEventSequence() <= head.Size)
        {
            return null;
        }

        try
        {
            return await SignAsync(_lease.Epoch, ct);
        }
        catch (LeaseFencedException e)
        {
            _lease.FencedOut(e);
            return null;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.RecordHeadInterval, time);
        try
        {
            do
            {
                try
                {
                    await TickAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.LogError(e, "Signing a record head failed; the next round tries again");
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException)
        {
        }
    }

    public override void Dispose()
    {
        _signing.Dispose();
        base.Dispose();
    }
}
