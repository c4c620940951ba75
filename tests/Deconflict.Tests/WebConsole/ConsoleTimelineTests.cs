using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Deconflict.Tests.Infrastructure;

namespace Deconflict.Tests.WebConsole;

/// <summary>
/// The investigator's timeline: a moment chosen in the console rebuilds the picture as it stood
/// then from the record entries the caller may see, for the map and every list.
/// </summary>
public sealed class ConsoleTimelineTests
{
    [Fact]
    public async Task The_timeline_shows_a_conflict_open_before_its_resolution_and_resolved_after_for_a_party_and_the_admin()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");
        var blueOp = await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(35.5, 35.8)));
        var redOp = await red.Post("v1/operations", Bodies.Operation(Bodies.Square(35.55, 35.85)));
        var id = redOp.Body!["conflicts"]![0]!["id"]!.GetValue<string>();

        // Blue moves its operation 200 km east: the overlap is gone and the conflict resolves.
        var moved = await blue.Send(HttpMethod.Put, $"v1/operations/{blueOp.Body!["operation"]!["id"]}", Bodies.Operation(Bodies.Square(35.5, 38.0)), ifMatch: "\"1\"");
        Assert.Equal(200, moved.Status);
        Assert.Equal("resolved", (await blue.Get($"v1/conflicts/{id}")).Body!["state"]!.GetValue<string>());

        // The moments, read from the record through the API (not through the console).
        var entries = await ConflictEntriesAsync(server, id);
        Assert.Equal(["open", "resolved"], entries.Select(e => e.State));
        var (opened, resolved) = (entries[0], entries[1]);
        Assert.True(resolved.At > opened.At, $"the resolution ({resolved.Time}) must be recorded after the opening ({opened.Time})");

        await using var browser = await ConsoleBrowser.LaunchAsync();
        foreach (var (who, token) in new[] { ("blue", ConsoleBrowser.TokenOf(blue)), ("admin", TestServer.AdminSecret) })
        {
            await using var console = await browser.OpenAsync(server, token);
            var page = console.Page;
            await page.ClickAsync("#tab-timeline");
            await page.WaitForFunctionAsync("() => window.__deconflictTimeline?.loaded > 0 && !document.querySelector('#timeline-time').disabled", null, new() { Timeout = 15_000 });

            // Before the resolution: the conflict as it stood then, open.
            await page.FillAsync("#timeline-time", InputValue(opened.At));
            await WaitForAsync(page, $"() => window.__deconflictTimeline.viewing === {opened.At.ToUnixTimeMilliseconds()}", who);
            Assert.Equal("open", await ConflictStateAsync(page, id));
            Assert.Equal($"VIEWING THE RECORD AT {opened.Time.Replace('T', ' ')}", (await page.InnerTextAsync("#timeline-strip-text")).Trim());
            Assert.Equal(opened.At.ToUnixTimeMilliseconds(), await page.EvaluateAsync<long>("window.__deconflictTimeline.mapTime"));
            Assert.False(await page.EvaluateAsync<bool>("window.__deconflictTimeline.live"));
            var conflicts = await PanelTextAsync(page, "#panel-conflicts");
            if (conflicts.Contains(id, StringComparison.Ordinal))
            {
                Assert.Contains("open", conflicts, StringComparison.OrdinalIgnoreCase);
            }

            // Blue's knowledge of it then: sent at the opening's entry, not yet acknowledged.
            var mark = page.Locator($"#timeline-knowledge li[data-kind='conflict'][data-id='{id}'] li[data-party='blue']");
            await mark.WaitForAsync(new() { Timeout = 5_000 });
            Assert.Equal($"BLUE operations centre: sent {opened.Time[11..]}, not acknowledged", (await mark.InnerTextAsync()).Trim());

            // Replay from there runs the shown moment forward to the last entry read.
            await page.SelectOptionAsync("#timeline-speed", "600");
            await page.ClickAsync("#timeline-replay");
            await WaitForAsync(page, $"() => window.__deconflictTimeline.viewing > {opened.At.ToUnixTimeMilliseconds()}", who);
            await WaitForAsync(page, "() => document.querySelector('#timeline-replay').getAttribute('aria-pressed') === 'false'", who);
            Assert.Equal("resolved", await ConflictStateAsync(page, id));

            // At the resolution's moment: resolved.
            await page.FillAsync("#timeline-time", InputValue(resolved.At));
            await WaitForAsync(page, $"() => window.__deconflictTimeline.viewing === {resolved.At.ToUnixTimeMilliseconds()}", who);
            Assert.Equal("resolved", await ConflictStateAsync(page, id));
            Assert.Equal($"VIEWING THE RECORD AT {resolved.Time.Replace('T', ' ')}", (await page.InnerTextAsync("#timeline-strip-text")).Trim());

            // Selected, the conflict's marks: each side was sent it when it opened and the update when it resolved.
            await page.ClickAsync($"#timeline-knowledge li[data-kind='conflict'][data-id='{id}'] .timeline-object-title");
            await page.WaitForFunctionAsync("() => document.querySelector('.timeline-knowledge-title').textContent.includes('selected conflict')", null, new() { Timeout = 5_000 });
            foreach (var party in new[] { "blue", "red" })
            {
                var line = page.Locator($"#timeline-knowledge li[data-kind='conflict'][data-id='{id}'] li[data-party='{party}']");
                Assert.Equal($"{party.ToUpperInvariant()} operations centre: sent {opened.Time[11..]}, updated {resolved.Time[11..]}", (await line.InnerTextAsync()).Trim());
            }

            if (who == "blue")
            {
                await page.Locator("#timeline-knowledge").ScrollIntoViewIfNeededAsync();
                await console.ScreenshotAsync("timeline");
            }

            // Back to live: the live store again, the map following now, no strip.
            await page.ClickAsync("#timeline-strip-live");
            await WaitForAsync(page, "() => window.__deconflictTimeline.viewing === null && window.__deconflictTimeline.live", who);
            Assert.Null(await page.EvaluateAsync<long?>("window.__deconflictTimeline.mapTime"));
            Assert.True(await page.Locator("#timeline-strip").IsHiddenAsync());
            Assert.Empty(console.Errors);
            console.AssertOnlyOwnOrigin();
        }
    }

    private sealed record ConflictEntry(string Time, DateTimeOffset At, string State);

    /// <summary>The record's entries about conflict <paramref name="id"/>, in index order, decoded as docs/record.md says.</summary>
    private static async Task<List<ConflictEntry>> ConflictEntriesAsync(TestServer server, string id)
    {
        var page = (await server.Admin.Get("v1/record/entries?start=0&end=1000")).Body!;
        var found = new List<ConflictEntry>();
        foreach (var item in page["items"]!.AsArray())
        {
            var entry = JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(item!["entry"]!.GetValue<string>())))!;
            if (entry["type"]!.GetValue<string>() != "conflict")
            {
                continue;
            }

            var conflict = JsonNode.Parse(entry["payload"]!.GetValue<string>())!["conflict"]!;
            if (conflict["id"]!.GetValue<string>() == id)
            {
                var time = entry["time"]!.GetValue<string>();
                found.Add(new ConflictEntry(time, DateTimeOffset.Parse(time, CultureInfo.InvariantCulture), conflict["state"]!.GetValue<string>()));
            }
        }

        return found;
    }

    /// <summary>A datetime-local value as the browser normalises it: seconds and milliseconds only when not zero.</summary>
    private static string InputValue(DateTimeOffset at)
    {
        var value = at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff", CultureInfo.InvariantCulture).TrimEnd('0').TrimEnd('.');
        return value.EndsWith(":00", StringComparison.Ordinal) && value.Length == 19 ? value[..16] : value;
    }

    private static Task<string?> ConflictStateAsync(Microsoft.Playwright.IPage page, string id) =>
        page.EvaluateAsync<string?>("id => window.__deconflictTimeline.conflicts()[id] ?? null", id);

    private static async Task<string> PanelTextAsync(Microsoft.Playwright.IPage page, string selector) =>
        await page.EvalOnSelectorAsync<string>(selector, "e => e.textContent ?? ''");

    private static async Task WaitForAsync(Microsoft.Playwright.IPage page, string condition, string who)
    {
        try
        {
            await page.WaitForFunctionAsync(condition, null, new() { Timeout = 10_000 });
        }
        catch (TimeoutException)
        {
            Assert.Fail($"({who}) still not true after 10 s: {condition}; viewing {await page.EvaluateAsync<string>("String(window.__deconflictTimeline?.viewing)")}");
        }
    }
}
