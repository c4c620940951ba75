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
/// only the node holding the lease signs on its timer; each head is checked against the newest in
/// the database, so a node that gains the lease continues from the last head any node signed.
/// </remarks>
public sealed class RecordHeads(IDeconflictStore store, WriteQueue writes, EventHub hub, RecordKey key, RecordAnchor anchor, DeconflictOptions options, TimeProvider time, IClusterState cluster, ILogger<RecordHeads> log) : BackgroundService
{
    private readonly SemaphoreSlim _signing = new(1, 1);
    private readonly LeaseGate _lease = new(cluster);

    /// <summary>Signs a head of the record as it stands now, or returns the newest when nothing was appended since.</summary>
    public async Task<RecordHead> SignAsync(CancellationToken ct = default)
    {
        await _signing.WaitAsync(ct);
        try
        {
            var latest = store.LatestHead();
            var previous = anchor.Head is { } kept && (latest is null || kept.Size > latest.Size) ? kept : latest;
            var result = await writes.Submit<RecordHead>(null, ctx =>
            {
                var (size, root) = ctx.Store.RecordHead();
                if (previous is not null && (size < previous.Size || !ctx.Store.RecordRoot(previous.Size).AsSpan().SequenceEqual(previous.RootHash)))
                {
                    throw new InvalidOperationException(
                        $"Refusing to sign a head of {size} entries: it is not consistent with the head of {previous.Size} entries the service signed before.");
                }

                if (latest is not null && latest.Size == size)
                {
                    return latest;
                }

                var head = new RecordHead(size, root, ctx.Now, key.Sign(size, root));
                ctx.Store.InsertHead(head);
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

        return store.LatestHead() is not { } head || store.LastEventSequence() > head.Size ? await SignAsync(ct) : null;
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
