using System.Net;
using System.Net.Sockets;
using System.Text;
using Deconflict.Cli;
using Deconflict.Storage.Sqlite;
using Deconflict.Tests.Infrastructure;

namespace Deconflict.Tests.Cli;

/// <summary>
/// Ordinary mistakes (a server URL without its scheme, a server that is not running or not
/// Deconflict, a port in use, an unknown verb or option, a database path that is a directory)
/// each give one plain line on stderr and exit code 2 (usage) or 1 (failure), never a .NET trace.
/// </summary>
public sealed class CliErrorTests
{
    [Theory]
    [InlineData("127.0.0.1:18180", "op", "list")]
    [InlineData("ftp://x", "party", "list")]
    [InlineData("http://", "record", "key")]
    [InlineData("127.0.0.1:18180", "record", "verify")]
    [InlineData("127.0.0.1:18180", "record", "export", "--out", "x.jsonl")]
    [InlineData("127.0.0.1:18180", "feed", "cot", "--file", "x.cot")]
    [InlineData("localhost:8080", "simulate", "--party", "vks")]
    public async Task A_server_that_is_not_an_http_url_is_a_usage_error(string server, params string[] verb)
    {
        var run = await CliTests.RunAt(null, "dcf_token", [.. verb, "--server", server]);
        Assert.Equal(2, run.Exit);
        Assert.Equal($"--server (or $DECONFLICT_SERVER) must be the server's URL, like http://HOST:PORT; '{server}' is not.", PlainLine(run.Err));
        Assert.Equal(string.Empty, run.Out);
    }

    [Fact]
    public async Task A_server_that_is_not_running_is_named_with_the_reason()
    {
        var port = FreePort();
        var list = await CliTests.RunAt(null, "dcf_token", "op", "list", "--server", $"http://127.0.0.1:{port}");
        Assert.Equal(1, list.Exit);
        Assert.Equal($"Cannot reach the server at http://127.0.0.1:{port}/: connection refused (is the server running, and on that port?).", PlainLine(list.Err));

        var export = await CliTests.RunAt(null, "dcf_token", "record", "export", "--out", Path.Combine(Path.GetTempPath(), $"{Guid.NewGuid():N}.jsonl"), "--server", $"http://127.0.0.1:{port}");
        Assert.Equal(1, export.Exit);
        Assert.Equal($"Cannot reach the server at http://127.0.0.1:{port}/: connection refused (is the server running, and on that port?).", PlainLine(export.Err));
    }

    [Fact]
    public async Task A_server_that_is_not_deconflict_is_said_in_one_line()
    {
        // Another web server on that port: every request gets an HTML page.
        using var other = new TcpListener(IPAddress.Loopback, 0);
        other.Start();
        using var stop = new CancellationTokenSource();
        var serving = AnswerHtml(other, stop.Token);
        var url = $"http://127.0.0.1:{((IPEndPoint)other.LocalEndpoint).Port}/";

        var list = await CliTests.RunAt(null, "dcf_token", "party", "list", "--server", url);
        Assert.Equal(1, list.Exit);
        Assert.Equal($"The server at {url} answered 404 with text/html, not Deconflict's JSON: is --server the Deconflict server's URL?", PlainLine(list.Err));

        var key = await CliTests.RunAt(null, "dcf_token", "record", "verify", "--server", url);
        Assert.Equal(1, key.Exit);
        Assert.Equal($"GET /v1/record/key: The server at {url} answered 404 with text/html, not Deconflict's JSON: is --server the Deconflict server's URL?", PlainLine(key.Err));
        await stop.CancelAsync();
        await serving;
    }

    [Fact]
    public async Task Serve_on_a_port_in_use_says_so_in_one_line()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var db = TempDb();

        var run = await CliTests.RunAt(null, "unused", "serve", "--db", db, "--urls", $"http://127.0.0.1:{port}");
        Assert.Equal(1, run.Exit);
        Assert.Equal($"Cannot listen on http://127.0.0.1:{port}: the address is in use. Stop the other server or give another --urls.", PlainLine(run.Err));
        Assert.Equal(string.Empty, run.Out); // no admin token printed for a server that never ran
        Assert.False(File.Exists(db));
    }

    [Fact]
    public async Task A_server_that_cannot_listen_releases_its_database()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var db = TempDb();
        var app = ServerHost.Build(new ServerSettings { DatabasePath = db, Urls = $"http://127.0.0.1:{((IPEndPoint)taken.LocalEndpoint).Port}", AdminToken = TestServer.AdminSecret, Quiet = true });
        await Assert.ThrowsAsync<IOException>(() => app.StartAsync());
        await app.DisposeAsync();

        // What `serve` does after the failure (it disposes the app): the lock is free again.
        using var again = DatabaseLock.Acquire(db);
    }

    [Theory]
    [InlineData("18184", "--urls must be like http://127.0.0.1:8080 (several separated by ';'); '18184' is not.")]
    [InlineData("127.0.0.1:18184", "--urls must be like http://127.0.0.1:8080 (several separated by ';'); '127.0.0.1:18184' is not.")]
    [InlineData("http://999.1.1.1:80", "--urls: '999.1.1.1' in 'http://999.1.1.1:80' is not an address to listen on; give an IP address of this machine (127.0.0.1; 0.0.0.0 for every interface) or localhost.")]
    [InlineData("http://example.invalid:80", "--urls: 'example.invalid' in 'http://example.invalid:80' is not an address to listen on; give an IP address of this machine (127.0.0.1; 0.0.0.0 for every interface) or localhost.")]
    [InlineData("https://127.0.0.1:18185", "--urls: the server listens on http only ('https://127.0.0.1:18185'); put a TLS-terminating proxy in front of it for https.")]
    public async Task Serve_with_a_listen_address_it_cannot_use_is_a_usage_error(string urls, string message)
    {
        var db = TempDb();
        var run = await CliTests.RunAt(null, "unused", "serve", "--db", db, "--urls", urls);
        Assert.Equal(2, run.Exit);
        Assert.Equal(message, PlainLine(run.Err));
        Assert.False(File.Exists(db));
    }

    [Theory]
    [InlineData("deconflict frobnicate", "Unknown command 'frobnicate' for 'deconflict' (its commands: serve, party, op, zone, conflicts, record, keys, line, alerts, events, feed, demo, simulate). Try 'deconflict --help'.")]
    [InlineData("deconflict party frobnicate", "Unknown command 'frobnicate' for 'deconflict party' (its commands: add, list, revoke). Try 'deconflict party --help'.")]
    [InlineData("deconflict record", "'deconflict record' needs a command: key, verify, export, check. Try 'deconflict record --help'.")]
    [InlineData("deconflict party list --bogus", "deconflict party list: Unknown option '--bogus'. Try 'deconflict party list --help'.")]
    [InlineData("deconflict party list extra", "deconflict party list: Unexpected argument 'extra'. Try 'deconflict party list --help'.")]
    [InlineData("deconflict party add blue", "deconflict party add: --name is required. Try 'deconflict party add --help'.")]
    [InlineData("deconflict party revoke", "deconflict party revoke: ID is missing. Try 'deconflict party revoke --help'.")]
    [InlineData("deconflict record export", "deconflict record export: --out is required. Try 'deconflict record export --help'.")]
    [InlineData("deconflict record check --db", "deconflict record check: --db needs a value. Try 'deconflict record check --help'.")]
    [InlineData("deconflict serve --max-streams many", "deconflict serve: --max-streams needs a whole number; 'many' is not. Try 'deconflict serve --help'.")]
    [InlineData("deconflict serve --policy lenient", "deconflict serve: --policy needs one of notify, reject; 'lenient' is not. Try 'deconflict serve --help'.")]
    [InlineData("deconflict feed sbs --connect 127.0.0.1:30003 --batch-ms 0.5", "deconflict feed sbs: --batch-ms needs a whole number; '0.5' is not. Try 'deconflict feed sbs --help'.")]
    public async Task A_command_line_that_does_not_parse_is_one_line_without_the_help(string line, string message)
    {
        var run = await CliTests.RunAt(null, "dcf_token", line.Split(' ')[1..]);
        Assert.Equal(2, run.Exit);
        Assert.Equal(message, PlainLine(run.Err));
        Assert.Equal(string.Empty, run.Out);
    }

    [Fact]
    public async Task A_database_path_that_is_a_directory_or_not_a_database_is_refused_in_one_line()
    {
        var directory = Path.Combine(Path.GetTempPath(), "deconflict-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var expected = $"--db {directory} is a directory; give a database file, like {Path.Combine(directory, "deconflict.db")}.";

        var serve = await CliTests.RunAt(null, "unused", "serve", "--db", directory, "--urls", "http://127.0.0.1:0");
        Assert.Equal((1, expected), (serve.Exit, PlainLine(serve.Err)));
        var check = await CliTests.RunAt(null, "unused", "record", "check", "--db", directory);
        Assert.Equal((1, expected), (check.Exit, PlainLine(check.Err)));

        // A path under a regular file: nothing can be created there.
        var file = Path.Combine(directory, "notes.txt");
        await File.WriteAllTextAsync(file, "not a folder");
        var under = Path.Combine(file, "d.db");
        var unwritable = await CliTests.RunAt(null, "unused", "serve", "--db", under, "--urls", "http://127.0.0.1:0");
        Assert.Equal(1, unwritable.Exit);
        Assert.StartsWith($"Cannot create the lock file {under}.lock beside the database {under}: ", PlainLine(unwritable.Err), StringComparison.Ordinal);

        var text = Path.Combine(directory, "text.db");
        await File.WriteAllTextAsync(text, "These are notes, not a SQLite database, and long enough to have a header's worth of bytes in them.");
        var notSqlite = await CliTests.RunAt(null, "unused", "serve", "--db", text, "--urls", "http://127.0.0.1:0");
        Assert.Equal(1, notSqlite.Exit);
        Assert.Equal($"The database {text} is not a SQLite database (SQLite error 26): restore it from a backup, or start with another --db.", PlainLine(notSqlite.Err));
    }

    [Theory]
    [InlineData("record verify --state DIR", "--state DIR is a directory; give a file, like DIR/record-state.json.")]
    [InlineData("record verify --export DIR --key KEY", "--export DIR is a directory; give the file `deconflict record export` wrote.")]
    [InlineData("record export --out DIR", "--out DIR is a directory; give a file, like DIR/record.jsonl.")]
    [InlineData("feed sbs --connect receiver", "--connect must be HOST:PORT, like 127.0.0.1:30003; 'receiver' is not.")]
    [InlineData("feed cot --listen 127.0.0.1:4242 --file DIR", "Give exactly one of --listen HOST:PORT, --connect HOST:PORT or --file FILE.")]
    public async Task A_bad_value_is_refused_before_the_server_is_asked(string line, string message)
    {
        // No server listens at that URL: each mistake is found before any request.
        var directory = Path.Combine(Path.GetTempPath(), "deconflict-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var args = line.Split(' ').Select(a => a.Replace("DIR", directory, StringComparison.Ordinal)).ToList();
        var run = await CliTests.RunAt(null, "dcf_token", [.. args, "--server", $"http://127.0.0.1:{FreePort()}"]);
        Assert.Equal(2, run.Exit);
        Assert.Equal(message.Replace("DIR", directory, StringComparison.Ordinal), PlainLine(run.Err));
    }

    [Fact]
    public async Task A_refused_request_is_one_line_with_the_member_at_fault()
    {
        await using var server = await TestServer.StartAsync();
        var run = await CliTests.Run(server, TestServer.AdminSecret, "party", "add", "Blue Force", "--name", "Blue");
        Assert.Equal(1, run.Exit);
        Assert.Equal("400 invalid-request: id must be 1 to 32 lowercase letters, digits or '-', starting with a letter or digit (at /id).", PlainLine(run.Err));
    }

    [Fact]
    public void An_internal_error_is_one_line_without_namespaces()
    {
        var line = CliUsage.Internal(new InvalidOperationException("The JSON value could not be converted to Deconflict.Core.Volumes.F3548Altitude, nor to System.Int32."));
        Assert.Equal("deconflict: internal error: The JSON value could not be converted to F3548Altitude, nor to Int32; please report it (DECONFLICT_DEBUG=1 shows where it happened).", line);
    }

    /// <summary>The one line of a plain error: no trace, no exception, no namespaced type name.</summary>
    internal static string PlainLine(string stderr)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var line = Assert.Single(lines);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", line, StringComparison.Ordinal);
        Assert.DoesNotContain("Deconflict.", line, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", line, StringComparison.Ordinal);
        return line;
    }

    private static string TempDb()
    {
        var directory = Path.Combine(Path.GetTempPath(), "deconflict-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        return Path.Combine(directory, "d.db");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Answers every request on <paramref name="listener"/> with a 404 HTML page, as a web server that is not Deconflict would.</summary>
    private static async Task AnswerHtml(TcpListener listener, CancellationToken ct)
    {
        const string Page = "<html><body><h1>Not Found</h1></body></html>";
        var answer = Encoding.ASCII.GetBytes($"HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: {Page.Length}\r\nConnection: close\r\n\r\n{Page}");
        try
        {
            while (true)
            {
                using var client = await listener.AcceptTcpClientAsync(ct);
                var stream = client.GetStream();
                var buffer = new byte[8192];
                var read = 0;
                while (!Encoding.ASCII.GetString(buffer, 0, read).Contains("\r\n\r\n", StringComparison.Ordinal) && read < buffer.Length)
                {
                    var n = await stream.ReadAsync(buffer.AsMemory(read), ct);
                    if (n == 0)
                    {
                        break;
                    }

                    read += n;
                }

                await stream.WriteAsync(answer, ct);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
