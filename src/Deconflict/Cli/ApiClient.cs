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

    /// <exception cref="CliException">The server is not an http(s) URL (exit code 2).</exception>
    public ApiClient(string server, string token)
    {
        _http = new HttpClient { BaseAddress = ServerAddress(server), Timeout = TimeSpan.FromSeconds(60) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    /// <summary>
    /// The server's base address (ending in '/'), or a usage error naming what a server URL looks
    /// like: `new Uri` would throw on "127.0.0.1:8080" (no scheme) and accept "ftp://x".
    /// </summary>
    /// <exception cref="CliException">Not an absolute http or https URL with a host (exit code 2).</exception>
    public static Uri ServerAddress(string server)
    {
        var text = server.Trim();
        return Uri.TryCreate(text.TrimEnd('/') + "/", UriKind.Absolute, out var uri)
            && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            && uri.Host.Length > 0 && uri.Query.Length == 0 && uri.Fragment.Length == 0 && uri.UserInfo.Length == 0
            ? uri
            : throw new CliException($"--server (or ${CliApp.ServerVariable}) must be the server's URL, like http://HOST:PORT; '{server}' is not.", exitCode: 2);
    }

    /// <summary>
    /// One line for a request that got no HTTP answer: the server's URL and the reason in words
    /// (connection refused, unknown host, no answer in time), without the exception's type.
    /// </summary>
    public static string Unreachable(Uri server, Exception e) => $"Cannot reach the server at {server}: {Reason(e)}.";

    /// <summary>Why a request got no HTTP answer, in words.</summary>
    public static string Reason(Exception e)
    {
        return e switch
        {
            TaskCanceledException or TimeoutException => "no answer in time (is the server overloaded, or is it a firewall dropping the connection?)",
            HttpRequestException { InnerException: System.Net.Sockets.SocketException s } => s.SocketErrorCode switch
            {
                System.Net.Sockets.SocketError.ConnectionRefused => "connection refused (is the server running, and on that port?)",
                System.Net.Sockets.SocketError.HostNotFound or System.Net.Sockets.SocketError.TryAgain or System.Net.Sockets.SocketError.NoData => "the host name is not known",
                System.Net.Sockets.SocketError.TimedOut => "the connection timed out",
                System.Net.Sockets.SocketError.NetworkUnreachable or System.Net.Sockets.SocketError.HostUnreachable => "no route to the host",
                _ => Sentence(s.Message),
            },
            HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError } => "the host name is not known",
            HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError } => "the TLS connection failed (is it an https server, with a certificate this machine trusts?)",
            HttpRequestException { HttpRequestError: HttpRequestError.InvalidResponse or HttpRequestError.ResponseEnded } => "the answer is not HTTP (is that the Deconflict server's port?)",
            _ => Sentence(e.Message),
        };

        static string Sentence(string message) => CliUsage.Plain(message.TrimEnd('.').ReplaceLineEndings(" "));
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

        var (response, text) = await Exchange(request);
        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw new CliException(Describe(response, text));
            }

            try
            {
                return (text.Length == 0 ? null : JsonNode.Parse(text), response.Headers.ETag?.Tag);
            }
            catch (JsonException)
            {
                throw new CliException(NotDeconflict(response));
            }
        }
    }

    /// <summary>GET of a text resource (the record's key or checkpoint).</summary>
    public async Task<string> Text(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path.TrimStart('/'));
        var (response, text) = await Exchange(request);
        using (response)
        {
            return response.IsSuccessStatusCode ? text : throw new CliException(Describe(response, text));
        }
    }

    /// <summary>Sends the request and reads the answer whole; no answer at all is one line (<see cref="Unreachable"/>).</summary>
    private async Task<(HttpResponseMessage Response, string Text)> Exchange(HttpRequestMessage request)
    {
        HttpResponseMessage? response = null;
        try
        {
            response = await _http.SendAsync(request);
            return (response, await response.Content.ReadAsStringAsync());
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            response?.Dispose();
            throw new CliException(Unreachable(_http.BaseAddress!, e));
        }
    }

    /// <summary>An answer that is not a problem+json from Deconflict (another web server on that port), in one line.</summary>
    internal static string NotDeconflict(Uri server, HttpResponseMessage response) =>
        $"The server at {server} answered {(int)response.StatusCode} with {response.Content.Headers.ContentType?.MediaType ?? "no content type"}, not Deconflict's JSON: is --server the Deconflict server's URL?";

    /// <summary>A refusal: the server's problem (status, code, detail), or one line saying the answer is not Deconflict's.</summary>
    internal static string Refusal(Uri server, HttpResponseMessage response, string text) =>
        response.Content.Headers.ContentType?.MediaType is { } type && type.Contains("json", StringComparison.OrdinalIgnoreCase) && IsJson(text)
            ? Describe((int)response.StatusCode, text)
            : NotDeconflict(server, response);

    private string NotDeconflict(HttpResponseMessage response) => NotDeconflict(_http.BaseAddress!, response);

    private string Describe(HttpResponseMessage response, string text) => Refusal(_http.BaseAddress!, response, text);

    private static bool IsJson(string text)
    {
        try
        {
            return JsonNode.Parse(text) is JsonObject;
        }
        catch (JsonException)
        {
            return false;
        }
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

            // The pointer goes on the line (the member of the body that is wrong), unless the
            // detail already starts from it.
            var pointer = problem?["pointer"]?.GetValue<string>();
            return $"{status} {code}: " + (pointer is null || detail?.Contains(pointer, StringComparison.Ordinal) == true ? detail : $"{detail?.TrimEnd('.')} (at {pointer}).");
        }
        catch (JsonException)
        {
            return $"{status}: {text}";
        }
    }
}
