using System.Globalization;
using System.Text.Json.Nodes;
using Deconflict.Line;
using Deconflict.Service;
using Deconflict.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Playwright;

namespace Deconflict.Tests.WebConsole;

/// <summary>Banners and sound: a new conflict raises a shaped banner, what was there at sign-in does not.</summary>
public sealed class ConsoleNoticeTests
{
    private const int Timeout = 15_000;

    private static string Utc(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>Blue declares an operation, red one overlapping it; returns (conflict id, blue's operation id, red's).</summary>
    private static async Task<(string Conflict, string Blue, string Red)> OverlapAsync(HttpClient blue, HttpClient red, double lat, double lng)
    {
        var blueOp = await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(lat, lng)));
        Assert.Equal(201, blueOp.Status);
        var redOp = await red.Post("v1/operations", Bodies.Operation(Bodies.Square(lat + 0.05, lng + 0.05, lowerM: 3000, upperM: 6000)));
        Assert.Equal(201, redOp.Status);
        return (redOp.Body!["conflicts"]![0]!["id"]!.GetValue<string>(), blueOp.Body!["operation"]!["id"]!.GetValue<string>(), redOp.Body["operation"]!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_new_conflict_raises_a_diamond_banner_that_shows_it_and_is_dismissed_and_one_there_at_sign_in_raises_none()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");
        var before = await OverlapAsync(blue, red, 35.5, 35.8);
        await using var browser = await ConsoleBrowser.LaunchAsync();
        await using var console = await browser.OpenAsync(server, ConsoleBrowser.TokenOf(blue));
        await console.Page.Locator($"#panel-conflicts li.conflict[data-id='{before.Conflict}']").WaitForAsync(new() { Timeout = Timeout });

        var (id, blueOpId, redOpId) = await OverlapAsync(blue, red, 33.5, 36.3);

        var banner = console.Page.Locator("#banners .banner");
        await banner.WaitForAsync(new() { Timeout = Timeout });
        // Only the new one: the conflict loaded at sign-in (and replayed by the stream) raised nothing.
        Assert.Equal(1, await banner.CountAsync());
        Assert.Equal("new", await banner.GetAttributeAsync("data-level"));
        Assert.Equal("New conflict", await banner.Locator(".banner-word").TextContentAsync());
        Assert.Equal(
            $"operation {redOpId} (RED operations centre) overlaps operation {blueOpId} (BLUE operations centre, yours) from {Utc(Bodies.T0)} to {Utc(Bodies.T0.AddHours(2))}.",
            await banner.Locator(".banner-text").TextContentAsync());

        // Not colour alone: the icon is a diamond (a square turned on its point).
        var icon = banner.Locator(".banner-icon");
        Assert.Equal("diamond", await icon.GetAttributeAsync("data-shape"));
        Assert.Equal("polygon(50% 0px, 100% 50%, 50% 100%, 0px 50%)", await icon.EvaluateAsync<string>("e => getComputedStyle(e).clipPath"));
        Assert.True(await icon.IsVisibleAsync());
        await console.ScreenshotAsync("notices");

        // Show selects the conflict.
        await banner.GetByRole(AriaRole.Button, new() { Name = "Show" }).ClickAsync();
        await console.Page.Locator($"#details[data-kind='conflict'][data-id='{id}'] h2").WaitForAsync(new() { Timeout = Timeout });

        // Dismiss, by keyboard, removes it.
        await banner.Locator(".banner-dismiss").FocusAsync();
        await console.Page.Keyboard.PressAsync("Enter");
        await banner.WaitForAsync(new() { State = WaitForSelectorState.Detached, Timeout = Timeout });
        Assert.Equal(0, await console.Page.Locator("#banners .banner").CountAsync());
        Assert.Empty(console.Errors);
    }

    [Fact]
    public async Task Sound_is_off_until_turned_on_is_remembered_and_then_plays_a_tone_for_a_new_conflict()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");
        await using var browser = await ConsoleBrowser.LaunchAsync();
        await using var console = await browser.OpenAsync(server, ConsoleBrowser.TokenOf(blue));

        // Count the oscillators the page starts (the tones are made with WebAudio, no file).
        await console.Context.AddInitScriptAsync("(() => { window.__tones = 0; const start = OscillatorNode.prototype.start; OscillatorNode.prototype.start = function (...a) { window.__tones++; return start.apply(this, a); }; })()");
        await console.Page.ReloadAsync();
        await console.WaitReadyAsync();
        var sound = console.Page.Locator("#sound");
        Assert.Equal("false", await sound.GetAttributeAsync("aria-pressed"));

        var first = await OverlapAsync(blue, red, 35.5, 35.8);
        await console.Page.Locator($"#banners .banner[data-key='conflict:{first.Conflict}']").WaitForAsync(new() { Timeout = Timeout });
        Assert.Equal(0, await console.Page.EvaluateAsync<int>("window.__tones"));

        await sound.ClickAsync();
        Assert.Equal("true", await sound.GetAttributeAsync("aria-pressed"));
        Assert.Equal("on", await console.Page.EvaluateAsync<string>("localStorage.getItem('deconflict.sound')"));

        // Remembered across a reload.
        await console.Page.ReloadAsync();
        await console.WaitReadyAsync();
        Assert.Equal("true", await console.Page.Locator("#sound").GetAttributeAsync("aria-pressed"));
        Assert.Equal(0, await console.Page.EvaluateAsync<int>("window.__tones"));

        var second = await OverlapAsync(blue, red, 33.5, 36.3);
        await console.Page.Locator($"#banners .banner[data-key='conflict:{second.Conflict}']").WaitForAsync(new() { Timeout = Timeout });
        Assert.True(await console.Page.EvaluateAsync<int>("window.__tones") > 0, "No tone was started for the new conflict with sound on.");
        Assert.Empty(console.Errors);
    }

    [Fact]
    public async Task An_overdue_line_message_raises_a_clock_banner_for_the_sender_and_the_recipient()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 8, 0, 0, TimeSpan.Zero));
        var options = new DeconflictOptions
        {
            Line = new LineOptions(AckWithinS: 300, MinAckWithinS: 5, MaxAckWithinS: 3600, EscalationIntervalS: 120, MaxEscalationLevel: 3),
            LineClockTick = TimeSpan.FromDays(30),
            ExpirySweepInterval = TimeSpan.FromDays(30),
        };
        await using var server = await TestServer.StartAsync(options, clock);
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");
        await using var browser = await ConsoleBrowser.LaunchAsync();
        await using var blueConsole = await browser.OpenAsync(server, ConsoleBrowser.TokenOf(blue));
        await using var redConsole = await browser.OpenAsync(server, ConsoleBrowser.TokenOf(red));

        var sent = await blue.Post("v1/line/messages", new JsonObject { ["to"] = new JsonArray("red"), ["subject"] = "Tanker track", ["body"] = "Moving the tanker track 20 NM north at 0900Z.", ["requires_ack"] = true, ["ack_within_s"] = 60 });
        Assert.Equal(201, sent.Status);
        var id = sent.Body!["id"]!.GetValue<string>();
        clock.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(1, await server.Get<LineClockService>().RunOnceAsync());

        foreach (var (console, text) in new[]
        {
            (blueConsole, "“Tanker track” to RED operations centre is not acknowledged (escalation level 1)."),
            (redConsole, "“Tanker track” from BLUE operations centre awaits your acknowledgement (escalation level 1)."),
        })
        {
            var banner = console.Page.Locator($"#banners .banner[data-level='overdue'][data-key='message:{id}']");
            await banner.WaitForAsync(new() { Timeout = Timeout });
            Assert.Equal("clock", await banner.Locator(".banner-icon").GetAttributeAsync("data-shape"));
            Assert.Equal("Overdue", await banner.Locator(".banner-word").TextContentAsync());
            Assert.Equal(text, await banner.Locator(".banner-text").TextContentAsync());
            Assert.Empty(console.Errors);
        }
    }
}
