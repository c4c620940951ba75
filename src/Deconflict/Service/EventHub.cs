using Deconflict.Core.Record;

namespace Deconflict.Service;

/// <summary>
/// Tells event-stream readers that events up to a sequence number are committed. It carries no
/// events itself: readers read them from the store, so nothing reaches a party that was not stored,
/// and a reader that falls behind simply reads more. It also carries the newest signed record head,
/// which streams announce as a `record-head` event (not itself an entry of the record: a head
/// describes the record, and recording it would need yet another head).
/// </summary>
public sealed class EventHub
{
    private readonly Lock _gate = new();
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _last;
    private RecordHead? _head;
    private long _headVersion;

    public long LastSequence => Volatile.Read(ref _last);

    /// <summary>The newest signed head and a counter that changes with it.</summary>
    public (RecordHead? Head, long Version) Head
    {
        get
        {
            lock (_gate)
            {
                return (_head, _headVersion);
            }
        }
    }

    /// <summary>Announces a newly signed head to the streams.</summary>
    public void HeadSigned(RecordHead head)
    {
        TaskCompletionSource fire;
        lock (_gate)
        {
            if (_head is not null && _head.Size == head.Size && _head.RootHash.AsSpan().SequenceEqual(head.RootHash))
            {
                return;
            }

            _head = head;
            _headVersion++;
            fire = _next;
            _next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        fire.TrySetResult();
    }

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

    /// <summary>
    /// Completes when an event after <paramref name="sequence"/> is committed, a head newer than
    /// <paramref name="headVersion"/> is signed, or the timeout passes.
    /// </summary>
    public async Task WaitAfterAsync(long sequence, long headVersion, TimeSpan timeout, CancellationToken ct)
    {
        Task wait;
        lock (_gate)
        {
            if (_last > sequence || _headVersion != headVersion)
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
