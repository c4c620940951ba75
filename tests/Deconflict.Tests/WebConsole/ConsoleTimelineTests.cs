using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Deconflict.Tests.Infrastructure;
using Deque.AxeCore.Playwright;

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
        var entries = await EntriesAsync(server, e => e["type"]!.GetValue<string>() == "conflict", "conflict", id);
        Assert.Equal(["open", "resolved"], entries.Select(e => e.Object["state"]!.GetValue<string>()));
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
                foreach (var part in new[] { "#panel-timeline", "#timeline-strip" })
                {
                    var axe = await page.Locator(part).RunAxe();
                    Assert.Empty(axe.Violations.Where(v => v.Impact is "serious" or "critical").Select(v => $"{part}: {v.Id} {v.Help} ({v.Nodes.Length} nodes)"));
                }
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

    [Fact]
    public async Task The_timeline_marks_when_the_recipient_of_a_line_message_received_read_and_acknowledged_it()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");
        var sent = await blue.Post("v1/line/messages", new JsonObject { ["to"] = new JsonArray("red"), ["subject"] = "Tanker track", ["body"] = "Moving the tanker track 20 NM north.", ["requires_ack"] = true });
        Assert.Equal(201, sent.Status);
        var id = sent.Body!["id"]!.GetValue<string>();
        Assert.Equal(200, (await red.Get($"v1/line/messages/{id}")).Status);
        Assert.Equal(200, (await red.Post($"v1/line/messages/{id}/read", new { })).Status);
        Assert.Equal(200, (await red.Post($"v1/line/messages/{id}/acknowledge", new { by = "Maj. Volkov", note = "understood" })).Status);

        // The message as each of its entries stated it, read from the record through the API.
        var entries = await EntriesAsync(server, e => e["type"]!.GetValue<string>().StartsWith("line-", StringComparison.Ordinal), "message", id);
        var first = entries[0];
        var acknowledged = entries.Last();
        Assert.NotNull(acknowledged.Object["receipts"]!["red"]!["acknowledged_at"]);

        await using var browser = await ConsoleBrowser.LaunchAsync();
        await using var console = await browser.OpenAsync(server, ConsoleBrowser.TokenOf(blue));
        var page = console.Page;
        await page.ClickAsync("#tab-timeline");
        await page.WaitForFunctionAsync("() => window.__deconflictTimeline?.loaded > 0 && !document.querySelector('#timeline-slider').disabled", null, new() { Timeout = 15_000 });

        // The last moment (End on the slider): red received, read and acknowledged it.
        await page.FocusAsync("#timeline-slider");
        await page.Keyboard.PressAsync("End");
        await WaitForAsync(page, "() => window.__deconflictTimeline.viewing !== null", "blue");
        var redMark = page.Locator($"#timeline-knowledge li[data-kind='message'][data-id='{id}'] li[data-party='red']");
        await redMark.WaitForAsync(new() { Timeout = 5_000 });
        Assert.Equal(Marks(first, acknowledged), (await redMark.InnerTextAsync()).Trim());
        Assert.Equal($"BLUE operations centre: wrote {Clock(first.Object["sent_at"]!.GetValue<string>())}", (await page.Locator($"#timeline-knowledge li[data-kind='message'][data-id='{id}'] li[data-party='blue']").InnerTextAsync()).Trim());

        // A millisecond before the acknowledgement's entry: not acknowledged yet (a store rebuilt from the start).
        var before = acknowledged.At.AddMilliseconds(-1);
        var then = entries.Last(e => e.At <= before);
        await page.FillAsync("#timeline-time", InputValue(before));
        await WaitForAsync(page, $"() => window.__deconflictTimeline.viewing === {before.ToUnixTimeMilliseconds()}", "blue");
        await page.WaitForFunctionAsync("text => document.querySelector('#timeline-knowledge li[data-kind=message] li[data-party=red]')?.textContent.trim() === text", Marks(first, then), new() { Timeout = 5_000 });
        Assert.Empty(console.Errors);
    }

    /// <summary>Red's marks on a message as <paramref name="then"/> states it, in the words the panel uses.</summary>
    private static string Marks(RecordObject first, RecordObject then)
    {
        var receipt = then.Object["receipts"]!["red"]!;
        var marks = new List<string> { $"sent {Clock(first.Time)}" };
        if (receipt["delivered_at"] is { } delivered)
        {
            marks.Add($"received {Clock(delivered.GetValue<string>())}");
        }

        if (receipt["read_at"] is { } read)
        {
            marks.Add($"read {Clock(read.GetValue<string>())}");
        }

        marks.Add(receipt["acknowledged_at"] is { } ack
            ? $"acknowledged {Clock(ack.GetValue<string>())} by {receipt["acknowledged_by"]!.GetValue<string>()} (“{receipt["note"]!.GetValue<string>()}”)"
            : "not acknowledged");
        return "RED operations centre: " + string.Join(", ", marks);
    }

    /// <summary>"HH:mm:ss.fffZ", as the panel shows a time on the day of the moment shown.</summary>
    private static string Clock(string time) =>
        DateTimeOffset.Parse(time, CultureInfo.InvariantCulture).UtcDateTime.ToString("HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private sealed record RecordObject(string Time, DateTimeOffset At, JsonNode Object);

    /// <summary>The record's entries of the wanted types about object <paramref name="id"/> (the payload's <paramref name="key"/>), in index order.</summary>
    private static async Task<List<RecordObject>> EntriesAsync(TestServer server, Func<JsonNode, bool> wanted, string key, string id)
    {
        var page = (await server.Admin.Get("v1/record/entries?start=0&end=1000")).Body!;
        var found = new List<RecordObject>();
        foreach (var item in page["items"]!.AsArray())
        {
            var entry = JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(item!["entry"]!.GetValue<string>())))!;
            if (!wanted(entry))
            {
                continue;
            }

            var obj = JsonNode.Parse(entry["payload"]!.GetValue<string>())![key];
            if (obj?["id"]?.GetValue<string>() == id)
            {
                var time = entry["time"]!.GetValue<string>();
                found.Add(new RecordObject(time, DateTimeOffset.Parse(time, CultureInfo.InvariantCulture), obj));
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
