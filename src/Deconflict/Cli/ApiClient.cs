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
    /// event's type and data, until <paramref name="ct"/> is cancelled. <paramref name="onConnected"/>
    /// runs once the server has answered: every event committed after that is delivered.
    /// </summary>
    public async Task FollowAsync(Func<string, JsonNode, Task> onEvent, CancellationToken ct, Action? onConnected = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "v1/events");
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new CliException(Describe((int)response.StatusCode, await response.Content.ReadAsStringAsync(ct)));
        }

        onConnected?.Invoke();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
        string? type = null;
        string? data = null;
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line.Length == 0)
            {
                if (type is not null && data is not null)
                {
                    await onEvent(type, JsonNode.Parse(data)!);
                }

                (type, data) = (null, null);
            }
            else if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                type = line[7..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data = data is null ? line[6..] : data + "\n" + line[6..];
            }
        }
    }

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
