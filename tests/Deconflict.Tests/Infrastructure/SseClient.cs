using System.Text.Json.Nodes;

namespace Deconflict.Tests.Infrastructure;

public sealed record SseEvent(long Id, string Type, JsonNode Data);

/// <summary>Reads a text/event-stream response, as a browser's EventSource would.</summary>
public sealed class SseClient : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private SseClient(HttpResponseMessage response, StreamReader reader)
    {
        _response = response;
        _reader = reader;
    }

    public static async Task<SseClient> ConnectAsync(HttpClient client, string? lastEventId = null, bool includeHeads = false)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "v1/events");
        if (lastEventId is not null)
        {
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        }

        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return new SseClient(response, new StreamReader(await response.Content.ReadAsStreamAsync())) { IncludeHeads = includeHeads };
    }

    /// <summary>The longest <see cref="UntilAsync"/> waits for a match in all.</summary>
    private static readonly TimeSpan UntilLimit = TimeSpan.FromMinutes(2);

    /// <summary>Every event returned so far, in order.</summary>
    public List<SseEvent> Received { get; } = [];

    /// <summary>Whether `record-head` announcements are returned (they are skipped by default).</summary>
    public bool IncludeHeads { get; init; }

    /// <summary>The next event, or fails the test after the timeout (or ends when <paramref name="stop"/> is cancelled).</summary>
    public async Task<SseEvent> NextAsync(TimeSpan? timeout = null, CancellationToken stop = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(stop);
        cts.CancelAfter(timeout ?? TimeSpan.FromSeconds(10));
        long? id = null;
        string? type = null;
        string? data = null;
        while (true)
        {
            var line = await _reader.ReadLineAsync(cts.Token) ?? throw new InvalidOperationException("stream ended");
            if (line.Length == 0)
            {
                // Head announcements (no id, not record entries) are skipped unless asked for.
                if (data is not null && (IncludeHeads || type != "record-head"))
                {
                    var e = new SseEvent(id ?? -1, type ?? "message", JsonNode.Parse(data)!);
                    Received.Add(e);
                    return e;
                }

                (id, type, data) = (null, null, null);
                continue;
            }

            if (line.StartsWith(':'))
            {
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? string.Empty : line[(colon + 1)..].TrimStart(' ');
            switch (field)
            {
                case "id":
                    id = long.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
                    break;
                case "event":
                    type = value;
                    break;
                case "data":
                    data = data is null ? value : data + "\n" + value;
                    break;
            }
        }
    }

    /// <summary>
    /// Reads events until one matches, returning all read (the match last). The timeout bounds the
    /// wait for each event; a stream that keeps sending events none of which matches fails after
    /// <see cref="UntilLimit"/> in all.
    /// </summary>
    public async Task<List<SseEvent>> UntilAsync(Func<SseEvent, bool> match, TimeSpan? timeout = null)
    {
        var seen = new List<SseEvent>();
        using var limit = new CancellationTokenSource(UntilLimit);
        while (true)
        {
            SseEvent e;
            try
            {
                e = await NextAsync(timeout, limit.Token);
            }
            catch (OperationCanceledException) when (limit.IsCancellationRequested)
            {
                throw new TimeoutException($"no matching event within {UntilLimit.TotalSeconds} s; {seen.Count} others read");
            }

            seen.Add(e);
            if (match(e))
            {
                return seen;
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _response.Dispose();
        return ValueTask.CompletedTask;
    }
}
