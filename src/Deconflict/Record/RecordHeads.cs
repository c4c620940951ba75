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
public sealed class RecordHeads(IDeconflictStore store, WriteQueue writes, EventHub hub, RecordKey key, DeconflictOptions options, TimeProvider time, ILogger<RecordHeads> log) : BackgroundService
{
    private readonly SemaphoreSlim _signing = new(1, 1);

    /// <summary>Signs a head of the record as it stands now, or returns the newest when nothing was appended since.</summary>
    public async Task<RecordHead> SignAsync(CancellationToken ct = default)
    {
        await _signing.WaitAsync(ct);
        try
        {
            var latest = store.LatestHead();
            var result = await writes.Submit<RecordHead>(null, ctx =>
            {
                var (size, root) = ctx.Store.RecordHead();
                if (latest is not null && latest.Size == size)
                {
                    return latest;
                }

                var head = new RecordHead(size, root, ctx.Now, key.Sign(size, root));
                ctx.Store.InsertHead(head);
                return head;
            });
            var signed = result.Value ?? throw new InvalidOperationException(result.Error?.Detail);
            hub.HeadSigned(signed);
            return signed;
        }
        finally
        {
            _signing.Release();
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
                    if (store.LatestHead() is not { } head || store.LastEventSequence() > head.Size)
                    {
                        await SignAsync(stoppingToken);
                    }
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
