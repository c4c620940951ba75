using Deconflict.Tests.Infrastructure;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace Deconflict.Tests.WebConsole;

/// <summary>
/// The console for everyone: axe-core finds no serious or critical violation on any view (sign-in,
/// and each tab of the console) in either theme; the tabs and sign-out are reached and worked with
/// the keyboard; and the frame fits a 1366x768 laptop and a 4K wall screen (screenshots of each are
/// the CI's artifacts).
/// </summary>
public sealed class ConsoleAccessibilityTests
{
    private static readonly string[] Tabs = ["conflicts", "alerts", "line", "record", "timeline"];

    [Theory]
    [InlineData("dark")]
    [InlineData("light")]
    public async Task Axe_finds_no_serious_or_critical_violation_on_the_sign_in_page(string theme)
    {
        await using var server = await TestServer.StartAsync();
        await using var browser = await ConsoleBrowser.LaunchAsync();
        await using var console = await browser.OpenAsync(server, token: null);
        await console.Page.Locator("#sign-in-form").WaitForAsync();
        // The sign-in page shows before the shell mounts (which applies the officer's theme): set it as the shell would.
        await console.Page.EvaluateAsync("theme => document.documentElement.dataset.theme = theme", theme);
        Assert.False(await console.Page.IsVisibleAsync("#console"), "The console's frame shows before sign-in.");
        Assert.False(await console.Page.IsVisibleAsync("#sign-out"), "Sign out shows before sign-in.");

        var found = await SeriousViolationsAsync(console.Page, $"sign-in ({theme})");
        await console.ScreenshotAsync($"sign-in-{theme}");

        Assert.True(found.Count == 0, string.Join('\n', found));
    }

    [Theory]
    [InlineData("dark")]
    [InlineData("light")]
    public async Task Axe_finds_no_serious_or_critical_violation_on_any_tab_of_the_console(string theme)
    {
        await using var server = await TestServer.StartAsync();
        var (blue, _) = await SeedAsync(server);
        await using var browser = await ConsoleBrowser.LaunchAsync();
        await using var console = await browser.OpenAsync(server, ConsoleBrowser.TokenOf(blue));
        await UseThemeAsync(console.Page, theme);

        var found = new List<string>();
        foreach (var tab in Tabs)
        {
            await console.Page.ClickAsync($"#tab-{tab}");
            await console.Page.Locator($"#panel-{tab}").WaitForAsync(new() { State = WaitForSelectorState.Visible });
            found.AddRange(await SeriousViolationsAsync(console.Page, $"{tab} tab ({theme})"));
            await console.ScreenshotAsync($"console-{tab}-{theme}");
        }

        Assert.True(found.Count == 0, string.Join('\n', found));
        Assert.Empty(console.Errors);
    }

    [Fact]
    public async Task Tab_reaches_the_tabs_arrow_keys_switch_them_and_the_keyboard_signs_out()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        await using var browser = await ConsoleBrowser.LaunchAsync();
        await using var console = await browser.OpenAsync(server, ConsoleBrowser.TokenOf(blue));
        var page = console.Page;

        // From the top of the page, Tab alone reaches the selected tab (the others are out of the
        // Tab order: the tab list is one stop, as the WAI-ARIA tabs pattern has it).
        Assert.True(await TabUntilAsync(page, "tab-conflicts"), "Tab never reached the conflicts tab.");
        Assert.Equal(["tab-conflicts"], await page.EvaluateAsync<string[]>("[...document.querySelectorAll('[role=tab]')].filter(t => t.tabIndex === 0).map(t => t.id)"));

        await page.Keyboard.PressAsync("ArrowRight");
        await AssertShownAsync(page, "alerts");
        await page.Keyboard.PressAsync("ArrowRight");
        await AssertShownAsync(page, "line");
        await page.Keyboard.PressAsync("ArrowLeft");
        await AssertShownAsync(page, "alerts");
        await page.Keyboard.PressAsync("End");
        await AssertShownAsync(page, "timeline");
        await page.Keyboard.PressAsync("ArrowRight");
        await AssertShownAsync(page, "conflicts");
        await page.Keyboard.PressAsync("ArrowLeft");
        await AssertShownAsync(page, "timeline");
        await page.Keyboard.PressAsync("Home");
        await AssertShownAsync(page, "conflicts");
        await page.Keyboard.PressAsync("Alt+4");
        await AssertShownAsync(page, "record");

        // Sign-out is in the Tab order too, and Enter on it signs out.
        Assert.True(await TabUntilAsync(page, "sign-out"), "Tab never reached the sign-out button.");
        await page.Keyboard.PressAsync("Enter");
        await page.Locator("#sign-in-form").WaitForAsync(new() { Timeout = 15_000 });
        Assert.Null(await page.EvaluateAsync<string?>("sessionStorage.getItem('deconflict.token')"));
    }

    [Theory]
    [InlineData(1366, 768, "console-1366")]
    [InlineData(3840, 2160, "console-4k")]
    public async Task The_frame_fits_a_laptop_and_a_wall_screen_in_both_themes(int width, int height, string name)
    {
        await using var server = await TestServer.StartAsync();
        var (blue, _) = await SeedAsync(server);
        await using var browser = await ConsoleBrowser.LaunchAsync();
        await using var console = await browser.OpenAsync(server, ConsoleBrowser.TokenOf(blue), width, height);

        foreach (var theme in new[] { "dark", "light" })
        {
            await UseThemeAsync(console.Page, theme);
            // The sign-in form is gone, nothing scrolls sideways, and the bar, the map, the tabs and sign-out are all on screen.
            Assert.False(await console.Page.IsVisibleAsync("#sign-in"), "The sign-in form shows beside the signed-in console.");
            Assert.True(await console.Page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"), $"The page scrolls sideways at {width}x{height}.");
            foreach (var selector in new[] { "#bar", "#map", "#tab-conflicts", "#tab-timeline", "#sign-out" })
            {
                var box = await console.Page.Locator(selector).BoundingBoxAsync();
                Assert.True(box is not null && box.Width > 0 && box.Height > 0 && box.X >= 0 && box.Y >= 0 && box.X + box.Width <= width + 0.5 && box.Y + box.Height <= height + 0.5,
                    $"{selector} is not wholly on a {width}x{height} screen: {box?.X},{box?.Y} {box?.Width}x{box?.Height}");
            }

            await console.ScreenshotAsync(theme == "dark" ? name : $"{name}-light");
        }

        Assert.Empty(console.Errors);
    }

    /// <summary>Two parties with operations in conflict, a zone and a line message: something in each list.</summary>
    private static async Task<(HttpClient Blue, HttpClient Red)> SeedAsync(TestServer server)
    {
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");
        Assert.Equal(201, (await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(35.5, 35.8)))).Status);
        Assert.Equal(201, (await red.Post("v1/operations", Bodies.Operation(Bodies.Square(35.55, 35.85)))).Status);
        Assert.Equal(201, (await red.Post("v1/zones", Bodies.Zone("advisory", "Latakia approach", Bodies.Circle(35.4, 35.95, 20_000)))).Status);
        Assert.Equal(201, (await red.Post("v1/line/messages", """{"to":["blue"],"subject":"Tanker track","body":"Tanker on the Latakia track 0900-1000Z.","requires_ack":true}""")).Status);
        return (blue, red);
    }

    private static async Task UseThemeAsync(IPage page, string theme)
    {
        if (await page.GetAttributeAsync("html", "data-theme") != theme)
        {
            await page.ClickAsync("#theme");
        }

        Assert.Equal(theme, await page.GetAttributeAsync("html", "data-theme"));
    }

    /// <summary>Runs axe-core on the page; each serious or critical violation as a line naming the rule, the view and the elements.</summary>
    private static async Task<List<string>> SeriousViolationsAsync(IPage page, string view)
    {
        var result = await page.RunAxe();
        return [.. result.Violations
            .Where(v => v.Impact is "serious" or "critical")
            .Select(v => $"{view}: {v.Impact} {v.Id} ({v.Help}) on {string.Join(", ", v.Nodes.Take(5).Select(n => n.Target?.ToString()))}{(v.Nodes.Length > 5 ? $" and {v.Nodes.Length - 5} more" : string.Empty)}: {string.Join("; ", v.Nodes.Take(1).SelectMany(n => n.Any.Concat(n.All).Concat(n.None)).Select(c => c.Message))}")];
    }

    private static async Task<bool> TabUntilAsync(IPage page, string id)
    {
        // Bounded: the views put their own controls in the Tab order before and after the tabs.
        for (var i = 0; i < 200; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            if (await page.EvaluateAsync<string>("document.activeElement?.id ?? ''") == id)
            {
                return true;
            }
        }

        return false;
    }

    private static async Task AssertShownAsync(IPage page, string tab)
    {
        Assert.Equal($"tab-{tab}", await page.EvaluateAsync<string>("document.activeElement?.id ?? ''"));
        Assert.Equal("true", await page.GetAttributeAsync($"#tab-{tab}", "aria-selected"));
        Assert.Equal([$"panel-{tab}"], await page.EvaluateAsync<string[]>("[...document.querySelectorAll('[role=tabpanel]')].filter(p => !p.hidden).map(p => p.id)"));
    }
}
