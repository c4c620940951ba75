using System.Collections.Concurrent;
using Deconflict.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Deconflict.Tests.WebConsole;

/// <summary>
/// Debian's chromium (installed by .ci/run; Playwright's own browser download is not used), driven
/// by Playwright, for the console's end-to-end tests. Each <see cref="OpenAsync"/> is a separate
/// browser context (its own session storage, as a second officer's screen) signed in with a token
/// through the URL fragment, as `demo --serve` links do; it records every request, every response
/// body the page read, and every console error, for the tests to assert on.
/// </summary>
public sealed class ConsoleBrowser : IAsyncDisposable
{
    public const string Chromium = "/usr/bin/chromium";

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private ConsoleBrowser(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        _browser = browser;
    }

    /// <summary>Where screenshots go: TestResults/console under the test project's output (a CI artifact).</summary>
    public static string ArtifactDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "TestResults", "console");

    public static async Task<ConsoleBrowser> LaunchAsync()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: run `apt-get install chromium` (Debian's package; .ci/run installs it).");
        var playwright = await Playwright.CreateAsync();

        // --no-sandbox: chromium refuses to start its sandbox as root, as the tests run in CI.
        var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox"] });
        return new ConsoleBrowser(playwright, browser);
    }

    /// <summary>
    /// A new context signed in with <paramref name="token"/> (null: not signed in), on the console's
    /// page, waited for until it has loaded the picture and opened the event stream.
    /// </summary>
    /// <param name="through">Another address that reaches the server (a relay that can cut the connection); null: the server's own.</param>
    public Task<ConsolePage> OpenAsync(TestServer server, string? token, int width = 1366, int height = 768, Uri? through = null) =>
        OpenLinkAsync(new Uri(through ?? server.BaseAddress, "/").ToString() + (token is null ? string.Empty : "#token=" + Uri.EscapeDataString(token)), width, height);

    /// <summary>
    /// A new context on <paramref name="link"/> (the console's address, with #token=... to sign in, as
    /// `demo --serve` prints it), waited for until ready when the link carries a token.
    /// </summary>
    public async Task<ConsolePage> OpenLinkAsync(string link, int width = 1366, int height = 768)
    {
        var context = await _browser.NewContextAsync(new() { ViewportSize = new() { Width = width, Height = height } });
        var page = await context.NewPageAsync();
        var console = new ConsolePage(context, page, new Uri(new Uri(link), "/"));
        var response = await page.GotoAsync(link);
        Assert.Equal(200, response!.Status);
        if (link.Contains("#token=", StringComparison.Ordinal))
        {
            await console.WaitReadyAsync();
        }

        return console;
    }

    /// <summary>The token a <see cref="TestServer.AddPartyAsync"/> client carries.</summary>
    public static string TokenOf(HttpClient client) => client.DefaultRequestHeaders.Authorization!.Parameter!;

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}

/// <summary>One signed-in console (a browser context and its page) and what it has seen.</summary>
public sealed class ConsolePage(IBrowserContext context, IPage page, Uri server) : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> _errors = Watch(page);

    public IBrowserContext Context { get; } = context;

    public IPage Page { get; } = page;

    /// <summary>Every URL the context asked for.</summary>
    public ConcurrentQueue<string> Requests { get; } = Record(context);

    /// <summary>Console errors and uncaught exceptions on the page.</summary>
    public IReadOnlyCollection<string> Errors => _errors;

    public Uri Server { get; } = server;

    public async Task WaitReadyAsync()
    {
        try
        {
            await Page.Locator("body[data-ready='true']").WaitForAsync(new() { Timeout = 30_000 });
        }
        catch (TimeoutException)
        {
            Assert.Fail($"The console did not become ready within 30 s; errors: [{string.Join("; ", _errors)}]");
        }
    }

    /// <summary>Saves a screenshot of the whole page as TestResults/console/NAME.png.</summary>
    public async Task<string> ScreenshotAsync(string name)
    {
        Directory.CreateDirectory(ConsoleBrowser.ArtifactDirectory);
        var path = Path.Combine(ConsoleBrowser.ArtifactDirectory, name + ".png");
        await Page.ScreenshotAsync(new() { Path = path });
        return path;
    }

    /// <summary>Asserts every request went to the server's own origin.</summary>
    public void AssertOnlyOwnOrigin()
    {
        var origin = Server.GetLeftPart(UriPartial.Authority) + "/";
        Assert.All(Requests, url => Assert.True(url.StartsWith(origin, StringComparison.Ordinal) || url.StartsWith("data:", StringComparison.Ordinal) || url.StartsWith("blob:", StringComparison.Ordinal), $"The console asked another origin: {url}"));
    }

    private static ConcurrentQueue<string> Watch(IPage page)
    {
        var errors = new ConcurrentQueue<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                errors.Enqueue(message.Text);
            }
        };
        page.PageError += (_, error) => errors.Enqueue(error);
        return errors;
    }

    private static ConcurrentQueue<string> Record(IBrowserContext context)
    {
        var requests = new ConcurrentQueue<string>();
        context.Request += (_, request) => requests.Enqueue(request.Url);
        return requests;
    }

    public async ValueTask DisposeAsync() => await Context.CloseAsync();
}
