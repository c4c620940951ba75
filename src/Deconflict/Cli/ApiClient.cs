using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Deconflict.Cli;

/// <summary>A thin client of the HTTP API for the command line: it shows the server's problem details as they are.</summary>
public sealed class ApiClient : IDisposable
{
    private readonly HttpClient _http;

    public ApiClient(string server, string token)
    {
        _http = new HttpClient { BaseAddress = new Uri(server.TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(60) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    public async Task<(JsonNode? Body, string? ETag)> Send(HttpMethod method, string path, JsonNode? body = null, string? ifMatch = null, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (idempotencyKey is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new CliException(Describe((int)response.StatusCode, text));
        }

        return (text.Length == 0 ? null : JsonNode.Parse(text), response.Headers.ETag?.Tag);
    }

    /// <summary>GET of a text resource (the record's key or checkpoint).</summary>
    public async Task<string> Text(string path)
    {
        using var response = await _http.GetAsync(path.TrimStart('/'));
        var text = await response.Content.ReadAsStringAsync();
        return response.IsSuccessStatusCode ? text : throw new CliException(Describe((int)response.StatusCode, text));
    }

    /// <summary>
    /// Follows the caller's event stream from now, calling <paramref name="onEvent"/> with each
    /// event's type and data, until <paramref name="ct"/> is cancelled or the stream ends.
    /// <paramref name="onConnected"/> runs once the server has answered: every event committed
    /// after that is delivered. One connection, no resuming (the demo's followers end with their server).
    /// </summary>
    public Task FollowAsync(Func<string, JsonNode, Task> onEvent, CancellationToken ct, Action? onConnected = null) =>
        FollowAsync(e => onEvent(e.Type, e.Data), after: null, ct, onConnected, onResumed: null, reconnect: false);

    /// <summary>
    /// Follows the caller's event stream (GET /v1/events) until <paramref name="ct"/> is cancelled:
    /// the events after record index <paramref name="after"/> (-1: from the first; null: from now),
    /// each passed to <paramref name="onEvent"/> once and in order. When the connection drops
    /// after the first answer (the server restarted, the network failed, nothing heard for
    /// <see cref="StreamSilence"/> although the server sends a keep-alive every 15 s), it
    /// reconnects with Last-Event-ID naming the last event received, after a delay doubling from
    /// 1 s to 10 s, and calls <paramref name="onResumed"/> with that index (null when no event
    /// was received and <paramref name="after"/> was null: it resumes from now): nothing is lost or
    /// repeated. A first connection that fails, and a refusal (401, 403, 400) at any time, end it
    /// with the error; a busy or restarting server (429, 5xx) is waited for.
    /// </summary>
    public async Task FollowAsync(Func<StreamEvent, Task> onEvent, long? after, CancellationToken ct, Action? onConnected = null, Action<long?>? onResumed = null, bool reconnect = true)
    {
        var last = after;
        var connected = false;
        var delay = MinReconnectDelay;
        while (true)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "v1/events");
                if (last is { } index)
                {
                    request.Headers.TryAddWithoutValidation("Last-Event-ID", index.ToString(CultureInfo.InvariantCulture));
                }

                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
                if (!response.IsSuccessStatusCode)
                {
                    var status = (int)response.StatusCode;
                    var problem = Describe(status, await response.Content.ReadAsStringAsync(ct));
                    throw connected && reconnect && (status == 429 || status >= 500) ? new HttpRequestException(problem) : new CliException(problem);
                }

                if (!connected)
                {
                    connected = true;
                    onConnected?.Invoke();
                }
                else
                {
                    onResumed?.Invoke(last);
                }

                delay = MinReconnectDelay;
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
                long? id = null;
                string? type = null;
                string? data = null;
                while (await ReadLineAsync(reader, ct) is { } line)
                {
                    if (line.Length == 0)
                    {
                        if (type is not null && data is not null)
                        {
                            await onEvent(new StreamEvent(id, type, JsonNode.Parse(data)!, data));
                            last = id ?? last;
                        }

                        (id, type, data) = (null, null, null);
                        continue;
                    }

                    // SSE fields are "name: value" (one optional space); a line starting with ':' is a comment (keep-alive).
                    var colon = line.IndexOf(':', StringComparison.Ordinal);
                    var (field, value) = colon < 0 ? (line, string.Empty) : (line[..colon], line[(colon + 1)..]);
                    value = value.StartsWith(' ') ? value[1..] : value;
                    switch (field)
                    {
                        case "id":
                            id = long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed) ? parsed : null;
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
            catch (Exception e) when ((e is HttpRequestException or IOException) && connected && reconnect && !ct.IsCancellationRequested)
            {
            }

            // The stream ended (the server stopped it) or dropped: wait, then resume.
            if (!reconnect)
            {
                return;
            }

            await Task.Delay(delay, ct);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxReconnectDelay.Ticks));
        }
    }

    /// <summary>How long a stream may say nothing before it is taken as dropped: three of the server's 15 s keep-alives.</summary>
    public static readonly TimeSpan StreamSilence = TimeSpan.FromSeconds(45);

    private static readonly TimeSpan MinReconnectDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxReconnectDelay = TimeSpan.FromSeconds(10);

    private static async Task<string?> ReadLineAsync(StreamReader reader, CancellationToken ct)
    {
        using var silence = CancellationTokenSource.CreateLinkedTokenSource(ct);
        silence.CancelAfter(StreamSilence);
        try
        {
            return await reader.ReadLineAsync(silence.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new StreamSilenceException();
        }
    }

    /// <summary>Nothing, not even a keep-alive, came on the stream for <see cref="StreamSilence"/>.</summary>
    private sealed class StreamSilenceException() : HttpRequestException("The server sent nothing on the event stream for 45 s.");

    public void Dispose() => _http.Dispose();

    private static string Describe(int status, string text)
    {
        try
        {
            var problem = JsonNode.Parse(text);
            var code = problem?["code"]?.GetValue<string>();
            var detail = problem?["detail"]?.GetValue<string>() ?? problem?["title"]?.GetValue<string>();
            if (Refusals.Declarations(problem) is { } declarations)
            {
                return $"{status} {code}: {detail} {declarations}";
            }

            var extra = problem?["pointer"];
            return $"{status} {code}: {detail}" + (extra is null ? string.Empty : Environment.NewLine + extra.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }
        catch (JsonException)
        {
            return $"{status}: {text}";
        }
    }
}

/// <summary>A failure to show the user as one clear message (exit code 1), not a stack trace.</summary>
public sealed class CliException(string message) : Exception(message);
