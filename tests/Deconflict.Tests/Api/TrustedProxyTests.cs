using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Deconflict.Service;
using Deconflict.Tests.Cli;
using Deconflict.Tests.Infrastructure;

namespace Deconflict.Tests.Api;

/// <summary>
/// serve --trusted-proxy: behind a trusted proxy (tests connect over loopback, so 127.0.0.1 plays
/// nginx) the limit on failed logins per address counts the client X-Forwarded-For names, so one
/// client's failures do not hold another; from an untrusted address, or without the setting, the
/// header is ignored and the connection's address counts; a bad value stops the server in one line.
/// </summary>
public sealed class TrustedProxyTests
{
    private const string A = "203.0.113.7";
    private const string B = "198.51.100.9";
    private const string Locked = "Too many failed authentications from this client address; wait before trying again.";

    private static readonly DeconflictOptions ThreeFailures = new()
    {
        Quotas = new QuotaOptions { FailedAuthPerAddress = 3, FailedAuthPerPrefix = 1000, FailedAuthForgiveEvery = TimeSpan.FromHours(1) },
    };

    [Fact]
    public async Task Behind_a_trusted_proxy_failed_logins_lock_out_the_forwarded_client_and_not_another()
    {
        await using var server = await TestServer.StartAsync(ThreeFailures, configure: s => s with { TrustedProxies = [IPNetwork.Parse("127.0.0.1/32")] });
        var redSecret = (await server.AddPartyAsync("red")).DefaultRequestHeaders.Authorization!.Parameter!;

        for (var i = 0; i < 3; i++)
        {
            (await Via(server, A, Guess()).Get("v1/config")).AssertProblem(401, "unauthorized");
        }

        AssertLocked(await Via(server, A, Guess()).Get("v1/config"));
        AssertLocked(await Via(server, A, redSecret).Get("v1/config"));

        // B, forwarded by the same proxy, is not held by A's failures; nor is the proxy itself.
        Assert.Equal(200, (await Via(server, B, redSecret).Get("v1/config")).Status);
        (await Via(server, B, Guess()).Get("v1/config")).AssertProblem(401, "unauthorized");
        Assert.Equal(200, (await server.Client(redSecret).Get("v1/config")).Status);
    }

    [Fact]
    public async Task Nginx_s_appended_address_is_the_one_counted_not_what_the_client_sent_before_it()
    {
        await using var server = await TestServer.StartAsync(ThreeFailures, configure: s => s with { TrustedProxies = [IPNetwork.Parse("127.0.0.0/8")] });
        var redSecret = (await server.AddPartyAsync("red")).DefaultRequestHeaders.Authorization!.Parameter!;

        // $proxy_add_x_forwarded_for appends the real client to whatever the client claimed.
        for (var i = 0; i < 3; i++)
        {
            (await Via(server, $"10.9.8.{i}, {A}", Guess()).Get("v1/config")).AssertProblem(401, "unauthorized");
        }

        AssertLocked(await Via(server, $"10.9.8.77, {A}", redSecret).Get("v1/config"));
        Assert.Equal(200, (await Via(server, $"{A}, {B}", redSecret).Get("v1/config")).Status);
    }

    [Fact]
    public async Task From_an_address_that_is_not_a_trusted_proxy_the_header_is_ignored()
    {
        await using var server = await TestServer.StartAsync(ThreeFailures, configure: s => s with { TrustedProxies = [IPNetwork.Parse("127.0.0.1/32")] });
        var redSecret = (await server.AddPartyAsync("red")).DefaultRequestHeaders.Authorization!.Parameter!;

        // A client at 127.0.0.2 naming a new address each time still counts as 127.0.0.2.
        for (var i = 0; i < 3; i++)
        {
            using var guesser = From("127.0.0.2", server.BaseAddress, Guess(), $"192.0.2.{i + 1}");
            (await guesser.Get("v1/config")).AssertProblem(401, "unauthorized");
        }

        using var fourth = From("127.0.0.2", server.BaseAddress, redSecret, B);
        AssertLocked(await fourth.Get("v1/config"));
        Assert.Equal(200, (await Via(server, B, redSecret).Get("v1/config")).Status);
    }

    [Fact]
    public async Task Without_trusted_proxies_x_forwarded_for_is_ignored_and_the_loopback_address_is_counted()
    {
        await using var server = await TestServer.StartAsync(ThreeFailures);
        var redSecret = (await server.AddPartyAsync("red")).DefaultRequestHeaders.Authorization!.Parameter!;

        for (var i = 0; i < 3; i++)
        {
            (await Via(server, A, Guess()).Get("v1/config")).AssertProblem(401, "unauthorized");
        }

        AssertLocked(await Via(server, B, redSecret).Get("v1/config"));
        AssertLocked(await server.Client(redSecret).Get("v1/config"));
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task Serve_trusts_the_proxies_given_on_the_command_line_or_in_the_environment()
    {
        const string Admin = "dcf_trusted-proxy-admin-secret-0123456789abcdefghijkl";
        var directory = TempDirectory();
        using var flag = await ServerProcess.StartAsync(Path.Combine(directory, "flag.db"), Admin, "--trusted-proxy", "10.0.0.0/8", "--trusted-proxy", "127.0.0.1");
        await AssertForwardedClientsApart(flag.BaseAddress, Admin);

        var environment = new Dictionary<string, string> { ["DECONFLICT_TRUSTED_PROXIES"] = "10.0.0.0/8, 127.0.0.1" };
        using var variable = await ServerProcess.StartServeAsync(Admin, TestServer.FreePort(), ["--db", Path.Combine(directory, "env.db")], environment);
        await AssertForwardedClientsApart(variable.BaseAddress, Admin);
    }

    [Theory]
    [InlineData("nginx", "--trusted-proxy: 'nginx' is not a proxy's address or CIDR range (like 127.0.0.1 or 10.0.0.0/24).")]
    [InlineData("127.1", "--trusted-proxy: '127.1' is not a proxy's address or CIDR range (like 127.0.0.1 or 10.0.0.0/24).")]
    [InlineData("10.0.0.1/8", "--trusted-proxy: '10.0.0.1/8' is not a proxy's address or CIDR range (like 127.0.0.1 or 10.0.0.0/24).")]
    [InlineData("10.0.0.0/33", "--trusted-proxy: '10.0.0.0/33' is not a proxy's address or CIDR range (like 127.0.0.1 or 10.0.0.0/24).")]
    [InlineData("0.0.0.0/0", "--trusted-proxy: '0.0.0.0/0' would trust every address, so any client could choose the address its failed logins count against; give the proxy's address or its network.")]
    [InlineData("::/0", "--trusted-proxy: '::/0' would trust every address, so any client could choose the address its failed logins count against; give the proxy's address or its network.")]
    public async Task A_bad_trusted_proxy_is_refused_in_one_line_before_anything_is_created(string value, string line)
    {
        var directory = TempDirectory();
        var run = await Serve(directory, [], "--db", Path.Combine(directory, "d.db"), "--trusted-proxy", "127.0.0.1", "--trusted-proxy", value);
        Assert.Equal(line, CliErrorTests.PlainLine(run.Err));
        Assert.Equal(2, run.Exit);
        Assert.Equal(string.Empty, run.Out);
        Assert.Empty(Directory.GetFileSystemEntries(directory));
    }

    [Fact]
    public async Task A_bad_trusted_proxy_in_the_environment_or_the_file_is_refused_naming_where_it_came_from()
    {
        var directory = TempDirectory();
        var run = await Serve(directory, new() { ["DECONFLICT_TRUSTED_PROXIES"] = "127.0.0.1,proxy.internal" }, "--db", Path.Combine(directory, "d.db"));
        Assert.Equal("DECONFLICT_TRUSTED_PROXIES: 'proxy.internal' is not a proxy's address or CIDR range (like 127.0.0.1 or 10.0.0.0/24).", CliErrorTests.PlainLine(run.Err));
        Assert.Equal(2, run.Exit);
        Assert.Empty(Directory.GetFileSystemEntries(directory));

        var file = Path.Combine(directory, "appsettings.json");
        await File.WriteAllTextAsync(file, """{ "trusted_proxies": ["127.0.0.1", "256.0.0.1"] }""");
        var fromFile = await Serve(directory, [], "--db", Path.Combine(directory, "d.db"));
        Assert.Equal($"trusted_proxies in {file}: '256.0.0.1' is not a proxy's address or CIDR range (like 127.0.0.1 or 10.0.0.0/24).", CliErrorTests.PlainLine(fromFile.Err));
        Assert.Equal(2, fromFile.Exit);
        Assert.Equal([file], Directory.GetFileSystemEntries(directory));
    }

    [Fact]
    public async Task The_help_names_the_setting_s_key_and_variable()
    {
        var run = await Serve(TempDirectory(), [], "--help");
        Assert.Equal(0, run.Exit);
        var help = string.Join(' ', run.Out.Split((char[])[' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("--trusted-proxy", help, StringComparison.Ordinal);
        Assert.Contains("[trusted_proxies, DECONFLICT_TRUSTED_PROXIES]", help, StringComparison.Ordinal);
    }

    /// <summary>20 failed logins (the default limit) forwarded for A lock out A's admin token, and not B's.</summary>
    private static async Task AssertForwardedClientsApart(Uri server, string admin)
    {
        for (var i = 0; i < 20; i++)
        {
            (await Forwarded(server, A, Guess()).Get("v1/config")).AssertProblem(401, "unauthorized");
        }

        AssertLocked(await Forwarded(server, A, admin).Get("v1/config"), 3);
        Assert.Equal(200, (await Forwarded(server, B, admin).Get("v1/config")).Status);
    }

    /// <summary>The 429 of a locked-out address, waiting one forgiveness period (an hour here; 3 s, the default, for the real executable).</summary>
    private static void AssertLocked((int Status, JsonNode? Body, HttpResponseMessage Response) result, long retryAfter = 3600)
    {
        var problem = result.AssertProblem(429, "rate-limited");
        Assert.Equal(Locked, problem["detail"]!.GetValue<string>());
        Assert.Equal(retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture), result.Response.Headers.GetValues("Retry-After").Single());
        Assert.Equal(retryAfter, problem["retry_after_s"]!.GetValue<long>());
    }

    private static HttpClient Via(TestServer server, string forwardedFor, string token)
    {
        var client = server.Client(token);
        client.DefaultRequestHeaders.Add("X-Forwarded-For", forwardedFor);
        return client;
    }

    private static HttpClient Forwarded(Uri server, string forwardedFor, string token)
    {
        var client = new HttpClient { BaseAddress = server, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        client.DefaultRequestHeaders.Add("X-Forwarded-For", forwardedFor);
        return client;
    }

    /// <summary>A client whose connections come from <paramref name="localAddress"/> (another loopback address), claiming <paramref name="forwardedFor"/>.</summary>
    private static HttpClient From(string localAddress, Uri server, string token, string forwardedFor)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.Bind(new IPEndPoint(IPAddress.Parse(localAddress), 0));
                    await socket.ConnectAsync(context.DnsEndPoint, ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        var client = new HttpClient(handler) { BaseAddress = server, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        client.DefaultRequestHeaders.Add("X-Forwarded-For", forwardedFor);
        return client;
    }

    /// <summary>`deconflict serve` in <paramref name="directory"/> (its appsettings.json, if any) with these variables, run until it exits.</summary>
    private static Task<(int Exit, string Out, string Err)> Serve(string directory, Dictionary<string, string> environment, params string[] args)
    {
        var info = CliTests.Command(null, "unused", ["serve", "--urls", "http://127.0.0.1:0", .. args]);
        info.WorkingDirectory = directory;
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        return CliTests.Execute(info);
    }

    private static string Guess() => "dcf_" + Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N");

    private static string TempDirectory()
    {
        var directory = Path.Combine(Path.GetTempPath(), "deconflict-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        return directory;
    }
}
