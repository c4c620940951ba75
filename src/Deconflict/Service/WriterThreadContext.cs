using System.Collections.Concurrent;

namespace Deconflict.Service;

/// <summary>
/// Keeps a batch on the writer's own thread while it awaits the store. A store whose calls
/// complete at once (SQLite) never posts here: the batch runs straight through. One that waits on
/// a server (PostgreSQL) posts each continuation here, and the writer's thread runs it, so the
/// writer never waits in the thread pool's queue behind the requests it serves (a dedicated thread
/// is why one flooding party cannot slow the writer down, docs/performance.md) and no pool thread
/// is held while the server answers.
/// <para>
/// Written here because no library served to the project does it (the usual one, Nito.AsyncEx's
/// AsyncContext, is not served); it is the standard single-threaded pump: continuations queue, and
/// <see cref="Run"/> runs them until the batch's task completes.
/// </para>
/// </summary>
internal sealed class WriterThreadContext : SynchronizationContext, IDisposable
{
    private readonly BlockingCollection<(SendOrPostCallback? Callback, object? State)> _posted = [];

    public override void Post(SendOrPostCallback d, object? state) => _posted.Add((d, state));

    public override void Send(SendOrPostCallback d, object? state) =>
        throw new NotSupportedException("The writer's work only awaits; nothing sends to its thread.");

    public override SynchronizationContext CreateCopy() => this;

    /// <summary>
    /// Runs <paramref name="batch"/> to its end on the calling thread, which must be the one this
    /// context is set on; rethrows what it threw.
    /// </summary>
    public void Run(ValueTask batch)
    {
        if (!batch.IsCompleted)
        {
            var task = batch.AsTask();

            // The empty callback wakes the loop once the batch is over; it is posted after the
            // batch's last continuation ran, since that continuation is what completes the task.
            task.ContinueWith(_ => _posted.Add((null, null)), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            while (_posted.Take() is { Callback: { } callback, State: var state })
            {
                callback(state);
            }

            task.GetAwaiter().GetResult();
            return;
        }

        batch.GetAwaiter().GetResult();
    }

    public void Dispose() => _posted.Dispose();
}
