using Deconflict.Tests.Infrastructure;

namespace Deconflict.Tests.WebConsole;

/// <summary>The console's frame on a 1366x768 laptop and a 4K wall screen, in the dark and light themes.</summary>
public sealed class ConsoleFrameTests
{
    [Theory]
    [InlineData(1366, 768, 14)]
    [InlineData(3840, 2160, 32)]
    public async Task The_frame_fits_the_screen_without_scrolling_with_text_sized_for_it_in_both_themes(int width, int height, int rootFontPx)
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        await using var browser = await ConsoleBrowser.LaunchAsync();
        await using var console = await browser.OpenAsync(server, ConsoleBrowser.TokenOf(blue), width, height);

        Assert.Equal($"{rootFontPx}px", await console.Page.EvaluateAsync<string>("getComputedStyle(document.documentElement).fontSize"));
        foreach (var theme in new[] { "dark", "light" })
        {
            if (await console.Page.GetAttributeAsync("html", "data-theme") != theme)
            {
                await console.Page.ClickAsync("#theme");
            }

            Assert.Equal(theme, await console.Page.GetAttributeAsync("html", "data-theme"));

            // The page itself never scrolls: the map and the lists share the screen, the lists scroll inside.
            Assert.Equal([width, height], await console.Page.EvaluateAsync<int[]>("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"));
            var map = await console.Page.Locator("#map").BoundingBoxAsync();
            var side = await console.Page.Locator("#side").BoundingBoxAsync();
            Assert.NotNull(map);
            Assert.NotNull(side);
            Assert.True(map.Height >= height * 0.8, $"The map is {map.Height} px high on a {height} px screen.");
            Assert.True(map.Width >= width * 0.6, $"The map is {map.Width} px wide on a {width} px screen.");
            Assert.Equal(width, (int)Math.Round(side.X + side.Width));
            Assert.False(await console.Page.Locator("#sign-in").IsVisibleAsync());
            await console.ScreenshotAsync($"frame-{width}x{height}-{theme}");
        }
    }
}
