using System.Buffers;
using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Deconflict.Cli;
using Deconflict.Core.Feeds;
using Deconflict.Storage.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Deconflict.Benchmarks.Load;

/// <summary>
/// `sbs-load --rate R --seconds S [--aircraft N] [--sink] [--pipeline P] [--max-batch B] [--batch-ms M]`:
/// the SBS-1 relay of `deconflict feed sbs`, in this process, reading a loopback TCP source that
/// writes realistic BaseStation lines for N aircraft (default 20,000: per aircraft four MSG 3 and
/// four MSG 4 in every ten lines, then a MSG 1 and a MSG 5 or 8) at R lines/s (0: as fast as the
/// relay reads), and posting to a real server started with `StartServer` (party `blue`), or with
/// `--sink` to an in-process loopback endpoint that only counts and answers 202. First it times
/// parse and merge alone on one core over pre-generated lines. Reports lines/s parsed, reports/s
/// posted and accepted, and each batch's time from sealed to answered.
/// </summary>
public static class SbsRelayLoad
{
    private static readonly DateTime Epoch = new(2026, 11, 26, 9, 0, 0, DateTimeKind.Utc);

    public static async Task<int> RunAsync(string[] args)
    {
        var rate = SubmissionLoad.Arg(args, "--rate", 0);
        var seconds = SubmissionLoad.Arg(args, "--seconds", 20);
        var aircraft = SubmissionLoad.Arg(args, "--aircraft", 20_000);
        var pipeline = SubmissionLoad.Arg(args, "--pipeline", 4);
        var maxBatch = SubmissionLoad.Arg(args, "--max-batch", 5000);
        var batchMs = SubmissionLoad.Arg(args, "--batch-ms", 200);
        var sink = args.Contains("--sink");

        ParseAlone(aircraft, 2_000_000);
        if (args.Contains("--parse-only"))
        {
            return 0;
        }

        var directory = Path.Combine(Path.GetTempPath(), "deconflict-load", Guid.NewGuid().ToString("N"));
        System.Diagnostics.Process? server = null;
        WebApplication? sinkApp = null;
        long sinkTracks = 0;
        try
        {
            Uri url;
            string token;
            if (sink)
            {
                (sinkApp, url) = await StartSink(n => Interlocked.Add(ref sinkTracks, n));
                token = "dcf_sink";
            }
            else
            {
                Directory.CreateDirectory(directory);
                var db = Path.Combine(directory, "tracks.db");
                var store = new SqliteStore(db);
                store.Migrate();
                token = (await SubmissionLoad.PartyTokensAsync(store, "blue"))["blue"];
                await store.DisposeAsync();
                SqliteConnection.ClearAllPools();
                var port = SubmissionLoad.FreePort();
                server = SubmissionLoad.StartServer(db, port, "dcf_load-admin-secret-of-the-benchmarks-0123456789ab");
                url = new Uri($"http://127.0.0.1:{port}/");
                using var health = new HttpClient { BaseAddress = url };
                await SubmissionLoad.WaitHealthy(health, server);
            }

            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var sourcePort = ((IPEndPoint)listener.LocalEndpoint).Port;
            using var stopSource = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
            var offered = 0L;
            var source = Task.Run(async () =>
            {
                using var client = await listener.AcceptTcpClientAsync();
                client.NoDelay = true;
                offered = await Generate(client.GetStream(), aircraft, rate, stopSource.Token);
            });

            var latencies = new ConcurrentQueue<double>();
            var settings = new RelaySettings(url, token, TimeSpan.FromMilliseconds(batchMs), maxBatch, pipeline, TimeSpan.Zero);
            var clock = Stopwatch.StartNew();
            SbsRelay relay;
            await using (var poster = new TrackPoster(settings) { OnBatchAnswered = t => latencies.Enqueue(t.TotalMilliseconds) })
            {
                relay = new SbsRelay(new SbsFeed(TimeSpan.Zero), poster, TextWriter.Null);
                var progress = Task.Run(async () =>
                {
                    while (!stopSource.IsCancellationRequested)
                    {
                        await Task.Delay(5000);
                        Console.WriteLine($"  {clock.Elapsed.TotalSeconds,5:F0} s: lines {relay.Feed.Lines:N0}, reports {poster.Reports:N0}, accepted {poster.Accepted:N0}, errors {poster.Errors:N0}");
                    }
                });
                var code = await relay.RunAsync("127.0.0.1", sourcePort, once: true, CancellationToken.None);
                await source;
                await progress;
                var elapsed = clock.Elapsed.TotalSeconds;
                var lat = latencies.Order().ToArray();
                var feed = relay.Feed;
                Console.WriteLine();
                Console.WriteLine($"target              {(sink ? "in-process sink (counts, answers 202)" : "deconflict serve (SQLite), party blue")}; pipeline {pipeline}, max batch {maxBatch}, batch {batchMs} ms; {aircraft:N0} aircraft");
                Console.WriteLine($"source              {offered:N0} lines in {seconds} s ({(rate > 0 ? $"asked {rate:N0}/s" : "as fast as read")})");
                Console.WriteLine($"parsed              {feed.Lines:N0} lines, {feed.Lines / elapsed:N0} lines/s, malformed {feed.Malformed:N0}");
                Console.WriteLine($"reports             {poster.Reports:N0} made, {poster.Reports / elapsed:N0} /s");
                Console.WriteLine($"posted              {poster.Posted:N0} in {poster.Batches:N0} batches, {poster.Posted / elapsed:N0} /s; accepted {poster.Accepted:N0}, {poster.Accepted / elapsed:N0} /s");
                Console.WriteLine($"errors              {poster.Errors:N0}, dropped {poster.Dropped:N0}{(poster.LastError is { } e ? $" (last: {e})" : string.Empty)}");
                Console.WriteLine($"batch latency       p50 {P(lat, 0.5):F1} ms, p99 {P(lat, 0.99):F1} ms, max {P(lat, 1):F1} ms (sealed to answered)");
                if (sink)
                {
                    Console.WriteLine($"sink counted        {Interlocked.Read(ref sinkTracks):N0} tracks");
                }

                return code == 0 && poster.Errors == 0 && poster.Reports > 0 ? 0 : 1;
            }
        }
        finally
        {
            if (server is not null)
            {
                server.Kill(entireProcessTree: true);
                await server.WaitForExitAsync();
                server.Dispose();
            }

            if (sinkApp is not null)
            {
                await sinkApp.StopAsync();
                await sinkApp.DisposeAsync();
            }

            SqliteConnection.ClearAllPools();
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    /// <summary>Parse and merge alone, on this thread, over pre-generated lines: the relay's ceiling per core.</summary>
    private static void ParseAlone(int aircraft, int lines)
    {
        var traffic = new Traffic(aircraft);
        var buffer = new ArrayBufferWriter<byte>(lines * 130);
        for (var i = 0; i < lines; i++)
        {
            traffic.WriteLine(buffer, Epoch.AddTicks(i * (TimeSpan.TicksPerSecond / 200_000)));
        }

        var data = buffer.WrittenMemory;
        for (var round = 0; round < 2; round++)
        {
            // Round 0 warms up the JIT; round 1 is measured.
            var feed = new SbsFeed(TimeSpan.Zero);
            var reports = 0L;
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            var clock = Stopwatch.StartNew();
            var span = data.Span;
            while (!span.IsEmpty)
            {
                var nl = span.IndexOf((byte)'\n');
                var line = nl < 0 ? span : span[..nl];
                if (feed.Accept(line) is not null)
                {
                    reports++;
                }

                span = nl < 0 ? default : span[(nl + 1)..];
            }

            var s = clock.Elapsed.TotalSeconds;
            allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
            if (round == 1)
            {
                Console.WriteLine($"parse+merge alone   {lines:N0} lines in {s:F2} s: {lines / s:N0} lines/s, {reports / s:N0} reports/s on one core ({reports:N0} reports, malformed {feed.Malformed}, {allocated / (double)lines:F0} bytes allocated per line)");
            }
        }
    }

    /// <summary>Writes lines to the relay at <paramref name="rate"/> lines/s (0: as fast as it reads) until cancelled.</summary>
    private static async Task<long> Generate(NetworkStream stream, int aircraft, int rate, CancellationToken ct)
    {
        var traffic = new Traffic(aircraft);
        var buffer = new ArrayBufferWriter<byte>(256 * 1024);
        var clock = Stopwatch.StartNew();
        long lines = 0;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var due = rate > 0 ? (long)(clock.Elapsed.TotalSeconds * rate) : lines + 1500;
                if (due <= lines)
                {
                    await Task.Delay(1, ct);
                    continue;
                }

                var now = Epoch + clock.Elapsed;
                buffer.ResetWrittenCount();
                var made = lines;
                for (; made < due && buffer.WrittenCount < 200 * 1024; made++)
                {
                    traffic.WriteLine(buffer, now);
                }

                await stream.WriteAsync(buffer.WrittenMemory, ct);
                lines = made;
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (IOException)
        {
        }

        stream.Socket.Shutdown(SocketShutdown.Send);
        return lines;
    }

    /// <summary>An answer of 202 with the count of tracks, found by counting `{"id":` without parsing the JSON.</summary>
    private static async Task<(WebApplication App, Uri Url)> StartSink(Action<long> add)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapPost("/v1/tracks", async (HttpContext context) =>
        {
            var body = new ArrayBufferWriter<byte>(1 << 20);
            while (true)
            {
                var read = await context.Request.Body.ReadAsync(body.GetMemory(64 * 1024));
                if (read == 0)
                {
                    break;
                }

                body.Advance(read);
            }

            var count = CountIds(body.WrittenSpan);
            add(count);
            context.Response.StatusCode = 202;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync($"{{\"accepted\":{count}}}");
        });
        await app.StartAsync();
        return (app, new Uri(app.Urls.First().TrimEnd('/') + "/"));
    }

    private static long CountIds(ReadOnlySpan<byte> body)
    {
        long n = 0;
        int at;
        while ((at = body.IndexOf("{\"id\":"u8)) >= 0)
        {
            n++;
            body = body[(at + 6)..];
        }

        return n;
    }

    private static double P(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    /// <summary>
    /// Aircraft over the eastern Mediterranean at 3,000-12,000 m and 150-250 m/s; each line is the
    /// next aircraft's next message in the cycle 3 4 3 4 3 4 3 4 1 (5|8), as a receiver sees ADS-B.
    /// </summary>
    private sealed class Traffic
    {
        private readonly byte[][] _hex;
        private readonly double[] _lat, _lng, _altFt, _kt, _track, _vr;
        private readonly int[] _step;
        private readonly byte[][] _callsign;
        private int _next;

        public Traffic(int aircraft)
        {
            var rnd = new Random(7);
            _hex = new byte[aircraft][];
            _callsign = new byte[aircraft][];
            (_lat, _lng, _altFt, _kt, _track, _vr, _step) = (new double[aircraft], new double[aircraft], new double[aircraft], new double[aircraft], new double[aircraft], new double[aircraft], new int[aircraft]);
            for (var i = 0; i < aircraft; i++)
            {
                _hex[i] = System.Text.Encoding.ASCII.GetBytes((0x400000 + (i * 37)).ToString("X6", System.Globalization.CultureInfo.InvariantCulture));
                _callsign[i] = System.Text.Encoding.ASCII.GetBytes($"TST{i % 10000:D4}");
                _lat[i] = 31 + (rnd.NextDouble() * 8);
                _lng[i] = 30 + (rnd.NextDouble() * 10);
                _altFt[i] = Math.Round(10_000 + (rnd.NextDouble() * 30_000), 0);
                _kt[i] = Math.Round(290 + (rnd.NextDouble() * 200), 1);
                _track[i] = Math.Round(rnd.NextDouble() * 360, 1);
                _vr[i] = rnd.Next(-20, 21) * 64;
                _step[i] = rnd.Next(10);
            }
        }

        public void WriteLine(ArrayBufferWriter<byte> output, DateTime utc)
        {
            var i = _next;
            _next = (_next + 1) % _hex.Length;
            var step = _step[i]++ % 10;
            var type = step switch { < 8 => step % 2 == 0 ? 3 : 4, 8 => 1, _ => _step[i] % 20 < 10 ? 5 : 8 };
            var span = output.GetSpan(256);
            var n = 0;
            Put(span, ref n, "MSG,"u8);
            span[n++] = (byte)('0' + type);
            Put(span, ref n, ",1,1,"u8);
            Put(span, ref n, _hex[i]);
            Put(span, ref n, ",1,"u8);
            DateAndTime(span, ref n, utc);
            span[n++] = (byte)',';
            DateAndTime(span, ref n, utc);
            span[n++] = (byte)',';
            switch (type)
            {
                case 1:
                    Put(span, ref n, _callsign[i]);
                    Put(span, ref n, ",,,,,,,,,,,0"u8);
                    break;
                case 3:
                    // About half a second of flight since this aircraft's last position.
                    var (sin, cos) = Math.SinCos(_track[i] * Math.PI / 180);
                    _lat[i] += _kt[i] * 0.5144 * 0.5 * cos / 111_320;
                    _lng[i] += _kt[i] * 0.5144 * 0.5 * sin / (111_320 * Math.Cos(_lat[i] * Math.PI / 180));
                    span[n++] = (byte)',';
                    Number(span, ref n, _altFt[i], 0);
                    Put(span, ref n, ",,,"u8);
                    Number(span, ref n, _lat[i], 5);
                    span[n++] = (byte)',';
                    Number(span, ref n, _lng[i], 5);
                    Put(span, ref n, ",,,0,0,0,0"u8);
                    break;
                case 4:
                    Put(span, ref n, ",,"u8);
                    Number(span, ref n, _kt[i], 1);
                    span[n++] = (byte)',';
                    Number(span, ref n, _track[i], 1);
                    Put(span, ref n, ",,,"u8);
                    Number(span, ref n, _vr[i], 0);
                    Put(span, ref n, ",,0,0,0,0"u8);
                    break;
                case 5:
                    span[n++] = (byte)',';
                    Number(span, ref n, _altFt[i], 0);
                    Put(span, ref n, ",,,,,,,0,,0,0"u8);
                    break;
                default:
                    Put(span, ref n, ",,,,,,,,,,,0"u8);
                    break;
            }

            Put(span, ref n, "\r\n"u8);
            output.Advance(n);
        }

        private static void Put(Span<byte> span, ref int n, ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(span[n..]);
            n += bytes.Length;
        }

        private static void Number(Span<byte> span, ref int n, double value, byte decimals)
        {
            Utf8Formatter.TryFormat(value, span[n..], out var written, new StandardFormat('F', decimals));
            n += written;
        }

        private static void DateAndTime(Span<byte> span, ref int n, DateTime t)
        {
            Digits(span, ref n, t.Year, 4);
            span[n++] = (byte)'/';
            Digits(span, ref n, t.Month, 2);
            span[n++] = (byte)'/';
            Digits(span, ref n, t.Day, 2);
            span[n++] = (byte)',';
            Digits(span, ref n, t.Hour, 2);
            span[n++] = (byte)':';
            Digits(span, ref n, t.Minute, 2);
            span[n++] = (byte)':';
            Digits(span, ref n, t.Second, 2);
            span[n++] = (byte)'.';
            Digits(span, ref n, t.Millisecond, 3);
        }

        private static void Digits(Span<byte> span, ref int n, int value, int width)
        {
            for (var k = width - 1; k >= 0; k--)
            {
                span[n + k] = (byte)('0' + (value % 10));
                value /= 10;
            }

            n += width;
        }
    }
}
