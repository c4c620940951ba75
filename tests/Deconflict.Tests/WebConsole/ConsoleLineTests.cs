using System.Globalization;
using System.Text.Json.Nodes;
using Deconflict.Service;
using Deconflict.Tests.Infrastructure;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace Deconflict.Tests.WebConsole;

/// <summary>
/// The deconfliction line in two officers' consoles: compose with a reference picked by clicking,
/// the recipient's clock counting down, going overdue and escalating on a short agreed clock, the
/// acknowledgement typed in the recipient's console shown on the sender's, and a refused send.
/// </summary>
public sealed class ConsoleLineTests
{
    private const int Wait = 20_000;

    [Fact]
    public async Task A_message_composed_in_blues_console_counts_down_escalates_in_reds_and_reds_acknowledgement_shows_in_blues()
    {
        // A short agreed clock: 12 s to acknowledge, then an escalation every 2 s up to level 2.
        var options = new DeconflictOptions { Line = new LineOptions(AckWithinS: 300, MinAckWithinS: 1, MaxAckWithinS: 3600, EscalationIntervalS: 2, MaxEscalationLevel: 2) };
        await using var server = await TestServer.StartAsync(options);
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");

        // Red told blue of its operation earlier: blue's inbox holds a message referencing it, the list item blue picks from.
        var redOperation = await red.Post("v1/operations", Bodies.Operation(Bodies.Square(35.55, 35.85)));
        var operationId = redOperation.Body!["operation"]!["id"]!.GetValue<string>();
        var notice = await red.Post("v1/line/messages", new JsonObject { ["to"] = new JsonArray("blue"), ["kind"] = "operation-notice", ["subject"] = "CAP north of the river", ["body"] = "Active from 0900Z.", ["refs"] = new JsonArray(new JsonObject { ["kind"] = "operation", ["id"] = operationId }) });
        Assert.Equal(201, notice.Status);

        await using var browser = await ConsoleBrowser.LaunchAsync();
        await using var blueConsole = await browser.OpenAsync(server, ConsoleBrowser.TokenOf(blue));
        await using var redConsole = await browser.OpenAsync(server, ConsoleBrowser.TokenOf(red));
        var bp = blueConsole.Page;
        var rp = redConsole.Page;

        // Blue composes, picking red's operation by clicking its reference in the inbox.
        await bp.ClickAsync("#tab-line");
        await bp.ClickAsync("#line-compose-toggle");
        await bp.SelectOptionAsync("#line-kind", "operation-notice");
        await bp.CheckAsync("#line-to-red");
        await bp.FillAsync("#line-subject", "Tanker track moves north");
        await bp.FillAsync("#line-body", "Moving the tanker track 20 NM north at 0900Z.\nConfirm your CAP stays east.");
        await bp.FillAsync("#line-ack-within", "12");
        await bp.SelectOptionAsync("#line-ack-unit", "1");
        await bp.ClickAsync("#line-pick");
        Assert.Equal("true", await bp.GetAttributeAsync("#line-pick", "aria-pressed"));
        await bp.ClickAsync($"#panel-line li.msg[data-message='{notice.Body!["id"]!.GetValue<string>()}'] .ref-chip[data-ref-id='{operationId}']");
        await bp.Locator($"#line-compose .ref-chip.picked[data-ref-id='{operationId}']").WaitForAsync(new() { Timeout = Wait });
        await bp.ClickAsync("#line-send");
        await Expect(bp.Locator("#line-sent")).ToHaveTextAsync("Sent “Tanker track moves north” to RED operations centre.", new() { Timeout = Wait });
        Assert.Equal("false", await bp.GetAttributeAsync("#line-pick", "aria-pressed"));

        // Not picking, the same click selects the operation, which the form then offers to add.
        await bp.ClickAsync($"#panel-line li.msg[data-message='{notice.Body!["id"]!.GetValue<string>()}'] .ref-chip[data-ref-id='{operationId}']");
        await Expect(bp.Locator("#line-add-selected")).ToBeEnabledAsync(new() { Timeout = Wait });
        await Expect(bp.Locator("#line-add-selected")).ToHaveTextAsync($"Add the selected operation op-…{operationId[^8..]}");
        await Expect(bp.Locator("#line-compose .ref-chip.picked")).ToHaveCountAsync(0);

        var sent = Assert.Single((await blue.Get("v1/line/messages?box=sent")).Body!["items"]!.AsArray())!;
        var id = sent["id"]!.GetValue<string>();
        Assert.Equal("operation-notice", sent["kind"]!.GetValue<string>());
        Assert.Equal("Moving the tanker track 20 NM north at 0900Z.\nConfirm your CAP stays east.", sent["body"]!.GetValue<string>());
        Assert.Equal(operationId, Assert.Single(sent["refs"]!.AsArray())!["id"]!.GetValue<string>());
        Assert.Equal(TimeSpan.FromSeconds(12), Time(sent["ack_due_at"]) - Time(sent["sent_at"]));

        // Red's inbox: the message, waiting for acknowledgement, its clock counting down.
        await rp.ClickAsync("#tab-line");
        var message = rp.Locator($"#panel-line li.msg[data-message='{id}']");
        var clock = message.Locator(".msg-summary .msg-clock");
        await Expect(clock).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^⏱ Due in \\d+s$"), new() { Timeout = Wait });
        var first = int.Parse(System.Text.RegularExpressions.Regex.Match(await clock.InnerTextAsync(), "\\d+").Value, CultureInfo.InvariantCulture);
        Assert.InRange(first, 1, 12);
        await rp.WaitForFunctionAsync(
            "([sel, first]) => { const m = /^⏱ Due in (\\d+)s$/.exec(document.querySelector(sel)?.textContent ?? ''); return m !== null && Number(m[1]) < first; }",
            new object[] { $"#panel-line li.msg[data-message='{id}'] .msg-summary .msg-clock", first },
            new() { Timeout = Wait });
        Assert.Equal("1", await rp.InnerTextAsync("[data-count='line']"));
        Assert.Equal("Tanker track moves north", (await message.Locator(".msg-subject").InnerTextAsync()).Replace("● New: ", string.Empty, StringComparison.Ordinal));
        Assert.Equal("From BLUE operations centre to RED operations centre", await message.Locator(".msg-parties").InnerTextAsync());

        // The clock runs out: overdue in word, mark and colour; the service escalates to level 1, then 2.
        await Expect(clock).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^⚠ OVERDUE by \\d+s"), new() { Timeout = Wait });
        await Expect(message).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("\\boverdue\\b"));
        var level = message.Locator(".receipt[data-party='red'] .receipt-level");
        await Expect(level).ToHaveTextAsync("Escalation level 2 of 2", new() { Timeout = Wait });
        var banners = rp.Locator("#banners");
        // One banner per message: the second escalation's replaces the first's (the notices module raises them).
        await Expect(banners).ToContainTextAsync("“Tanker track moves north” from BLUE operations centre awaits your acknowledgement (escalation level 2).", new() { Timeout = Wait });
        await Expect(bp.Locator("#banners")).ToContainTextAsync("“Tanker track moves north” to RED operations centre is not acknowledged (escalation level 2).", new() { Timeout = Wait });

        // Red opens it with the keyboard (its body shows, as text) and acknowledges with a name and a note.
        await message.Locator(".msg-summary").FocusAsync();
        await rp.Keyboard.PressAsync("Enter");
        await Expect(message.Locator(".msg-body")).ToHaveTextAsync("Moving the tanker track 20 NM north at 0900Z.\nConfirm your CAP stays east.");
        await rp.FillAsync($"#ack-by-{id}", "Maj. Volkov");
        await rp.FillAsync($"#ack-note-{id}", "Understood; our CAP stays east of the river.");
        await redConsole.ScreenshotAsync("line-overdue");
        await message.Locator(".ack-form button[type='submit']").ClickAsync();
        await Expect(message.Locator(".ack-form")).ToHaveCountAsync(0, new() { Timeout = Wait });
        await Expect(rp.Locator("[data-count='line']")).ToHaveTextAsync(string.Empty, new() { Timeout = Wait });
        Assert.Equal("Maj. Volkov", await rp.EvaluateAsync<string>("sessionStorage.getItem('deconflict.line.officer')"));

        // Blue's sent list shows red's acknowledgement: by whom, when, and the note.
        var receipt = (await blue.Get($"v1/line/messages/{id}")).Body!["receipts"]!["red"]!;
        var acknowledgedAt = Time(receipt["acknowledged_at"]).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        await bp.ClickAsync("#line-show-sent");
        var blueReceipt = bp.Locator($"#panel-line li.msg[data-message='{id}'] .receipt[data-party='red']");
        await Expect(blueReceipt.Locator(".receipt-ack")).ToHaveTextAsync($"Acknowledged by Maj. Volkov at {acknowledgedAt}: “Understood; our CAP stays east of the river.”", new() { Timeout = Wait });
        await Expect(blueReceipt.Locator(".receipt-state")).ToHaveTextAsync("✔ acknowledged");
        await Expect(bp.Locator($"#panel-line li.msg[data-message='{id}'] .msg-summary .msg-clock")).ToHaveTextAsync("✔ All acknowledged");
        await bp.ClickAsync("#line-compose-toggle");
        await Expect(bp.Locator("#line-compose")).ToBeHiddenAsync();
        await Expect(bp.Locator("#panel-line ul[aria-label='Inbox']")).ToBeHiddenAsync();
        await blueConsole.ScreenshotAsync("line");

        blueConsole.AssertOnlyOwnOrigin();
        Assert.Empty(blueConsole.Errors);
        Assert.Empty(redConsole.Errors);
    }

    [Fact]
    public async Task A_refused_send_shows_the_problem_next_to_send_and_keeps_what_was_typed()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        await server.AddPartyAsync("red");
        await server.AddPartyAsync("watcher", role: "observer");
        await using var browser = await ConsoleBrowser.LaunchAsync();
        await using var console = await browser.OpenAsync(server, ConsoleBrowser.TokenOf(blue));
        var page = console.Page;

        await page.ClickAsync("#tab-line");
        await page.ClickAsync("#line-compose-toggle");
        // Observers receive no line messages, so they are not offered.
        Assert.Equal(0, await page.Locator("#line-to-watcher").CountAsync());
        Assert.True(await page.IsCheckedAsync("#line-to-red"));
        await page.FillAsync("#line-subject", "Tanker track");
        await page.FillAsync("#line-body", "Moving north at 0900Z.");
        await page.FillAsync("#line-ack-within", "2");
        await page.SelectOptionAsync("#line-ack-unit", "1");
        await page.ClickAsync("#line-send");

        var problem = page.Locator("#line-send-problem");
        await Expect(problem).ToHaveTextAsync("The request is not valid ack_within_s must be between 5 and 86400 seconds (the agreed bounds), not 2.", new() { Timeout = Wait });
        Assert.Equal("Tanker track", await page.InputValueAsync("#line-subject"));
        Assert.Equal("Moving north at 0900Z.", await page.InputValueAsync("#line-body"));
        Assert.Equal("2", await page.InputValueAsync("#line-ack-within"));

        // A blank subject is refused too, and nothing typed is lost.
        await page.FillAsync("#line-ack-within", "5");
        await page.SelectOptionAsync("#line-ack-unit", "60");
        await page.FillAsync("#line-subject", "   ");
        await page.ClickAsync("#line-send");
        await Expect(problem).ToHaveTextAsync("The request is not valid subject is required, at most 200 characters.", new() { Timeout = Wait });
        Assert.Equal("Moving north at 0900Z.", await page.InputValueAsync("#line-body"));

        await page.FillAsync("#line-subject", "Tanker track");
        await page.ClickAsync("#line-send");
        await Expect(page.Locator("#line-sent")).ToHaveTextAsync("Sent “Tanker track” to RED operations centre.", new() { Timeout = Wait });
        await Expect(problem).ToBeHiddenAsync();
        var sent = Assert.Single((await blue.Get("v1/line/messages?box=sent")).Body!["items"]!.AsArray())!;
        Assert.Equal(TimeSpan.FromMinutes(5), Time(sent["ack_due_at"]) - Time(sent["sent_at"]));

        // The panel with the form open and a sent message in view passes axe-core with no serious or critical violation.
        await page.ClickAsync("#line-show-sent");
        await page.Locator($"#panel-line li.msg[data-message='{sent["id"]!.GetValue<string>()}']").WaitForAsync(new() { Timeout = Wait });
        foreach (var theme in new[] { "dark", "light" })
        {
            if (theme == "light")
            {
                await page.ClickAsync("#theme");
                await Expect(page.Locator("html")).ToHaveAttributeAsync("data-theme", "light");
            }

            var axe = await page.Locator("#panel-line").RunAxe();
            var serious = axe.Violations.Where(v => v.Impact is "serious" or "critical").Select(v => $"{theme}: {v.Id}: {v.Help} ({string.Join(", ", v.Nodes.Select(n => n.Html))})").ToList();
            Assert.True(serious.Count == 0, string.Join("\n", serious));
        }
        Assert.DoesNotContain(console.Errors, e => !e.Contains("400", StringComparison.Ordinal));
    }

    private static DateTimeOffset Time(JsonNode? node) => DateTimeOffset.Parse(node!.GetValue<string>(), CultureInfo.InvariantCulture);

    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);
}
