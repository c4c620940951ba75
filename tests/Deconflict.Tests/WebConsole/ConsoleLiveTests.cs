using System.Text.Json;
using Deconflict.Service;
using Deconflict.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Deconflict.Tests.WebConsole;

/// <summary>
/// The console follows GET /v1/events: it says whether it is connected, comes back after the server
/// restarted or the network dropped without missing an event, and never asks again for what the
/// stream carries. The page's test hook (window.__deconflictLive) gives the record indexes of the
/// events it applied and the operations its live store holds.
/// </summary>
public sealed class ConsoleLiveTests
{
    private const string Connection = "#connection-state";
    private static readonly string[] Red = ["red"];

    [Fact]
    public async Task A_server_restarted_under_the_console_is_followed_again_with_no_event_missed()
    {
        var directory = Path.Combine(Path.GetTempPath(), "deconflict-tests", Guid.NewGuid().ToString("N"));
        var port = TestServer.FreePort();
        await using var first = await TestServer.StartAsync(directory: directory, port: port);
        var token = ConsoleBrowser.TokenOf(await first.AddPartyAsync("blue"));
        await using var browser = await ConsoleBrowser.LaunchAsync();
        await using var console = await browser.OpenAsync(first, token);
        await WaitTextAsync(console, Connection, "● Live");

        var declared = new List<string> { await DeclareAsync(first.Client(token), 35.0) };
        await WaitForOperationsAsync(console, declared);

        // Down: the console says so, and nothing is declared meanwhile.
        await first.DisposeAsyncKeepFiles();
        await WaitTextAsync(console, Connection, "▲ Reconnecting");
        await console.ScreenshotAsync("live-reconnecting");

        // Up again on the same port with the same database: what is declared now reaches the console.
        await using var second = await TestServer.StartAsync(directory: directory, port: port);
        var blue = second.Client(token);
        for (var i = 1; i <= 3; i++)
        {
            declared.Add(await DeclareAsync(blue, 35.0 + i));
        }

        await WaitForOperationsAsync(console, declared);
        await WaitTextAsync(console, Connection, "● Live");
        await AssertContiguousAsync(console, declared.Count);
        Assert.DoesNotContain(console.Errors, e => !e.Contains("net::ERR_", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Events_written_while_the_console_is_cut_off_reach_it_when_it_is_back()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        await using var relay = new LoopbackRelay(server.BaseAddress);
        await using var browser = await ConsoleBrowser.LaunchAsync();
        await using var console = await browser.OpenAsync(server, ConsoleBrowser.TokenOf(blue), through: relay.Address);
        await WaitTextAsync(console, Connection, "● Live");
        var declared = new List<string> { await DeclareAsync(blue, 35.0) };
        await WaitForOperationsAsync(console, declared);

        relay.Cut();
        await WaitTextAsync(console, Connection, "▲ Reconnecting");
        for (var i = 1; i <= 3; i++)
        {
            declared.Add(await DeclareAsync(blue, 35.0 + i));
        }

        relay.Restore();
        await WaitForOperationsAsync(console, declared);
        await WaitTextAsync(console, Connection, "● Live");
        await AssertContiguousAsync(console, declared.Count);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task A_stream_that_goes_silent_without_closing_is_abandoned_and_opened_again_with_no_event_missed()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        await using var relay = new LoopbackRelay(server.BaseAddress);
        await using var browser = await ConsoleBrowser.LaunchAsync();
        await using var console = await browser.OpenAsync(server, ConsoleBrowser.TokenOf(blue), through: relay.Address);
        await WaitTextAsync(console, Connection, "● Live");
        var declared = new List<string> { await DeclareAsync(blue, 35.0) };
        await WaitForOperationsAsync(console, declared);

        // Nothing more arrives on the open stream, keep-alives included; the server writes on.
        relay.FreezeStreams();
        for (var i = 1; i <= 3; i++)
        {
            declared.Add(await DeclareAsync(blue, 35.0 + i));
        }

        // The keep-alive comes every 15 s; after 40 s of silence the console gives the stream up.
        await Assertions.Expect(console.Page.Locator(Connection)).ToHaveTextAsync("▲ Reconnecting", new() { Timeout = 60_000 });
        Assert.Contains(": nothing heard for 40 s", await console.Page.InnerTextAsync("#connection-detail"), StringComparison.Ordinal);
        await WaitForOperationsAsync(console, declared);
        await WaitTextAsync(console, Connection, "● Live");
        await AssertContiguousAsync(console, declared.Count);
    }

    [Fact]
    public async Task The_console_never_asks_again_for_what_the_stream_carries()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");
        await using var browser = await ConsoleBrowser.LaunchAsync();
        await using var console = await browser.OpenAsync(server, ConsoleBrowser.TokenOf(blue));
        await WaitTextAsync(console, Connection, "● Live");
        var atStart = console.Requests.Count;

        // Idle, then a picture that changes: an operation each, which conflict, and a line message.
        await console.Page.WaitForTimeoutAsync(10_000);
        var declared = new List<string> { await DeclareAsync(blue, 35.0), await DeclareAsync(red, 35.0) };
        Assert.Equal(201, (await blue.Post("v1/line/messages", new { to = Red, subject = "Live test", body = "Watching the stream." })).Status);
        await WaitForOperationsAsync(console, declared);
        await console.Page.WaitForTimeoutAsync(3_000);

        var streamed = new[] { "/v1/operations", "/v1/zones", "/v1/conflicts", "/v1/alerts", "/v1/line/messages" };
        var asked = console.Requests.Skip(atStart).Select(url => new Uri(url).AbsolutePath).Where(path => streamed.Any(s => path.StartsWith(s, StringComparison.Ordinal))).ToList();

        // The one read allowed: blue's own new operation, once, for its private details, which the
        // stream leaves out of every event (even the owner's).
        Assert.Equal([$"/v1/operations/{declared[0]}"], asked);
    }

    [Fact]
    public async Task The_indicator_says_live_then_reconnecting_for_how_long_and_why()
    {
        var directory = Path.Combine(Path.GetTempPath(), "deconflict-tests", Guid.NewGuid().ToString("N"));
        var port = TestServer.FreePort();
        await using var first = await TestServer.StartAsync(directory: directory, port: port);
        var blue = await first.AddPartyAsync("blue");
        await using var browser = await ConsoleBrowser.LaunchAsync();
        await using var console = await browser.OpenAsync(first, ConsoleBrowser.TokenOf(blue));

        await WaitTextAsync(console, Connection, "● Live");
        Assert.Equal("connected", await console.Page.GetAttributeAsync("#connection", "data-state"));
        Assert.Equal("up to date", await console.Page.InnerTextAsync("#connection-detail"));

        await first.DisposeAsyncKeepFiles();
        await WaitTextAsync(console, Connection, "▲ Reconnecting");
        Assert.Equal("reconnecting", await console.Page.GetAttributeAsync("#connection", "data-state"));
        await Assertions.Expect(console.Page.Locator("#connection-detail")).ToHaveTextAsync(
            new System.Text.RegularExpressions.Regex(@"^for \d+s: the server (cannot be reached|closed the stream)(, next try in \d+s|, trying now)$"), new() { Timeout = 10_000 });

        await using var second = await TestServer.StartAsync(directory: directory, port: port);
        await WaitTextAsync(console, Connection, "● Live");
        Assert.Equal("up to date", await console.Page.InnerTextAsync("#connection-detail"));
    }

    [Fact]
    public async Task A_stream_refused_for_its_quota_waits_as_long_as_retry_after_says_and_then_connects()
    {
        await using var server = await TestServer.StartAsync(new DeconflictOptions { Quotas = new QuotaOptions { MaxStreams = 1, QuotaRetryAfter = TimeSpan.FromSeconds(12) } });
        var blue = await server.AddPartyAsync("blue");

        // Another of blue's clients holds the one stream blue may have open.
        using var held = new HttpRequestMessage(HttpMethod.Get, "v1/events");
        var stream = await blue.SendAsync(held, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(System.Net.HttpStatusCode.OK, stream.StatusCode);

        await using var browser = await ConsoleBrowser.LaunchAsync();
        await using var console = await browser.OpenAsync(server, ConsoleBrowser.TokenOf(blue));
        await WaitTextAsync(console, Connection, "▲ Reconnecting");
        var detail = await console.Page.InnerTextAsync("#connection-detail");
        var wait = System.Text.RegularExpressions.Regex.Match(detail, @"^for \d+s: the server is busy \(Party 'blue' has 1 event streams open, its quota; close one first\.\), next try in (\d+)s$");
        Assert.True(wait.Success, detail);

        // Retry-After (12 s), not the first backoff step (at most 2 s).
        Assert.InRange(int.Parse(wait.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 5, 12);

        stream.Dispose();
        await Assertions.Expect(console.Page.Locator(Connection)).ToHaveTextAsync("● Live", new() { Timeout = 20_000 });
    }

    private static async Task<string> DeclareAsync(HttpClient party, double lat)
    {
        var (status, body, _) = await party.Post("v1/operations", Bodies.Operation(Bodies.Square(lat, 35.8)));
        Assert.Equal(201, status);
        return body!["operation"]!["id"]!.GetValue<string>();
    }

    private static async Task WaitTextAsync(ConsolePage console, string selector, string text) =>
        await Assertions.Expect(console.Page.Locator(selector)).ToHaveTextAsync(text, new() { Timeout = 15_000 });

    private static async Task WaitForOperationsAsync(ConsolePage console, IReadOnlyCollection<string> ids)
    {
        try
        {
            await console.Page.WaitForFunctionAsync("ids => ids.every(id => window.__deconflictLive.operations().includes(id))", ids.ToArray(), new() { Timeout = 20_000 });
        }
        catch (TimeoutException)
        {
            var held = await console.Page.EvaluateAsync<string[]>("window.__deconflictLive.operations()");
            Assert.Fail($"The console holds [{string.Join(", ", held)}], not all of [{string.Join(", ", ids)}]");
        }
    }

    /// <summary>
    /// The events applied since start-up were each applied once, in record order, with no index
    /// skipped (the party's own declarations: every entry after its creation is one it may see),
    /// one per operation.
    /// </summary>
    private static async Task AssertContiguousAsync(ConsolePage console, int count)
    {
        var applied = JsonSerializer.Deserialize<long[]>(await console.Page.EvaluateAsync<string>("JSON.stringify(window.__deconflictLive.applied)"))!;
        Assert.Equal(Enumerable.Range(0, applied.Length).Select(i => applied[0] + i), applied);
        Assert.Equal(count, applied.Length);
    }
}
