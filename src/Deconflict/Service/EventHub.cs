namespace Deconflict.Service;

/// <summary>
/// Tells event-stream readers that events up to a sequence number are committed. It carries no
/// events itself: readers read them from the store, so nothing reaches a party that was not stored,
/// and a reader that falls behind simply reads more.
/// </summary>
public sealed class EventHub
{
    private readonly Lock _gate = new();
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _last;

    public long LastSequence => Volatile.Read(ref _last);

    public void Published(long sequence)
    {
        TaskCompletionSource fire;
        lock (_gate)
        {
            if (sequence <= _last)
            {
                return;
            }

            _last = sequence;
            fire = _next;
            _next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        fire.TrySetResult();
    }

    /// <summary>Completes when an event after <paramref name="sequence"/> is committed, or the timeout passes.</summary>
    public async Task WaitAfterAsync(long sequence, TimeSpan timeout, CancellationToken ct)
    {
        Task wait;
        lock (_gate)
        {
            if (_last > sequence)
            {
                return;
            }

            wait = _next.Task;
        }

        try
        {
            await wait.WaitAsync(timeout, ct);
        }
        catch (TimeoutException)
        {
        }
    }
}
