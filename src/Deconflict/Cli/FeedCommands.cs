using System.Buffers;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Deconflict.Core.Feeds;
using Deconflict.Core.Tactical;

namespace Deconflict.Cli;

/// <summary>
/// `deconflict feed sbs|cot`: relays that read a receiver's track feed and post it to the
/// server's `POST /v1/tracks` in JSON batches.
/// </summary>
public static class FeedCommands
{
    public static Command Create(Option<string?> server, Option<string?> token)
    {
        var batchMs = new Option<int>("--batch-ms") { Description = "Post a batch at least this often (milliseconds)", DefaultValueFactory = _ => 200 };
        var maxBatch = new Option<int>("--max-batch") { Description = "At most this many tracks per batch", DefaultValueFactory = _ => 5000 };
        var pipeline = new Option<int>("--pipeline") { Description = "Batches in flight at once", DefaultValueFactory = _ => 4 };
        var statusEvery = new Option<double>("--status-every") { Description = "Seconds between status lines on stderr (0: only at the end)", DefaultValueFactory = _ => 10 };
        var once = new Option<bool>("--once") { Description = "Stop when the source closes instead of reconnecting" };

        var connect = new Option<string>("--connect") { Description = "The receiver's BaseStation port, HOST:PORT (dump1090/readsb: 30003)", Required = true };
        var offset = new Option<string>("--local-offset") { Description = "Offset of the receiver's clock from UTC, e.g. +02:00 (SBS-1 times are the receiver's local time; default: the receiver runs on UTC)", DefaultValueFactory = _ => "+00:00" };
        var velocityAge = new Option<double>("--max-velocity-age") { Description = "Seconds a velocity stays usable for a position", DefaultValueFactory = _ => 10 };
        var forget = new Option<double>("--forget-after") { Description = "Seconds of silence after which an aircraft is forgotten", DefaultValueFactory = _ => 60 };
        var sbs = new Command("sbs", "Relay an SBS-1 BaseStation stream (dump1090, readsb port 30003) to the server")
        {
            connect, offset, velocityAge, forget, batchMs, maxBatch, pipeline, statusEvery, once,
        };
        sbs.WithExamples(
            "deconflict feed sbs --connect 127.0.0.1:30003 --token \"$BLUE_TOKEN\"",
            "deconflict feed sbs --connect receiver.local:30003 --local-offset +03:00 --token \"$BLUE_TOKEN\"");
        sbs.SetAction((parse, ct) => Run(parse, server, token, async (settings, log, token2) =>
        {
            var (host, port) = Endpoint(parse.GetValue(connect)!, "--connect");
            var options = new SbsMergerOptions
            {
                MaxVelocityAge = Seconds(parse.GetValue(velocityAge), "--max-velocity-age"),
                ForgetAfter = Seconds(parse.GetValue(forget), "--forget-after"),
            };
            var feed = new SbsFeed(ParseOffset(parse.GetValue(offset)!), options);
            await using var poster = new TrackPoster(settings);
            var relay = new SbsRelay(feed, poster, log);
            return await relay.RunAsync(host, port, parse.GetValue(once), token2);
        }, batchMs, maxBatch, pipeline, statusEvery, ct));

        var listen = new Option<string?>("--listen") { Description = "Accept CoT streams on HOST:PORT (TAK clients and servers send events over TCP)" };
        var cotConnect = new Option<string?>("--connect") { Description = "Read the CoT stream of a server at HOST:PORT (reconnecting)" };
        var file = new Option<FileInfo?>("--file") { Description = "Read CoT events from a file, post them and stop" };
        var cot = new Command("cot", "Relay Cursor on Target events (TAK) to the server: air tracks only")
        {
            listen, cotConnect, file, batchMs, maxBatch, pipeline, statusEvery, once,
        };
        cot.WithExamples(
            "deconflict feed cot --listen 127.0.0.1:4242 --token \"$RED_TOKEN\"",
            "deconflict feed cot --connect tak.local:8087 --token \"$RED_TOKEN\"",
            "deconflict feed cot --file tracks.cot --token \"$RED_TOKEN\"");
        cot.SetAction((parse, ct) => Run(parse, server, token, async (settings, log, token2) =>
        {
            var sources = new[] { parse.GetValue(listen) is not null, parse.GetValue(cotConnect) is not null, parse.GetValue(file) is not null }.Count(x => x);
            if (sources != 1)
            {
                throw new CliException("Give exactly one of --listen HOST:PORT, --connect HOST:PORT or --file FILE.", exitCode: 2);
            }

            await using var poster = new TrackPoster(settings);
            var relay = new CotRelay(poster, log);
            if (parse.GetValue(file) is { } f)
            {
                return await relay.RunFileAsync(f.FullName, token2);
            }

            if (parse.GetValue(listen) is { } l)
            {
                var (host, port) = Endpoint(l, "--listen");
                return await relay.RunListenAsync(host, port, token2);
            }

            var (chost, cport) = Endpoint(parse.GetValue(cotConnect)!, "--connect");
            return await relay.RunConnectAsync(chost, cport, parse.GetValue(once), token2);
        }, batchMs, maxBatch, pipeline, statusEvery, ct));

        return new Command("feed", "Relay track feeds (SBS-1, Cursor on Target) to the server") { sbs, cot };
    }

    /// <summary>The offset of a receiver's clock: +02:00, -05:30, 3, Z or UTC; within ±14 h.</summary>
    internal static TimeSpan ParseOffset(string text)
    {
        var t = text.Trim();
        if (t is "Z" or "z" || t.Equals("UTC", StringComparison.OrdinalIgnoreCase))
        {
            return TimeSpan.Zero;
        }

        var sign = 1;
        if (t.StartsWith('+') || t.StartsWith('-'))
        {
            sign = t[0] == '-' ? -1 : 1;
            t = t[1..];
        }

        var parts = t.Split(':');
        if (parts.Length is 1 or 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var hours)
            && (parts.Length == 1 || (parts[1].Length == 2 && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out _)))
            && hours <= 14)
        {
            var minutes = parts.Length == 2 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : 0;
            if (minutes < 60 && hours * 60 + minutes <= 14 * 60)
            {
                return sign * new TimeSpan(hours, minutes, 0);
            }
        }

        throw new CliException($"--local-offset must be an offset from UTC like +02:00, -05:30 or Z; '{text}' is not.", exitCode: 2);
    }

    internal static (string Host, int Port) Endpoint(string text, string option)
    {
        var colon = text.LastIndexOf(':');
        if (colon > 0 && int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536)
        {
            return (text[..colon].Trim('[', ']'), port);
        }

        throw new CliException($"{option} must be HOST:PORT, like 127.0.0.1:30003; '{text}' is not.", exitCode: 2);
    }

    private static TimeSpan Seconds(double value, string option) =>
        value > 0 && double.IsFinite(value) ? TimeSpan.FromSeconds(value) : throw new CliException($"{option} must be a positive number of seconds.", exitCode: 2);

    private static async Task<int> Run(
        ParseResult parse,
        Option<string?> serverOption,
        Option<string?> tokenOption,
        Func<RelaySettings, TextWriter, CancellationToken, Task<int>> relay,
        Option<int> batchMs,
        Option<int> maxBatch,
        Option<int> pipeline,
        Option<double> statusEvery,
        CancellationToken ct)
    {
        var server = parse.GetValue(serverOption) ?? Environment.GetEnvironmentVariable(CliApp.ServerVariable);
        var token = parse.GetValue(tokenOption) ?? Environment.GetEnvironmentVariable(CliApp.TokenVariable);
        if (string.IsNullOrEmpty(server) || string.IsNullOrEmpty(token))
        {
            await Console.Error.WriteLineAsync($"Give --server and --token (or set {CliApp.ServerVariable} and {CliApp.TokenVariable}).");
            return 2;
        }

        try
        {
            var uri = ApiClient.ServerAddress(server);
            var settings = new RelaySettings(
                uri,
                token,
                TimeSpan.FromMilliseconds(parse.GetValue(batchMs) is var ms and > 0 ? ms : throw new CliException("--batch-ms must be positive.", exitCode: 2)),
                parse.GetValue(maxBatch) is var max and > 0 ? max : throw new CliException("--max-batch must be positive.", exitCode: 2),
                parse.GetValue(pipeline) is var depth and > 0 and <= 64 ? depth : throw new CliException("--pipeline must be 1 to 64.", exitCode: 2),
                TimeSpan.FromSeconds(Math.Max(0, parse.GetValue(statusEvery))));
            return await relay(settings, Console.Error, ct);
        }
        catch (CliException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return e.ExitCode;
        }
    }
}

/// <summary>Where and how a relay posts: server, token, batching, batches in flight, status period.</summary>
internal sealed record RelaySettings(Uri Server, string Token, TimeSpan BatchInterval, int MaxBatch, int Pipeline, TimeSpan StatusEvery)
{
    /// <summary>The first wait before reconnecting to a source that dropped; it doubles up to 30 s.</summary>
    public TimeSpan FirstBackoff { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// Batches track reports and posts them to `POST /v1/tracks`, several batches in flight.
/// Producers call <see cref="Add"/> (thread-safe); a full batch, or whatever is pending every
/// batch interval, goes into a bounded queue that the senders empty. When the server is slower
/// than the feed the queue fills and <see cref="EnqueueAsync"/> waits, which slows the reading
/// of the source (back-pressure to the receiver) rather than growing memory.
/// Errors: 401/403 stop the relay (<see cref="Fatal"/>); a network error, 408, 429 or 5xx is
/// retried twice (after 0.5 s and 1 s) and the batch then dropped; any other refusal drops the
/// batch at once. All are counted and the last one kept for the status line.
/// </summary>
internal sealed class TrackPoster : IAsyncDisposable
{
    /// <summary>The server's default request limit (DeconflictOptions.MaxRequestBytes), less room for headers.</summary>
    public const int MaxBodyBytes = (1 << 20) - 4096;

    private readonly RelaySettings _settings;
    private readonly HttpClient _http;
    private readonly Channel<List<TrackReport>> _queue;
    private readonly Task[] _senders;
    private readonly Task _flusher;
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _stopFlushing = new();
    private readonly Lock _gate = new();
    private List<TrackReport> _pending;
    private long _reports, _posted, _accepted, _batches, _errors, _dropped;
    private string? _lastError;
    private string? _fatal;
    private bool _completed;

    public TrackPoster(RelaySettings settings, HttpMessageHandler? handler = null)
    {
        _settings = settings;
        _pending = new List<TrackReport>(settings.MaxBatch);
        handler ??= new SocketsHttpHandler { MaxConnectionsPerServer = settings.Pipeline, PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        _http = new HttpClient(handler) { BaseAddress = new Uri(settings.Server.ToString().TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(30) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", settings.Token);
        _queue = Channel.CreateBounded<List<TrackReport>>(new BoundedChannelOptions(settings.Pipeline * 2) { SingleReader = false, SingleWriter = false });
        _senders = [.. Enumerable.Range(0, settings.Pipeline).Select(_ => Task.Run(SendLoop))];
        _flusher = Task.Run(FlushLoop);
    }

    /// <summary>Called with each batch's time from being sealed to the server's answer (load tools).</summary>
    public Action<TimeSpan>? OnBatchAnswered { get; set; }

    public long Reports => Interlocked.Read(ref _reports);

    public long Posted => Interlocked.Read(ref _posted);

    public long Accepted => Interlocked.Read(ref _accepted);

    public long Batches => Interlocked.Read(ref _batches);

    public long Errors => Interlocked.Read(ref _errors);

    public long Dropped => Interlocked.Read(ref _dropped);

    public string? LastError => Volatile.Read(ref _lastError);

    public RelaySettings Settings => _settings;

    /// <summary>Set when the server refused the token: the relay must stop.</summary>
    public string? Fatal => Volatile.Read(ref _fatal);

    /// <summary>Cancelled when the relay must stop (fatal error).</summary>
    public CancellationToken Stopping => _stop.Token;

    /// <summary>Adds a report; returns a batch that is now full, which the caller must pass to <see cref="EnqueueAsync"/>.</summary>
    public List<TrackReport>? Add(TrackReport report)
    {
        lock (_gate)
        {
            _reports++;
            _pending.Add(report);
            if (_pending.Count < _settings.MaxBatch)
            {
                return null;
            }

            var full = _pending;
            _pending = new List<TrackReport>(_settings.MaxBatch);
            return full;
        }
    }

    public ValueTask EnqueueAsync(List<TrackReport> batch, CancellationToken ct) => _queue.Writer.WriteAsync(batch, ct);

    /// <summary>Prints the relay's last status line and the fatal error if there was one; returns the exit code (1 after a fatal error).</summary>
    public async Task<int> ReportEndAsync(TextWriter log, string status)
    {
        await log.WriteLineAsync(status);
        if (Fatal is { } fatal)
        {
            await log.WriteLineAsync(fatal);
            return 1;
        }

        return 0;
    }

    /// <summary>Posts what is pending, waits for every batch to be answered, and stops the senders.</summary>
    public async Task CompleteAsync()
    {
        if (_completed)
        {
            return;
        }

        _completed = true;
        await _stopFlushing.CancelAsync();
        await _flusher;
        var last = TakePending();
        if (last is not null && Fatal is null)
        {
            await _queue.Writer.WriteAsync(last);
        }

        _queue.Writer.TryComplete();
        await Task.WhenAll(_senders);
    }

    public string Status() =>
        $"reports {Reports:N0}, posted {Posted:N0} in {Batches:N0} batches, accepted {Accepted:N0}, errors {Errors:N0}"
        + (Dropped > 0 ? $" ({Dropped:N0} reports dropped)" : string.Empty)
        + (LastError is { } e ? $" (last: {e})" : string.Empty);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await CompleteAsync();
        }
        finally
        {
            _http.Dispose();
            _stop.Dispose();
            _stopFlushing.Dispose();
        }
    }

    private List<TrackReport>? TakePending()
    {
        lock (_gate)
        {
            if (_pending.Count == 0)
            {
                return null;
            }

            var batch = _pending;
            _pending = new List<TrackReport>(Math.Min(_settings.MaxBatch, 1024));
            return batch;
        }
    }

    private async Task FlushLoop()
    {
        using var timer = new PeriodicTimer(_settings.BatchInterval);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, _stopFlushing.Token);
        List<TrackReport>? batch = null;
        try
        {
            while (await timer.WaitForNextTickAsync(stop.Token))
            {
                batch = TakePending();
                if (batch is not null)
                {
                    await _queue.Writer.WriteAsync(batch, stop.Token);
                    batch = null;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        if (batch is not null)
        {
            // Stopped while waiting for room: give the batch back so CompleteAsync posts it.
            lock (_gate)
            {
                batch.AddRange(_pending);
                _pending = batch;
            }
        }
    }

    private async Task SendLoop()
    {
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        using var writer = new Utf8JsonWriter(buffer);
        await foreach (var batch in _queue.Reader.ReadAllAsync())
        {
            if (Fatal is not null)
            {
                Interlocked.Add(ref _dropped, batch.Count);
                continue;
            }

            var sealedAt = Stopwatch.GetTimestamp();
            await PostWithin(buffer, writer, batch);
            OnBatchAnswered?.Invoke(Stopwatch.GetElapsedTime(sealedAt));
        }
    }

    /// <summary>
    /// Posts the batch as one body, or, when its JSON is larger than the server's default request
    /// limit (1 MiB; 5,000 reports with callsigns come close), as halves, each checked again.
    /// </summary>
    private async Task PostWithin(ArrayBufferWriter<byte> buffer, Utf8JsonWriter writer, List<TrackReport> batch)
    {
        buffer.ResetWrittenCount();
        writer.Reset(buffer);
        TrackJson.Write(writer, batch);
        writer.Flush();
        if (buffer.WrittenCount > MaxBodyBytes && batch.Count > 1)
        {
            var half = batch.Count / 2;
            await PostWithin(buffer, writer, batch[..half]);
            await PostWithin(buffer, writer, batch[half..]);
            return;
        }

        await Post(buffer.WrittenMemory, batch.Count);
    }

    private async Task Post(ReadOnlyMemory<byte> body, int count)
    {
        for (var attempt = 0; ; attempt++)
        {
            string problem;
            var retry = true;
            try
            {
                using var content = new ReadOnlyMemoryContent(body);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                using var response = await _http.PostAsync("v1/tracks", content, _stop.Token);
                var text = await response.Content.ReadAsByteArrayAsync(_stop.Token);
                var status = (int)response.StatusCode;
                if (response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref _batches);
                    Interlocked.Add(ref _posted, count);
                    Interlocked.Add(ref _accepted, AcceptedOf(text) ?? count);
                    return;
                }

                problem = Describe(status, text);
                if (status is 401 or 403)
                {
                    Interlocked.Increment(ref _errors);
                    Interlocked.Add(ref _dropped, count);
                    Volatile.Write(ref _lastError, problem);
                    Volatile.Write(ref _fatal, $"The server refused the token ({problem}). Check --token (or ${CliApp.TokenVariable}) and that it belongs to a party that may post tracks.");
                    await _stop.CancelAsync();
                    return;
                }

                retry = status is 408 or 429 or >= 500;
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                Interlocked.Add(ref _dropped, count);
                return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                problem = $"cannot reach {_settings.Server}: {e.Message}";
            }

            Interlocked.Increment(ref _errors);
            Volatile.Write(ref _lastError, problem);
            if (!retry || attempt >= 2)
            {
                Interlocked.Add(ref _dropped, count);
                return;
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500 << attempt), _stop.Token);
            }
            catch (OperationCanceledException)
            {
                Interlocked.Add(ref _dropped, count);
                return;
            }
        }
    }

    private static long? AcceptedOf(byte[] json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("accepted"u8) && reader.Read() && reader.TryGetInt64(out var n))
                {
                    return n;
                }
            }
        }
        catch (JsonException)
        {
        }

        return null;
    }

    /// <summary>"status code: detail" from a problem+json answer, or the start of whatever else came back.</summary>
    private static string Describe(int status, byte[] body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            string? Get(string name) => root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            return $"{status} {Get("code") ?? Get("title")}: {Get("detail") ?? Get("title")}";
        }
        catch (JsonException)
        {
            var text = Encoding.UTF8.GetString(body.AsSpan(0, Math.Min(body.Length, 200)));
            return text.Length == 0 ? $"{status}" : $"{status}: {text}";
        }
    }
}

/// <summary>The `POST /v1/tracks` body, written straight to UTF-8.</summary>
internal static class TrackJson
{
    private static readonly JsonEncodedText Tracks = JsonEncodedText.Encode("tracks");
    private static readonly JsonEncodedText Id = JsonEncodedText.Encode("id");
    private static readonly JsonEncodedText Time = JsonEncodedText.Encode("time");
    private static readonly JsonEncodedText Lat = JsonEncodedText.Encode("lat");
    private static readonly JsonEncodedText Lng = JsonEncodedText.Encode("lng");
    private static readonly JsonEncodedText Altitude = JsonEncodedText.Encode("altitude_m");
    private static readonly JsonEncodedText Velocity = JsonEncodedText.Encode("velocity");
    private static readonly JsonEncodedText East = JsonEncodedText.Encode("east_mps");
    private static readonly JsonEncodedText North = JsonEncodedText.Encode("north_mps");
    private static readonly JsonEncodedText Up = JsonEncodedText.Encode("up_mps");
    private static readonly JsonEncodedText Callsign = JsonEncodedText.Encode("callsign");

    /// <summary>`{"tracks":[{"id","time" (RFC 3339, Z),"lat","lng","altitude_m","velocity":{...},"callsign"?}]}`.</summary>
    public static void Write(Utf8JsonWriter w, IReadOnlyList<TrackReport> batch)
    {
        w.WriteStartObject();
        w.WriteStartArray(Tracks);
        foreach (var r in batch)
        {
            w.WriteStartObject();
            w.WriteString(Id, r.Id);
            w.WriteString(Time, r.Time.UtcDateTime);
            w.WriteNumber(Lat, r.Lat);
            w.WriteNumber(Lng, r.Lng);
            w.WriteNumber(Altitude, r.AltitudeM);
            w.WriteStartObject(Velocity);
            w.WriteNumber(East, r.Velocity.East);
            w.WriteNumber(North, r.Velocity.North);
            w.WriteNumber(Up, r.Velocity.Up);
            w.WriteEndObject();
            if (r.Callsign is not null)
            {
                w.WriteString(Callsign, r.Callsign);
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }
}

/// <summary>Connects to a TCP source and reconnects with backoff (doubling to 30 s, reset once a connection delivered data).</summary>
internal static class Reconnecting
{
    public static async Task RunAsync(string name, string host, int port, bool once, TimeSpan firstBackoff, TextWriter log, Func<Stream, CancellationToken, Task<bool>> consume, CancellationToken ct)
    {
        var backoff = firstBackoff;
        while (!ct.IsCancellationRequested)
        {
            string why;
            try
            {
                using var client = new TcpClient { NoDelay = true };
                await client.ConnectAsync(host, port, ct);
                await log.WriteLineAsync($"[{name}] connected to {host}:{port}.");
                var gotData = await consume(client.GetStream(), ct);
                if (gotData)
                {
                    backoff = firstBackoff;
                }

                why = "the source closed the connection";
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is SocketException or IOException)
            {
                why = e.Message;
            }

            if (once)
            {
                await log.WriteLineAsync($"[{name}] {why}; stopping (--once).");
                return;
            }

            await log.WriteLineAsync($"[{name}] {why}; reconnecting to {host}:{port} in {backoff.TotalSeconds:0.#} s.");
            try
            {
                await Task.Delay(backoff, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
        }
    }

    /// <summary>Prints <paramref name="status"/> every period until cancelled.</summary>
    public static async Task StatusLoop(TimeSpan every, TextWriter log, Func<string> status, CancellationToken ct)
    {
        if (every <= TimeSpan.Zero)
        {
            return;
        }

        using var timer = new PeriodicTimer(every);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                await log.WriteLineAsync(status());
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}

/// <summary>
/// `feed sbs`: reads a BaseStation TCP stream line by line (bytes, no strings), merges with
/// <see cref="SbsFeed"/> and posts through a <see cref="TrackPoster"/>. Malformed lines are
/// counted and skipped; a dropped connection is reconnected with backoff.
/// </summary>
internal sealed class SbsRelay(SbsFeed feed, TrackPoster poster, TextWriter log)
{
    private const int BufferBytes = 64 * 1024;

    public SbsFeed Feed => feed;

    public TrackPoster Poster => poster;

    public string Status(string name) =>
        $"[{name}] lines {feed.Lines:N0}, malformed {feed.Malformed:N0}"
        + (feed.LastMalformed is { } m ? $" (last: {m})" : string.Empty)
        + $", aircraft {feed.Merger.AircraftCount:N0}, {poster.Status()}";

    public async Task<int> RunAsync(string host, int port, bool once, CancellationToken ct)
    {
        var name = $"sbs {host}:{port}";
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, poster.Stopping);
        using var statusStop = new CancellationTokenSource();
        var status = Reconnecting.StatusLoop(poster.Settings.StatusEvery, log, () => Status(name), statusStop.Token);
        await Reconnecting.RunAsync(name, host, port, once, poster.Settings.FirstBackoff, log, (s, t) => ConsumeAsync(s, t), linked.Token);
        await poster.CompleteAsync();
        await statusStop.CancelAsync();
        await status;
        return await poster.ReportEndAsync(log, Status(name));
    }

    /// <summary>Reads lines until the stream ends; true when anything was read.</summary>
    public async Task<bool> ConsumeAsync(Stream stream, CancellationToken ct)
    {
        var buffer = new byte[BufferBytes];
        var filled = 0;
        var skippingLongLine = false;
        var any = false;
        var full = new List<List<TrackReport>>();
        while (true)
        {
            int read;
            try
            {
                read = await stream.ReadAsync(buffer.AsMemory(filled), ct);
            }
            catch (OperationCanceledException)
            {
                return any;
            }

            if (read == 0)
            {
                if (filled > 0 && !skippingLongLine)
                {
                    Take(buffer.AsSpan(0, filled), full);
                }

                await Enqueue(full, ct);
                return any;
            }

            any = true;
            filled += read;
            var start = 0;
            var scanned = filled - read;
            while (true)
            {
                var newline = buffer.AsSpan(scanned, filled - scanned).IndexOf((byte)'\n');
                if (newline < 0)
                {
                    break;
                }

                var end = scanned + newline;
                if (skippingLongLine)
                {
                    skippingLongLine = false;
                }
                else
                {
                    Take(buffer.AsSpan(start, end - start), full);
                }

                start = scanned = end + 1;
            }

            if (start == 0 && filled == buffer.Length)
            {
                // A line longer than the whole buffer: refuse it once and skip to its end.
                if (!skippingLongLine)
                {
                    Take(buffer, full);
                }

                skippingLongLine = true;
                filled = 0;
            }
            else if (start > 0)
            {
                buffer.AsSpan(start, filled - start).CopyTo(buffer);
                filled -= start;
            }

            await Enqueue(full, ct);
        }
    }

    private void Take(ReadOnlySpan<byte> line, List<List<TrackReport>> full)
    {
        if (feed.Accept(line) is { } report && poster.Add(report) is { } batch)
        {
            full.Add(batch);
        }
    }

    private async Task Enqueue(List<List<TrackReport>> full, CancellationToken ct)
    {
        foreach (var batch in full)
        {
            await poster.EnqueueAsync(batch, ct);
        }

        full.Clear();
    }
}

/// <summary>
/// `feed cot`: reads Cursor on Target events from a file, from TCP connections it accepts, or from
/// a TCP server it connects to; cuts the text into events (<see cref="CotStreamSplitter"/>),
/// keeps the air tracks (<see cref="CursorOnTarget"/>) and posts them.
/// </summary>
internal sealed class CotRelay(TrackPoster poster, TextWriter log)
{
    private long _events, _reports, _skipped, _refused, _malformed;
    private string? _lastRefused;

    public long Events => Interlocked.Read(ref _events);

    public string Status(string name) =>
        $"[{name}] events {Events:N0}, air tracks {Interlocked.Read(ref _reports):N0}, skipped {Interlocked.Read(ref _skipped):N0} (not air tracks), "
        + $"refused {Interlocked.Read(ref _refused):N0}, malformed {Interlocked.Read(ref _malformed):N0}"
        + (Volatile.Read(ref _lastRefused) is { } r ? $" (last: {r})" : string.Empty)
        + $", {poster.Status()}";

    public async Task<int> RunFileAsync(string path, CancellationToken ct)
    {
        if (!File.Exists(path))
        {
            throw new CliException($"No file {path}.");
        }

        await using var stream = File.OpenRead(path);
        return await Run($"cot {Path.GetFileName(path)}", async t => await ConsumeAsync(stream, t), ct);
    }

    public Task<int> RunConnectAsync(string host, int port, bool once, CancellationToken ct) =>
        Run($"cot {host}:{port}", t => Reconnecting.RunAsync($"cot {host}:{port}", host, port, once, poster.Settings.FirstBackoff, log, ConsumeAsync, t), ct);

    public Task<int> RunListenAsync(string host, int port, CancellationToken ct) =>
        Run($"cot listening on {host}:{port}", async t =>
        {
            var address = IPAddress.TryParse(host, out var ip) ? ip : (await Dns.GetHostAddressesAsync(host, t))[0];
            var listener = new TcpListener(address, port);
            listener.Start();
            await log.WriteLineAsync($"[cot] listening on {listener.LocalEndpoint}.");
            var connections = new List<Task>();
            try
            {
                while (!t.IsCancellationRequested)
                {
                    var client = await listener.AcceptTcpClientAsync(t);
                    connections.Add(Task.Run(async () =>
                    {
                        using (client)
                        {
                            var from = client.Client.RemoteEndPoint;
                            await log.WriteLineAsync($"[cot] connection from {from}.");
                            try
                            {
                                await ConsumeAsync(client.GetStream(), t);
                            }
                            catch (IOException e)
                            {
                                await log.WriteLineAsync($"[cot] connection from {from} failed: {e.Message}");
                            }

                            await log.WriteLineAsync($"[cot] connection from {from} closed.");
                        }
                    }, CancellationToken.None));
                    connections.RemoveAll(c => c.IsCompleted);
                }
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                listener.Stop();
            }

            await Task.WhenAll(connections);
        }, ct);

    /// <summary>Reads events until the stream ends; true when anything was read.</summary>
    public async Task<bool> ConsumeAsync(Stream stream, CancellationToken ct)
    {
        var splitter = new CotStreamSplitter();
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 16 * 1024, leaveOpen: true);
        var chars = new char[16 * 1024];
        var any = false;
        long oversized = 0;
        while (true)
        {
            int read;
            try
            {
                read = await reader.ReadAsync(chars.AsMemory(), ct);
            }
            catch (OperationCanceledException)
            {
                return any;
            }

            if (read == 0)
            {
                return any;
            }

            any = true;
            foreach (var xml in splitter.Push(chars.AsSpan(0, read)))
            {
                Interlocked.Increment(ref _events);
                CotParseResult result;
                try
                {
                    result = CursorOnTarget.Parse(xml);
                }
                catch (FormatException e)
                {
                    Interlocked.Increment(ref _malformed);
                    Volatile.Write(ref _lastRefused, e.Message);
                    continue;
                }

                Interlocked.Add(ref _skipped, result.Skipped.Count);
                Interlocked.Add(ref _refused, result.Refused.Count);
                if (result.Refused.Count > 0)
                {
                    var r = result.Refused[^1];
                    Volatile.Write(ref _lastRefused, $"event {r.Uid}: {r.Reason}");
                }

                foreach (var report in result.Reports)
                {
                    Interlocked.Increment(ref _reports);
                    if (poster.Add(report) is { } batch)
                    {
                        await poster.EnqueueAsync(batch, ct);
                    }
                }
            }

            if (splitter.Oversized > oversized)
            {
                Interlocked.Add(ref _malformed, splitter.Oversized - oversized);
                oversized = splitter.Oversized;
                Volatile.Write(ref _lastRefused, "an event grew past 64 KiB without </event>; dropped");
            }
        }
    }

    private async Task<int> Run(string name, Func<CancellationToken, Task> source, CancellationToken ct)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, poster.Stopping);
        using var statusStop = new CancellationTokenSource();
        var status = Reconnecting.StatusLoop(poster.Settings.StatusEvery, log, () => Status(name), statusStop.Token);
        try
        {
            await source(linked.Token);
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
        }
        catch (SocketException e)
        {
            throw new CliException($"[{name}] {e.Message}");
        }
        finally
        {
            await poster.CompleteAsync();
            await statusStop.CancelAsync();
            await status;
        }

        return await poster.ReportEndAsync(log, Status(name));
    }
}
