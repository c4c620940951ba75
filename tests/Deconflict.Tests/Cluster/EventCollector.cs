using System.Diagnostics;
using Deconflict.Tests.Infrastructure;

namespace Deconflict.Tests.Cluster;

/// <summary>One event as a collector received it: the event and when (on the test's monotonic clock).</summary>
public sealed record ReceivedEvent(SseEvent Event, TimeSpan At);

/// <summary>
/// Reads one GET /v1/events stream in the background into a list, stamping each event with when it
/// arrived, until the stream ends (its node died) or the collector is disposed.
/// </summary>
public sealed class EventCollector : IAsyncDisposable
{
    private readonly SseClient _stream;
    private readonly Stopwatch _clock;
    private readonly List<ReceivedEvent> _received = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reading;

    private EventCollector(SseClient stream, Stopwatch clock)
    {
        _stream = stream;
        _clock = clock;
        _reading = Task.Run(ReadAsync);
    }

    /// <summary>Why the stream ended (the node died, or it ended the stream), or null while it runs.</summary>
    public Exception? Ended { get; private set; }

    /// <summary>
    /// Connects to the node's stream, from after <paramref name="lastEventId"/> (-1: from the first
    /// event), stamping events on <paramref name="clock"/>.
    /// </summary>
    public static async Task<EventCollector> ConnectAsync(HttpClient client, Stopwatch clock, string lastEventId = "-1") =>
        new(await SseClient.ConnectAsync(client, lastEventId), clock);

    /// <summary>What was received so far, in order.</summary>
    public IReadOnlyList<ReceivedEvent> Received
    {
        get
        {
            lock (_received)
            {
                return [.. _received];
            }
        }
    }

    public IReadOnlyList<SseEvent> Events => [.. Received.Select(r => r.Event)];

    /// <summary>Waits until an event with this id or a later one has arrived; fails the test after the timeout.</summary>
    public Task UntilIdAsync(long id, TimeSpan timeout) =>
        UntilAsync(events => events.Count > 0 && events[^1].Event.Id >= id, timeout, $"event {id}");

    /// <summary>
    /// Waits until the events received so far satisfy <paramref name="done"/>; fails the test after
    /// the timeout, saying what was missing by <paramref name="missing"/> when given.
    /// </summary>
    public async Task UntilAsync(Func<IReadOnlyList<ReceivedEvent>, bool> done, TimeSpan timeout, string what, Func<IReadOnlyList<ReceivedEvent>, string>? missing = null)
    {
        var clock = Stopwatch.StartNew();
        while (!done(Received))
        {
            if (clock.Elapsed > timeout)
            {
                var last = Received is { Count: > 0 } r ? r[^1].Event.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) : "none";
                var lacking = missing is null ? string.Empty : $"; missing: {missing(Received)}";
                Assert.Fail($"the stream did not deliver {what} within {timeout.TotalSeconds} s (last id {last}; ended: {Ended?.Message ?? "no"}{lacking})");
            }

            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _stream.DisposeAsync();
        try
        {
            await _reading;
        }
        catch (Exception e) when (e is ObjectDisposedException or OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task ReadAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                // A quiet stream sends a comment every 15 s; a minute without an event is a quiet test, not an end.
                var e = await _stream.NextAsync(TimeSpan.FromMinutes(10), _stop.Token);
                lock (_received)
                {
                    _received.Add(new ReceivedEvent(e, _clock.Elapsed));
                }
            }
            catch (Exception e) when (e is IOException or HttpRequestException or InvalidOperationException or OperationCanceledException or ObjectDisposedException)
            {
                Ended = e;
                return;
            }
        }
    }
}
