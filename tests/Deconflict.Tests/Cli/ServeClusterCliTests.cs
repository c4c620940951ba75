using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Npgsql;

namespace Deconflict.Tests.Cli;

/// <summary>
/// `deconflict serve` as a node of a cluster: --store, --nats and --keys, the settings from the
/// environment and appsettings.json, `keys create`, and each start-up fault refused in one line
/// with nothing created (the real executable).
/// </summary>
public sealed class ServeClusterCliTests
{
    private const string Admin = "dcf_serve-cluster-admin-secret-0123456789abcdefghijkl";

    private const string ConnectionExample = "(like Host=127.0.0.1;Database=deconflict;Username=deconflict;Password=...)";

    private static readonly string TestPostgres = Environment.GetEnvironmentVariable("DECONFLICT_TEST_POSTGRES") is { Length: > 0 } p
        ? p
        : "Host=127.0.0.1;Port=5432;Username=deconflict;Password=deconflict;Database=postgres";

    [Theory]
    [InlineData("Hots=127.0.0.1;Database=deconflict", $"--store has 'Hots', which is not a PostgreSQL connection setting {ConnectionExample}.")]
    [InlineData("Host=127.0.0.1;Port=many", "--store has a value for 'Port' that PostgreSQL's client does not take.")]
    [InlineData("Host=127.0.0.1;Port=5432;Database", $"--store is not a connection string from character 26 on {ConnectionExample}.")]
    [InlineData("Database=deconflict;Username=deconflict", $"--store has no Host {ConnectionExample}.")]
    public async Task A_malformed_connection_string_is_refused_naming_the_key(string store, string line)
    {
        var directory = TempDirectory();
        var run = await Run(directory, [], "serve", "--store", store, "--urls", "http://127.0.0.1:0");
        Assert.Equal(line, CliErrorTests.PlainLine(run.Err));
        Assert.Equal(2, run.Exit);
        Assert.Equal(string.Empty, run.Out);
        Assert.Empty(Directory.GetFileSystemEntries(directory));
    }

    [Fact]
    public async Task A_malformed_connection_string_from_the_environment_names_the_variable()
    {
        var directory = TempDirectory();
        var run = await Run(directory, new() { ["DECONFLICT_STORE"] = "Hots=127.0.0.1" }, "serve", "--urls", "http://127.0.0.1:0");
        Assert.Equal($"DECONFLICT_STORE has 'Hots', which is not a PostgreSQL connection setting {ConnectionExample}.", CliErrorTests.PlainLine(run.Err));
        Assert.Equal(2, run.Exit);
        Assert.Empty(Directory.GetFileSystemEntries(directory));
    }

    [Fact]
    public async Task Postgres_without_keys_or_with_a_missing_or_incomplete_keys_directory_is_refused()
    {
        var directory = TempDirectory();
        var store = $"Host=127.0.0.1;Port={ClosedPort()};Database=deconflict;Username=deconflict;Password=deconflict";

        var none = await Run(directory, [], "serve", "--store", store, "--urls", "http://127.0.0.1:0");
        Assert.Equal("A PostgreSQL store needs --keys DIR, the keys every node signs with: create them once with 'deconflict keys create DIR' and give every node a copy.", CliErrorTests.PlainLine(none.Err));
        Assert.Equal(1, none.Exit);

        var missing = Path.Combine(directory, "keys");
        var absent = await Run(directory, [], "serve", "--store", store, "--keys", missing, "--urls", "http://127.0.0.1:0");
        Assert.Equal($"The keys directory {missing} does not exist: create the keys once with 'deconflict keys create {missing}' and give every node a copy.", CliErrorTests.PlainLine(absent.Err));
        Assert.Equal(1, absent.Exit);
        Assert.False(Directory.Exists(missing));

        // Only the record key copied: the webhook key is missing.
        Directory.CreateDirectory(missing);
        await File.WriteAllTextAsync(Path.Combine(missing, "record.key"), "origin deconflict/0011223344556677\ned25519-seed AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n");
        var half = await Run(directory, [], "serve", "--store", store, "--keys", missing, "--urls", "http://127.0.0.1:0");
        Assert.Equal($"The keys directory {missing} has no webhook.key: every node needs the record.key and webhook.key that 'deconflict keys create' made once; copy them from another node.", CliErrorTests.PlainLine(half.Err));
        Assert.Equal(1, half.Exit);
        Assert.Equal(["record.key"], Directory.GetFileSystemEntries(missing).Select(Path.GetFileName));
    }

    [Fact]
    public async Task An_unreachable_postgres_is_named_with_host_port_and_reason()
    {
        var directory = TempDirectory();
        var keys = await CreateKeys(directory);
        var port = ClosedPort();
        var run = await Run(directory, [], "serve", "--store", $"Host=127.0.0.1;Port={port};Database=deconflict;Username=deconflict;Password=deconflict", "--keys", keys, "--urls", "http://127.0.0.1:0");
        Assert.Equal($"Cannot connect to PostgreSQL at 127.0.0.1:{port}/deconflict: connection refused (is PostgreSQL running, and on that port?).", CliErrorTests.PlainLine(run.Err));
        Assert.Equal(1, run.Exit);
        Assert.Equal(string.Empty, run.Out);
        Assert.Equal(["record.key", "webhook.key"], Directory.GetFileSystemEntries(keys).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_wrong_password_or_a_missing_database_is_postgres_own_reason()
    {
        var directory = TempDirectory();
        var keys = await CreateKeys(directory);
        var server = new NpgsqlConnectionStringBuilder(TestPostgres);
        var wrong = new NpgsqlConnectionStringBuilder(TestPostgres) { Password = "not-the-password-" + Guid.NewGuid().ToString("N") };
        var password = await Run(directory, [], "serve", "--store", wrong.ConnectionString, "--keys", keys, "--urls", "http://127.0.0.1:0");
        Assert.Equal($"Cannot connect to PostgreSQL at {server.Host}:{server.Port}/{server.Database}: password authentication failed for user \"{server.Username}\".", CliErrorTests.PlainLine(password.Err));
        Assert.Equal(1, password.Exit);
        Assert.DoesNotContain(wrong.Password, password.Err, StringComparison.Ordinal);

        var name = "deconflict_missing_" + Guid.NewGuid().ToString("N");
        var missing = new NpgsqlConnectionStringBuilder(TestPostgres) { Database = name };
        var database = await Run(directory, [], "serve", "--store", missing.ConnectionString, "--keys", keys, "--urls", "http://127.0.0.1:0");
        Assert.Equal($"Cannot connect to PostgreSQL at {server.Host}:{server.Port}/{name}: database \"{name}\" does not exist.", CliErrorTests.PlainLine(database.Err));
        Assert.Equal(1, database.Exit);
    }

    [Fact]
    public async Task An_unreachable_nats_is_refused_after_postgres_answered()
    {
        var directory = TempDirectory();
        var keys = await CreateKeys(directory);
        var port = ClosedPort();
        var run = await Run(directory, [], "serve", "--store", TestPostgres, "--keys", keys, "--nats", $"nats://127.0.0.1:{port}", "--urls", "http://127.0.0.1:0");
        Assert.Equal($"Cannot connect to NATS at nats://127.0.0.1:{port}: connection refused (is nats-server running, and on that port?).", CliErrorTests.PlainLine(run.Err));
        Assert.Equal(1, run.Exit);
    }

    [Fact]
    public async Task An_unreachable_nats_stops_a_sqlite_server_before_its_database_is_created()
    {
        var directory = TempDirectory();
        var port = ClosedPort();
        var db = Path.Combine(directory, "d.db");
        var run = await Run(directory, [], "serve", "--db", db, "--nats", $"nats://127.0.0.1:{port}", "--urls", "http://127.0.0.1:0");
        Assert.Equal($"Cannot connect to NATS at nats://127.0.0.1:{port}: connection refused (is nats-server running, and on that port?).", CliErrorTests.PlainLine(run.Err));
        Assert.Equal(1, run.Exit);
        Assert.Empty(Directory.GetFileSystemEntries(directory));
    }

    [Theory]
    [InlineData("http://127.0.0.1:4222")]
    [InlineData("127.0.0.1:4222")]
    [InlineData("nats://127.0.0.1:4222/deconflict")]
    public async Task A_nats_url_that_is_not_nats_is_a_usage_error(string url)
    {
        var directory = TempDirectory();
        var run = await Run(directory, [], "serve", "--db", Path.Combine(directory, "d.db"), "--nats", url, "--urls", "http://127.0.0.1:0");
        Assert.Equal($"--nats must be like nats://127.0.0.1:4222 (several separated by ','); '{url}' is not.", CliErrorTests.PlainLine(run.Err));
        Assert.Equal(2, run.Exit);
        Assert.Empty(Directory.GetFileSystemEntries(directory));
    }

    [Fact]
    public async Task Keys_create_makes_both_keys_readable_by_the_owner_only_and_never_replaces_them()
    {
        var directory = TempDirectory();
        var keys = Path.Combine(directory, "keys");
        var created = await Run(directory, [], "keys", "create", keys);
        Assert.Equal(0, created.Exit);
        var origin = File.ReadAllLines(Path.Combine(keys, "record.key"))[0]["origin ".Length..];
        Assert.Matches("^deconflict/[0-9a-f]{16}$", origin);
        Assert.Equal(
            $"Created record.key (log {origin}) and webhook.key in {keys}; start every node with --keys and a copy of this directory.",
            created.Out.Trim());
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(keys, "record.key")));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(keys, "webhook.key")));
        }

        var before = (await File.ReadAllTextAsync(Path.Combine(keys, "record.key")), await File.ReadAllTextAsync(Path.Combine(keys, "webhook.key")));
        var again = await Run(directory, [], "keys", "create", keys);
        Assert.Equal($"{Path.Combine(keys, "record.key")} exists: keys are never replaced (a new record key is a new log identity); give an empty directory.", CliErrorTests.PlainLine(again.Err));
        Assert.Equal(1, again.Exit);
        Assert.Equal(before, (await File.ReadAllTextAsync(Path.Combine(keys, "record.key")), await File.ReadAllTextAsync(Path.Combine(keys, "webhook.key"))));

        // Only the webhook key there: the record key is not made beside it.
        var other = Path.Combine(directory, "other");
        Directory.CreateDirectory(other);
        File.Copy(Path.Combine(keys, "webhook.key"), Path.Combine(other, "webhook.key"));
        var half = await Run(directory, [], "keys", "create", other);
        Assert.Equal($"{Path.Combine(other, "webhook.key")} exists: keys are never replaced (a new record key is a new log identity); give an empty directory.", CliErrorTests.PlainLine(half.Err));
        Assert.Equal(1, half.Exit);
        Assert.Equal(["webhook.key"], Directory.GetFileSystemEntries(other).Select(Path.GetFileName));
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task A_sqlite_server_given_keys_signs_with_them_and_makes_none_beside_its_database()
    {
        var directory = TempDirectory();
        var keys = await CreateKeys(directory);
        var origin = File.ReadAllLines(Path.Combine(keys, "record.key"))[0]["origin ".Length..];
        var db = Path.Combine(directory, "d.db");
        using var server = await Start(directory, [], "serve", "--store", db, "--keys", keys);
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", Admin);
        var key = (await http.GetStringAsync("v1/record/key")).Trim();
        Assert.StartsWith(origin + "+", key, StringComparison.Ordinal);
        Assert.False(File.Exists(db + ".record-key"));
        Assert.False(File.Exists(db + ".webhook-key"));
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Settings_come_from_the_command_line_then_the_environment_then_the_file()
    {
        var directory = TempDirectory();
        await File.WriteAllTextAsync(Path.Combine(directory, "appsettings.json"), """
            {
              "store": "from-file.db",
              "horizontal_buffer": "2NM",
              "vertical_buffer": "500FT",
              "horizontal_separation": "4NM",
              "policy": "reject",
              "same_party_alerts": true,
              "webhook_allow": ["10.0.0.0/8", "hooks.internal"]
            }
            """);
        var environment = new Dictionary<string, string>
        {
            ["DECONFLICT_VERTICAL_BUFFER"] = "300M",
            ["DECONFLICT_HORIZONTAL_SEPARATION"] = "6NM",
            ["DECONFLICT_WEBHOOK_ALLOW"] = "192.168.0.0/16",
        };
        using var server = await Start(directory, environment, "serve", "--horizontal-separation", "5NM");
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", Admin);
        var config = JsonNode.Parse(await http.GetStringAsync("v1/config"))!;
        Assert.Equal(3704.0, config["strategic_buffer"]!["horizontal_m"]!.GetValue<double>(), 9); // file: 2NM
        Assert.Equal(300.0, config["strategic_buffer"]!["vertical_m"]!.GetValue<double>(), 9); // environment over file
        Assert.Equal(9260.0, config["separation"]!["horizontal_m"]!.GetValue<double>(), 9); // command line over both
        Assert.Equal(304.8, config["separation"]!["vertical_m"]!.GetValue<double>(), 9); // default 1000FT
        Assert.Equal("reject", config["policy"]!.GetValue<string>());
        Assert.True(config["tactical"]!["same_party"]!.GetValue<bool>());
        Assert.Equal(["192.168.0.0/16"], config["webhooks"]!["allow"]!.AsArray().Select(a => a!.GetValue<string>())); // a list is taken whole
        Assert.True(File.Exists(Path.Combine(directory, "from-file.db")));
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task A_config_file_given_with_config_is_read_instead_of_the_working_directorys()
    {
        var directory = TempDirectory();
        await File.WriteAllTextAsync(Path.Combine(directory, "appsettings.json"), """{ "horizontal_buffer": "2NM" }""");
        var file = Path.Combine(directory, "node.json");
        await File.WriteAllTextAsync(file, """{ "horizontal_buffer": "1NM", "store": "node.db" }""");
        using var server = await Start(directory, [], "serve", "--config", file);
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", Admin);
        var config = JsonNode.Parse(await http.GetStringAsync("v1/config"))!;
        Assert.Equal(1852.0, config["strategic_buffer"]!["horizontal_m"]!.GetValue<double>(), 9);
        Assert.True(File.Exists(Path.Combine(directory, "node.db")));
    }

    [Fact]
    public async Task A_setting_that_does_not_read_is_refused_naming_where_it_came_from()
    {
        var directory = TempDirectory();
        var db = Path.Combine(directory, "d.db");
        var variable = await Run(directory, new() { ["DECONFLICT_MAX_STREAMS"] = "many" }, "serve", "--db", db, "--urls", "http://127.0.0.1:0");
        Assert.Equal("DECONFLICT_MAX_STREAMS needs a whole number; 'many' is not.", CliErrorTests.PlainLine(variable.Err));
        Assert.Equal(2, variable.Exit);

        var file = Path.Combine(directory, "node.json");
        await File.WriteAllTextAsync(file, """{ "policy": "lenient", "horizontal_buffer": "3" }""");
        var policy = await Run(directory, [], "serve", "--db", db, "--urls", "http://127.0.0.1:0", "--config", file);
        Assert.Equal($"policy in {file} needs one of notify, reject; 'lenient' is not.", CliErrorTests.PlainLine(policy.Err));
        Assert.Equal(2, policy.Exit);

        await File.WriteAllTextAsync(file, """{ "horizontal_buffer": "3" }""");
        var length = await Run(directory, [], "serve", "--db", db, "--urls", "http://127.0.0.1:0", "--config", file);
        Assert.Equal($"horizontal_buffer in {file} needs a non-negative length with its unit (M, KM, FT or NM), such as 3NM or 1000FT; '3' is not one.", CliErrorTests.PlainLine(length.Err));
        Assert.Equal(2, length.Exit);

        var lookahead = await Run(directory, new() { ["DECONFLICT_LOOKAHEAD"] = "120" }, "serve", "--db", db, "--urls", "http://127.0.0.1:0");
        Assert.Equal("DECONFLICT_LOOKAHEAD: A duration is like 45m, 1h30m or 90s; '120' is not one.", CliErrorTests.PlainLine(lookahead.Err));
        Assert.Equal(2, lookahead.Exit);

        var weak = await Run(directory, new() { ["DECONFLICT_ADMIN_TOKEN"] = "short" }, "serve", "--db", db, "--urls", "http://127.0.0.1:0");
        Assert.Equal(2, weak.Exit);
        Assert.StartsWith("DECONFLICT_ADMIN_TOKEN ", CliErrorTests.PlainLine(weak.Err), StringComparison.Ordinal);
        Assert.False(File.Exists(db));
    }

    [Fact]
    public async Task A_config_file_that_is_missing_not_json_or_has_an_unknown_key_is_refused()
    {
        var directory = TempDirectory();
        var db = Path.Combine(directory, "d.db");
        var file = Path.Combine(directory, "node.json");
        var missing = await Run(directory, [], "serve", "--db", db, "--config", file);
        Assert.Equal($"--config: there is no file {file}.", CliErrorTests.PlainLine(missing.Err));
        Assert.Equal(2, missing.Exit);

        await File.WriteAllTextAsync(file, """{ "horizontal_bufer": "2NM" }""");
        var unknown = await Run(directory, [], "serve", "--db", db, "--config", file);
        Assert.Equal($"The configuration file {file} has 'horizontal_bufer', which is not a setting of deconflict serve (its keys are the options' names in snake_case, like horizontal_buffer; see deconflict serve --help).", CliErrorTests.PlainLine(unknown.Err));
        Assert.Equal(2, unknown.Exit);

        await File.WriteAllTextAsync(Path.Combine(directory, "appsettings.json"), "{ \"store\": ");
        var broken = await Run(directory, [], "serve", "--db", db);
        Assert.Equal(2, broken.Exit);
        Assert.StartsWith($"The configuration file {Path.Combine(directory, "appsettings.json")} is not valid JSON: ", CliErrorTests.PlainLine(broken.Err), StringComparison.Ordinal);
        Assert.False(File.Exists(db));
    }

    [Fact]
    public async Task The_help_names_each_settings_key_and_variable()
    {
        var run = await Run(TempDirectory(), [], "serve", "--help");
        Assert.Equal(0, run.Exit);
        var help = string.Join(' ', run.Out.Split((char[])[' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries));
        foreach (var setting in new[] { "[store, DECONFLICT_STORE]", "[nats, DECONFLICT_NATS]", "[keys, DECONFLICT_KEYS]", "[urls, DECONFLICT_URLS]", "[horizontal_buffer, DECONFLICT_HORIZONTAL_BUFFER]", "[party_burst, DECONFLICT_PARTY_BURST]" })
        {
            Assert.Contains(setting, help, StringComparison.Ordinal);
        }
    }

    private static string TempDirectory()
    {
        var directory = Path.Combine(Path.GetTempPath(), "deconflict-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        return directory;
    }

    /// <summary>A loopback port nothing listens on: one just taken from the OS and freed.</summary>
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<string> CreateKeys(string directory)
    {
        var keys = Path.Combine(directory, "keys");
        var created = await Run(directory, [], "keys", "create", keys);
        Assert.Equal(0, created.Exit);
        return keys;
    }

    /// <summary>The real executable in <paramref name="directory"/>, with only these DECONFLICT_ variables set (no admin token unless given).</summary>
    private static ProcessStartInfo Command(string directory, Dictionary<string, string> environment, string[] args)
    {
        var info = CliTests.Command(null, "unused", args);
        info.WorkingDirectory = directory;
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("DECONFLICT_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        return info;
    }

    private static Task<(int Exit, string Out, string Err)> Run(string directory, Dictionary<string, string> environment, params string[] args) =>
        CliTests.Execute(Command(directory, environment, args));

    /// <summary>A server started with these settings on a free port (given last, on the command line), healthy, killed when disposed.</summary>
    private static async Task<Running> Start(string directory, Dictionary<string, string> environment, params string[] args)
    {
        var port = ClosedPort();
        var info = Command(directory, environment, [.. args, "--urls", $"http://127.0.0.1:{port}"]);
        info.Environment.TryAdd("DECONFLICT_ADMIN_TOKEN", Admin);
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        var error = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            lock (error)
            {
                error.AppendLine(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var running = new Running(process, new Uri($"http://127.0.0.1:{port}/"));
        using var client = new HttpClient { BaseAddress = running.BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                running.Dispose();
                lock (error)
                {
                    throw new InvalidOperationException($"deconflict exited with {process.ExitCode}: {error}");
                }
            }

            try
            {
                if ((await client.GetAsync("healthz")).IsSuccessStatusCode)
                {
                    return running;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }

            await Task.Delay(100);
        }

        running.Dispose();
        throw new TimeoutException("deconflict did not become healthy in 60 s");
    }

    private sealed class Running(Process process, Uri baseAddress) : IDisposable
    {
        public Uri BaseAddress { get; } = baseAddress;

        public void Dispose()
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }

            process.Dispose();
        }
    }
}
