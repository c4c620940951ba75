using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Deconflict.Core.Record;

namespace Deconflict.Cli;

/// <summary>
/// Where <c>record verify</c> reads from: a live server (head first, then the leaves up to the
/// head's size in pages, then the caller's own event stream from the start), or an export file
/// written by <c>record export</c> from the same reads (JSON Lines: a header, one line per leaf,
/// one per streamed event), so an investigator can verify offline what a party downloaded.
/// </summary>
public static class RecordSources
{
    public const string ExportFormat = "deconflict-record-export/1";
    private const int Page = 10_000;
    private static readonly TimeSpan StreamIdle = TimeSpan.FromSeconds(20);

    /// <summary>Reads a live server. The returned snapshot's sequences read the server lazily.</summary>
    public static async Task<(RecordSnapshot Snapshot, HttpClient Http)> FromServerAsync(string server, string token)
    {
        var http = new HttpClient { BaseAddress = new Uri(server.TrimEnd('/') + "/"), Timeout = Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var key = await Text(http, "v1/record/key");
        var checkpoint = await Text(http, "v1/record/checkpoint");
        var first = await Json(http, "v1/record/entries?start=0&end=0");
        var size = HeadSize(checkpoint);

        // The stream is read while the leaves are checked; it stops once the last entry the caller
        // may see has arrived, which is known when the leaves are done.
        var stream = new StreamCollector(http, size);
        var snapshot = new RecordSnapshot(
            key.Trim(),
            checkpoint,
            first["viewer"]?.GetValue<string>(),
            first["sees_everything"]!.GetValue<bool>(),
            Items(http, size),
            stream.Until,
            (from, to) => Json(http, $"v1/record/proofs/consistency?from={from}&to={to}").GetAwaiter().GetResult()["hashes"]!.AsArray()
                .Select(h => Convert.FromHexString(h!.GetValue<string>())).ToList());
        return (snapshot, http);
    }

    /// <summary>Writes what a verification of the server reads to an export file.</summary>
    public static async Task<long> ExportAsync(string server, string token, string path, TextWriter progress)
    {
        var (snapshot, http) = await FromServerAsync(server, token);
        using (http)
        {
            await using var file = new StreamWriter(path, false, new UTF8Encoding(false));
            var header = new JsonObject
            {
                ["format"] = ExportFormat,
                ["verifier_key"] = snapshot.VerifierKey,
                ["checkpoint"] = snapshot.Checkpoint,
                ["viewer"] = snapshot.Viewer,
                ["sees_everything"] = snapshot.SeesEverything,
                ["server"] = server,
                ["exported_at"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            };
            await file.WriteLineAsync(header.ToJsonString());
            long count = 0;
            long lastVisible = -1;
            var viewer = snapshot.Viewer;
            foreach (var item in snapshot.Items)
            {
                await file.WriteLineAsync(new JsonObject
                {
                    ["item"] = new JsonObject
                    {
                        ["index"] = item.Index,
                        ["leaf_hash"] = Convert.ToHexStringLower(item.LeafHash),
                        ["entry"] = item.Entry is null ? null : Convert.ToBase64String(item.Entry),
                        ["damaged"] = item.Damaged ? true : null,
                    },
                }.ToJsonString());
                if (item.Entry is not null && RecordEntry.Parse(item.Entry) is { } e &&
                    (snapshot.SeesEverything || e.Parties.IsDefaultOrEmpty || (viewer is not null && e.Parties.Contains(viewer))))
                {
                    lastVisible = item.Index;
                }

                if (++count % 100_000 == 0)
                {
                    await progress.WriteLineAsync($"  exported {count:N0} leaves");
                }
            }

            foreach (var e in snapshot.Stream(lastVisible))
            {
                await file.WriteLineAsync(new JsonObject { ["event"] = new JsonObject { ["id"] = e.Id, ["type"] = e.Type, ["data"] = e.Data } }.ToJsonString());
            }

            return count;
        }
    }

    /// <summary>
    /// Reads an export file; the leaves and events are read from the file as they are checked.
    /// Whatever is wrong with the file's shape (not JSON, a duplicate key, a missing or mistyped
    /// member, a hash that is not hex) is a <see cref="CliException"/> naming the line.
    /// </summary>
    public static RecordSnapshot FromExport(string path)
    {
        string? first;
        using (var reader = new StreamReader(path))
        {
            first = reader.ReadLine();
        }

        if (first is null)
        {
            throw new CliException($"{path} is empty.");
        }

        if (ParseLine(path, 1, first) is not JsonObject header || Text(header["format"]) != ExportFormat)
        {
            throw new CliException($"{path} is not a Deconflict record export ({ExportFormat}).");
        }

        return new RecordSnapshot(
            Text(header["verifier_key"]) ?? throw Malformed(path, 1, "verifier_key must be a string"),
            Text(header["checkpoint"]) ?? throw Malformed(path, 1, "checkpoint must be a string"),
            header["viewer"] is null ? null : Text(header["viewer"]) ?? throw Malformed(path, 1, "viewer must be a string or null"),
            header["sees_everything"] is JsonValue all && all.GetValueKind() is JsonValueKind.True or JsonValueKind.False
                ? all.GetValue<bool>()
                : throw Malformed(path, 1, "sees_everything must be true or false"),
            ExportLines(path, "item").Select(n => new RecordItem(
                Integer(n.Value["index"]) ?? throw Malformed(path, n.Line, "an item's index must be an integer"),
                Hex(n.Value["leaf_hash"]) is { Length: MerkleTree.HashSize } leaf ? leaf : throw Malformed(path, n.Line, "an item's leaf_hash must be 64 hex digits"),
                n.Value["entry"] is null ? null : Base64(n.Value["entry"]) ?? throw Malformed(path, n.Line, "an item's entry must be base64 or null"))
            {
                Damaged = n.Value["damaged"] is null ? false : n.Value["damaged"] is JsonValue d && d.GetValueKind() is JsonValueKind.True or JsonValueKind.False
                    ? d.GetValue<bool>()
                    : throw Malformed(path, n.Line, "an item's damaged must be true or false"),
            }),
            _ => ExportLines(path, "event").Select(n => new StreamedEvent(
                Integer(n.Value["id"]) ?? throw Malformed(path, n.Line, "an event's id must be an integer"),
                Text(n.Value["type"]) ?? throw Malformed(path, n.Line, "an event's type must be a string"),
                Text(n.Value["data"]) ?? throw Malformed(path, n.Line, "an event's data must be a string"))),
            (_, _) => null);
    }

    private static IEnumerable<(int Line, JsonObject Value)> ExportLines(string path, string kind)
    {
        using var reader = new StreamReader(path);
        reader.ReadLine();
        var number = 1;
        while (reader.ReadLine() is { } line)
        {
            number++;
            if (ParseLine(path, number, line) is JsonObject o && o[kind] is { } value)
            {
                yield return (number, value as JsonObject ?? throw Malformed(path, number, $"\"{kind}\" must be an object"));
            }
        }
    }

    // Duplicate keys are refused as the API refuses them, rather than failing on first look-up.
    private static readonly JsonDocumentOptions StrictJson = new() { AllowDuplicateProperties = false };

    private static JsonNode? ParseLine(string path, int number, string line)
    {
        try
        {
            return JsonNode.Parse(line, documentOptions: StrictJson);
        }
        catch (JsonException e)
        {
            throw Malformed(path, number, $"not JSON ({e.Message})");
        }
        catch (InvalidOperationException)
        {
            // System.Text.Json's duplicate-member check throws this, not a JsonException, for a
            // member name escaping a lone surrogate (\ud800), which is no text (found by fuzzing).
            throw Malformed(path, number, "not JSON (a member name holds a lone surrogate escape)");
        }
    }

    private static CliException Malformed(string path, int line, string what) =>
        new(string.Create(CultureInfo.InvariantCulture, $"{path}, line {line}: {what}."));

    private static string? Text(JsonNode? node) => FileJson.Text(node);

    private static long? Integer(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<long>(out var n) ? n : null;

    private static byte[]? Hex(JsonNode? node)
    {
        var text = Text(node);
        if (text is null || text.Length % 2 != 0 || !text.All(char.IsAsciiHexDigit))
        {
            return null;
        }

        return Convert.FromHexString(text);
    }

    private static byte[]? Base64(JsonNode? node)
    {
        var text = Text(node);
        var bytes = new byte[((text?.Length ?? 0) / 4 * 3) + 3];
        return text is not null && Convert.TryFromBase64String(text, bytes, out var written) ? bytes[..written] : null;
    }

    private static long HeadSize(string checkpoint)
    {
        var lines = checkpoint.Split('\n');
        return lines.Length > 1 && long.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out var size) ? size : 0;
    }

    /// <summary>The leaves in pages, the next page downloading while this one is checked.</summary>
    private static IEnumerable<RecordItem> Items(HttpClient http, long size)
    {
        Task<EntriesPage>? next = size > 0 ? FetchPage(http, 0, Math.Min(size, Page)) : null;
        for (long start = 0; start < size; start += Page)
        {
            var page = next!.GetAwaiter().GetResult();
            next = start + Page < size ? FetchPage(http, start + Page, Math.Min(size, start + (2 * Page))) : null;
            foreach (var item in page.Items)
            {
                yield return new RecordItem(item.Index, Convert.FromHexString(item.LeafHash), item.Entry) { Damaged = item.Damaged == true };
            }
        }
    }

    private static async Task<EntriesPage> FetchPage(HttpClient http, long start, long end)
    {
        using var response = await http.GetAsync($"v1/record/entries?start={start}&end={end}", HttpCompletionOption.ResponseHeadersRead);
        if (!response.IsSuccessStatusCode)
        {
            throw new CliException($"GET /v1/record/entries: {ApiClient.Refusal(http.BaseAddress!, response, await response.Content.ReadAsStringAsync())}");
        }

        await using var body = await response.Content.ReadAsStreamAsync();
        return await JsonSerializer.DeserializeAsync<EntriesPage>(body, PageJson) ?? throw new CliException("An entries page was empty.");
    }

    private static readonly JsonSerializerOptions PageJson = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private sealed record EntriesPage(List<PageItem> Items);

    // System.Text.Json reads the base64 entry straight into bytes.
    private sealed record PageItem(long Index, string LeafHash, byte[]? Entry, bool? Damaged);

    /// <summary>
    /// Reads the caller's event stream from the first event in the background, until the event
    /// <see cref="Until"/> names has arrived, an event at or beyond the head's size arrives, or
    /// nothing comes for a while (then the verifier reports what is missing).
    /// </summary>
    private sealed class StreamCollector
    {
        private readonly List<StreamedEvent> _events = [];
        private readonly Task _reading;
        private long _stopAt = long.MaxValue;
        private long _lastId = -1;

        public StreamCollector(HttpClient http, long size)
        {
            _reading = size == 0 ? Task.CompletedTask : Task.Run(() => ReadAsync(http, size));
        }

        public IEnumerable<StreamedEvent> Until(long last)
        {
            Volatile.Write(ref _stopAt, last);
            if (last >= 0)
            {
                _reading.GetAwaiter().GetResult();
            }

            lock (_events)
            {
                return [.. _events.Where(e => e.Id <= last)];
            }
        }

        private async Task ReadAsync(HttpClient http, long size)
        {
            using var idle = new CancellationTokenSource();
            using var request = new HttpRequestMessage(HttpMethod.Get, "v1/events");
            request.Headers.TryAddWithoutValidation("Last-Event-ID", "-1");
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            if (!response.IsSuccessStatusCode)
            {
                throw new CliException($"The event stream answered {(int)response.StatusCode}.");
            }

            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            var lastProgress = Environment.TickCount64;
            using var watchdog = new Timer(_ =>
            {
                if (Volatile.Read(ref _lastId) >= Volatile.Read(ref _stopAt) || Environment.TickCount64 - Volatile.Read(ref lastProgress) > StreamIdle.TotalMilliseconds)
                {
                    idle.Cancel();
                }
            }, null, 1000, 1000);
            long? id = null;
            string? type = null;
            string? data = null;
            try
            {
                while (await reader.ReadLineAsync(idle.Token) is { } line)
                {
                    if (line.Length == 0)
                    {
                        if (id is { } i && type is not null)
                        {
                            lock (_events)
                            {
                                _events.Add(new StreamedEvent(i, type, data ?? string.Empty));
                            }

                            Volatile.Write(ref _lastId, i);
                            Volatile.Write(ref lastProgress, Environment.TickCount64);
                            if (i >= Volatile.Read(ref _stopAt) || i >= size - 1)
                            {
                                return;
                            }
                        }

                        (id, type, data) = (null, null, null);
                    }
                    else if (line.StartsWith("id: ", StringComparison.Ordinal))
                    {
                        id = long.Parse(line.AsSpan(4), CultureInfo.InvariantCulture);
                    }
                    else if (line.StartsWith("event: ", StringComparison.Ordinal))
                    {
                        type = line[7..];
                    }
                    else if (line.StartsWith("data: ", StringComparison.Ordinal))
                    {
                        // The server writes each payload on one data line (compact JSON).
                        data = data is null ? line[6..] : data + "\n" + line[6..];
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // Stopped: everything wanted has come, or nothing more is coming.
            }
        }
    }

    private static async Task<string> Text(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        return response.IsSuccessStatusCode ? text : throw new CliException($"GET /{path}: {ApiClient.Refusal(http.BaseAddress!, response, text)}");
    }

    private static async Task<JsonNode> Json(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        try
        {
            return response.IsSuccessStatusCode ? JsonNode.Parse(text)! : throw new CliException($"GET /{path}: {ApiClient.Refusal(http.BaseAddress!, response, text)}");
        }
        catch (JsonException)
        {
            throw new CliException($"GET /{path}: {ApiClient.NotDeconflict(http.BaseAddress!, response)}");
        }
    }
}
