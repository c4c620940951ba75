using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Deconflict.Alerts;
using Deconflict.Core.Geometry;
using Deconflict.Service;
using Deconflict.Tests.Infrastructure;
using Deque.AxeCore.Playwright;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Playwright;

namespace Deconflict.Tests.WebConsole;

/// <summary>
/// Alerts in two parties' consoles: two aircraft converging head-on, reported through
/// POST /v1/tracks, raise an alert that both alert panels show with a countdown that runs down;
/// as new positions bring them closer its level goes from caution to warning (a banner) to loss;
/// one side's acknowledgement shows on the other's screen, and a refused one is shown beside its
/// button. Neither screen holds the other
/// party's track id.
/// </summary>
public sealed partial class ConsoleAlertTests
{
    // The service's clock is a fake one the test moves, so each report is exactly as old as the
    // test says and detection runs only when the test runs a cycle; the browsers' clocks still run
    // (the console counts down from the server's time it read at start).
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 9, 0, 0, TimeSpan.Zero);

    private static readonly DeconflictOptions Manual = new()
    {
        Tactical = new TacticalOptions { CycleInterval = TimeSpan.FromHours(1), MinCycleGap = TimeSpan.FromHours(1) },
        LineClockTick = TimeSpan.FromDays(30),
        ExpirySweepInterval = TimeSpan.FromDays(30),
    };

    private const string BlueId = "BLUE-LEAD-1";
    private const string RedId = "RED-FLANKER-7";

    /// <summary>Separation is lost within 3 NM horizontally (and 1,000 ft vertically).</summary>
    private const double SeparationM = 5556;

    /// <summary>Both fly at 200 m/s towards each other along the 35th parallel at FL300.</summary>
    private const double ClosingMps = 400;

    [Fact]
    public async Task An_alert_counts_down_in_both_consoles_its_level_rises_as_the_tracks_close_and_an_acknowledgement_shows_on_the_other_side()
    {
        var clock = new FakeTimeProvider(T0);
        await using var server = await TestServer.StartAsync(Manual, clock);
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");
        var tactical = server.Get<TacticalService>();
        await using var browser = await ConsoleBrowser.LaunchAsync();
        await using var blueConsole = await browser.OpenAsync(server, ConsoleBrowser.TokenOf(blue));
        await using var redConsole = await browser.OpenAsync(server, ConsoleBrowser.TokenOf(red));
        foreach (var console in new[] { blueConsole, redConsole })
        {
            await console.Page.ClickAsync("#tab-alerts");
        }

        // 0.4 degrees of longitude apart: loss of separation in about 77 s, a caution (60 s to 120 s).
        var gap = await Fly(blue, red, clock, 37.8, 38.2);
        var firstLoss = (gap - SeparationM) / ClosingMps;
        Assert.InRange(firstLoss, 60, 120);
        Assert.Equal(1, (await tactical.RunCycleAsync()).Decisions);

        foreach (var console in new[] { blueConsole, redConsole })
        {
            var row = console.Page.Locator("#panel-alerts .alert-item[data-state='active']");
            await row.Locator(".alert-level", new() { HasTextString = "CAUTION" }).WaitForAsync(new() { Timeout = 10_000 });
            Assert.Equal("caution", await row.GetAttributeAsync("data-level"));
            Assert.Equal("1", (await console.Page.InnerTextAsync("[data-count='alerts']")).Trim());
            Assert.Equal(1, await row.Locator("svg.level-icon polygon").CountAsync());   // caution's shape: a triangle

            // The countdown starts at most at the predicted time to loss and runs down on its own.
            var first = Seconds(await row.Locator(".alert-ttl").InnerTextAsync());
            Assert.InRange(first, 1, (int)Math.Ceiling(firstLoss));
            await console.Page.WaitForFunctionAsync(
                "first => { const t = document.querySelector(\"#panel-alerts .alert-item[data-state='active'] .alert-ttl\")?.textContent ?? ''; const m = /loss in (?:(\\d+)m )?(\\d+)s/.exec(t); return m && (Number(m[1] ?? 0) * 60 + Number(m[2])) < first; }",
                first, new() { Timeout = 10_000 });
        }

        // The red side sees blue's aircraft as a position only.
        var redFacts = await redConsole.Page.InnerTextAsync("#panel-alerts .alert-item .alert-facts");
        Assert.Contains(RedId, redFacts, StringComparison.Ordinal);
        Assert.Contains("aircraft at 35.0000N 37.8000E", redFacts, StringComparison.Ordinal);
        Assert.Contains("0 m (0 ft) vertically", redFacts, StringComparison.Ordinal);

        // 20 s later they are 0.1 degrees apart: loss in about 9 s, a warning, with a banner on both screens.
        clock.Advance(TimeSpan.FromSeconds(20));
        var closer = await Fly(blue, red, clock, 37.95, 38.05);
        Assert.InRange((closer - SeparationM) / ClosingMps, 0, 60);
        Assert.Equal(1, (await tactical.RunCycleAsync()).Decisions);
        foreach (var console in new[] { blueConsole, redConsole })
        {
            await console.Page.Locator("#panel-alerts .alert-item[data-level='warning'] .alert-level", new() { HasTextString = "WARNING" }).WaitForAsync(new() { Timeout = 10_000 });
            await console.Page.Locator("#banners .banner", new() { HasTextString = "WARNING alert" }).WaitForAsync(new() { Timeout = 10_000 });
        }

        // 4 s later, 0.02 degrees (1.8 km) apart: separation is lost.
        clock.Advance(TimeSpan.FromSeconds(4));
        await Fly(blue, red, clock, 37.99, 38.01);
        Assert.Equal(1, (await tactical.RunCycleAsync()).Decisions);
        foreach (var console in new[] { blueConsole, redConsole })
        {
            var row = console.Page.Locator("#panel-alerts .alert-item[data-level='loss']");
            await row.Locator(".alert-ttl", new() { HasTextString = "in loss" }).WaitForAsync(new() { Timeout = 10_000 });
            Assert.Equal("LOSS", await row.Locator(".alert-level").InnerTextAsync());
            await console.Page.Locator("#banners .banner", new() { HasTextString = "LOSS alert" }).WaitForAsync(new() { Timeout = 10_000 });
        }

        // Blue acknowledges; red's screen shows it, and blue's button is gone.
        Assert.Equal("RED operations centre: not acknowledged", await redConsole.Page.InnerTextAsync("#panel-alerts .alert-ack-state[data-party='red']"));
        await blueConsole.Page.ClickAsync("#panel-alerts .alert-item[data-level='loss'] .alert-acknowledge");
        var shown = redConsole.Page.Locator("#panel-alerts .alert-ack-state[data-party='blue'][data-acknowledged='true']");
        await shown.WaitForAsync(new() { Timeout = 10_000 });
        Assert.Equal("BLUE operations centre: acknowledged 2030-01-01 09:00:24Z", await shown.InnerTextAsync());
        await blueConsole.Page.Locator("#panel-alerts .alert-item[data-level='loss'] .alert-acknowledge").WaitForAsync(new() { State = WaitForSelectorState.Hidden, Timeout = 10_000 });
        Assert.True(await redConsole.Page.Locator("#panel-alerts .alert-item[data-level='loss'] .alert-acknowledge").IsVisibleAsync());

        // Selecting the alert in the list marks it as the selection.
        await redConsole.Page.ClickAsync("#panel-alerts .alert-item .alert-head");
        Assert.Equal("true", await redConsole.Page.GetAttributeAsync("#panel-alerts .alert-item", "aria-current"));

        // A refusal is shown beside the button as the problem's title and detail; a second try goes through.
        await redConsole.Page.RouteAsync("**/acknowledge", route => route.FulfillAsync(new()
        {
            Status = 503,
            ContentType = "application/problem+json",
            Body = """{"type":"urn:deconflict:problem:unavailable","title":"The service is unavailable","status":503,"detail":"Try again in a moment.","code":"unavailable"}""",
        }));
        await redConsole.Page.ClickAsync("#panel-alerts .alert-item[data-level='loss'] .alert-acknowledge");
        var problem = redConsole.Page.Locator("#panel-alerts .alert-item[data-level='loss'] .alert-problem[role='alert']");
        await problem.WaitForAsync(new() { Timeout = 10_000 });
        Assert.Equal("The service is unavailable Try again in a moment.", (await problem.InnerTextAsync()).Trim());
        await redConsole.Page.UnrouteAllAsync();
        await redConsole.Page.ClickAsync("#panel-alerts .alert-item[data-level='loss'] .alert-acknowledge");
        await blueConsole.Page.Locator("#panel-alerts .alert-ack-state[data-party='red'][data-acknowledged='true']").WaitForAsync(new() { Timeout = 10_000 });

        // The map draws each side's own aircraft from its poll of GET /v1/tracks: wait for one made after the last reports.
        foreach (var console in new[] { blueConsole, redConsole })
        {
            await console.Page.WaitForResponseAsync(r => r.Url.EndsWith("/v1/tracks", StringComparison.Ordinal) && r.Status == 200, new() { Timeout = 10_000 });
        }

        // The panel passes axe-core with no serious or critical violation.
        var axe = await blueConsole.Page.Locator("#panel-alerts").RunAxe();
        Assert.Empty(axe.Violations.Where(v => v.Impact is "serious" or "critical").Select(v => $"{v.Id}: {v.Help}"));

        await blueConsole.ScreenshotAsync("alerts");
        await redConsole.Page.ClickAsync("#theme");
        await redConsole.Page.Locator("html[data-theme='light']").WaitForAsync(new() { Timeout = 5_000 });
        await redConsole.ScreenshotAsync("alerts-red-light");

        // Neither screen holds the other party's track id, nor did any answer the page read.
        Assert.DoesNotContain(BlueId, await redConsole.Page.ContentAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain(RedId, await blueConsole.Page.ContentAsync(), StringComparison.Ordinal);
        var redTracks = JsonNode.Parse(await redConsole.Page.EvaluateAsync<string>("fetch('/v1/tracks', { headers: { Authorization: 'Bearer ' + sessionStorage.getItem('deconflict.token') } }).then(r => r.text())"))!;
        Assert.Equal([RedId], redTracks["items"]!.AsArray().Select(t => t!["id"]!.GetValue<string>()));
        foreach (var console in new[] { blueConsole, redConsole })
        {
            console.AssertOnlyOwnOrigin();

            // The browser logs the refused request itself; nothing else went wrong.
            Assert.All(console.Errors, e => Assert.Contains("the server responded with a status of 503", e, StringComparison.Ordinal));
        }
    }

    /// <summary>Reports blue at <paramref name="blueLng"/> eastbound and red at <paramref name="redLng"/> westbound; returns the gap in metres.</summary>
    private static async Task<double> Fly(HttpClient blue, HttpClient red, FakeTimeProvider clock, double blueLng, double redLng)
    {
        var time = clock.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        Assert.Equal(202, (await blue.Post("v1/tracks", Batch(BlueId, time, blueLng, 200))).Status);
        Assert.Equal(202, (await red.Post("v1/tracks", Batch(RedId, time, redLng, -200))).Status);
        return Geodesic.Inverse(new GeoPoint(35, blueLng), new GeoPoint(35, redLng)).DistanceM;
    }

    private static JsonObject Batch(string id, string time, double lng, double eastMps) => new()
    {
        ["tracks"] = new JsonArray(new JsonObject
        {
            ["id"] = id,
            ["time"] = time,
            ["lat"] = 35.0,
            ["lng"] = lng,
            ["altitude_m"] = 9144.0,
            ["velocity"] = new JsonObject { ["east_mps"] = eastMps, ["north_mps"] = 0.0, ["up_mps"] = 0.0 },
        }),
    };

    /// <summary>"loss in 1m 05s" as 65.</summary>
    private static int Seconds(string countdown)
    {
        var m = CountdownPattern().Match(countdown);
        Assert.True(m.Success, $"not a countdown: '{countdown}'");
        return (m.Groups[1].Success ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) * 60 : 0) + int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"loss in (?:(\d+)m )?(\d+)s")]
    private static partial Regex CountdownPattern();
}
