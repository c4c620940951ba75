using System.Net.Sockets;
using System.Text;
using Deconflict.Tests.Infrastructure;

namespace Deconflict.Tests.Api;

/// <summary>
/// Finding 12 of issue 15: Kestrel's own 414 and 431 answers had no body. Within twice the
/// documented limits the service answers them with problem+json; beyond that, and for a request
/// that is not HTTP, Kestrel answers before any code of the service runs, with an empty body, and
/// that cannot be changed (README, "Rules worth knowing").
/// </summary>
public sealed class RequestLimitTests
{
    [Fact]
    public async Task A_request_target_over_8_KiB_gets_414_uri_too_long_as_problem_json()
    {
        await using var server = await TestServer.StartAsync();
        var path = "v1/config?pad=" + new string('a', 10_000);
        var target = "/" + path;

        var r = await server.Admin.Get(path);
        var problem = r.AssertProblem(414, "uri-too-long");
        Assert.Equal($"The request target is {target.Length} bytes; the limit is 8192.", problem["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Headers_over_32_KiB_or_over_100_lines_get_431_headers_too_large_as_problem_json()
    {
        await using var server = await TestServer.StartAsync();

        var big = server.Client(TestServer.AdminSecret);
        big.DefaultRequestHeaders.Add("X-Pad", new string('b', 40_000));
        (await big.Get("v1/config")).AssertProblem(431, "headers-too-large");

        var many = server.Client(TestServer.AdminSecret);
        for (var i = 0; i < 120; i++)
        {
            many.DefaultRequestHeaders.Add($"X-Pad-{i}", "x");
        }

        var r = await many.Get("v1/config");
        var problem = r.AssertProblem(431, "headers-too-large");
        Assert.StartsWith("The request has 12", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Within_the_limits_a_request_is_served()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client(TestServer.AdminSecret);
        client.DefaultRequestHeaders.Add("X-Pad", new string('c', 20_000));
        Assert.Equal(200, (await client.Get("v1/config?pad=" + new string('a', 7_000))).Status);
    }

    [Fact]
    public async Task Beyond_twice_the_limit_Kestrel_answers_alone_with_an_empty_body()
    {
        await using var server = await TestServer.StartAsync();
        var response = await Raw(server.BaseAddress, $"GET /v1/config?pad={new string('a', 20_000)} HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 414 ", response, StringComparison.Ordinal);
        Assert.Contains("Content-Length: 0\r\n", response, StringComparison.Ordinal);

        var garbage = await Raw(server.BaseAddress, "NOT HTTP AT ALL\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 400 ", garbage, StringComparison.Ordinal);
        Assert.Contains("Content-Length: 0\r\n", garbage, StringComparison.Ordinal);
    }

    /// <summary>Sends bytes Kestrel will refuse (HttpClient will not) and reads its answer.</summary>
    private static async Task<string> Raw(Uri server, string request)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port);
        using var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        var buffer = new byte[4096];
        var read = 0;
        int n;
        while ((n = await stream.ReadAsync(buffer.AsMemory(read))) > 0)
        {
            read += n;
            if (Encoding.ASCII.GetString(buffer, 0, read).Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                break;
            }
        }

        return Encoding.ASCII.GetString(buffer, 0, read);
    }
}
