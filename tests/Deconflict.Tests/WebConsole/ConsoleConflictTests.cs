using System.Globalization;
using System.Text.Json.Nodes;
using Deconflict.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Deconflict.Tests.WebConsole;

/// <summary>The conflicts list: what both sides see of a conflict, and acknowledging it from the console.</summary>
public sealed class ConsoleConflictTests
{
    private const int Timeout = 15_000;

    /// <summary>"YYYY-MM-DD HH:MM:SSZ", as the console writes a UTC time.</summary>
    private static string Utc(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static ILocator Row(ConsolePage console, string id) => console.Page.Locator($"#panel-conflicts li.conflict[data-id='{id}']");

    [Fact]
    public async Task A_conflict_appears_on_both_sides_and_an_acknowledgement_typed_in_one_console_shows_in_the_other()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");
        await using var browser = await ConsoleBrowser.LaunchAsync();
        await using var blueConsole = await browser.OpenAsync(server, ConsoleBrowser.TokenOf(blue));
        await using var redConsole = await browser.OpenAsync(server, ConsoleBrowser.TokenOf(red));

        // Blue 1,000-5,000 m over [T0, T0+2h); red 4,000-8,000 m over [T0+1h, T0+3h), squares overlapping.
        var blueOp = await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(35.5, 35.8)));
        Assert.Equal(201, blueOp.Status);
        var redOp = await red.Post("v1/operations", Bodies.Operation(Bodies.Square(35.6, 35.9, lowerM: 4000, upperM: 8000, start: Bodies.T0.AddHours(1), end: Bodies.T0.AddHours(3))));
        Assert.Equal(201, redOp.Status);
        var id = redOp.Body!["conflicts"]![0]!["id"]!.GetValue<string>();
        var blueOpId = blueOp.Body!["operation"]!["id"]!.GetValue<string>();
        var redOpId = redOp.Body["operation"]!["id"]!.GetValue<string>();

        foreach (var console in new[] { blueConsole, redConsole })
        {
            var row = Row(console, id);
            await row.WaitForAsync(new() { Timeout = Timeout });
            Assert.Equal("open", await row.GetAttributeAsync("data-state"));
            Assert.Equal("▲ Open", (await row.Locator(".conflict-state").InnerTextAsync()).Trim());
            Assert.Equal($"{Utc(Bodies.T0.AddHours(1))} – {Utc(Bodies.T0.AddHours(2))}", await row.Locator(".conflict-window").InnerTextAsync());
            Assert.Equal("4,000 m (13,123 ft) – 5,000 m (16,404 ft)", await row.Locator(".conflict-band").InnerTextAsync());
            Assert.Equal($"operation {redOpId}, RED operations centre, version 1", (await row.Locator(".conflict-side[data-party='red']").InnerTextAsync()).Replace("★ Yours: ", string.Empty, StringComparison.Ordinal));
            Assert.Equal($"operation {blueOpId}, BLUE operations centre, version 1", (await row.Locator(".conflict-side[data-party='blue']").InnerTextAsync()).Replace("★ Yours: ", string.Empty, StringComparison.Ordinal));
            Assert.Equal("RED operations centre: not yet", await row.Locator("[data-mark='acknowledged'] li[data-party='red']").InnerTextAsync());
            Assert.Equal("BLUE operations centre: not yet", await row.Locator("[data-mark='accepted'] li[data-party='blue']").InnerTextAsync());
            Assert.Equal("1", await console.Page.InnerTextAsync("[data-count='conflicts']"));
            Assert.True(await row.Locator("button[data-action='acknowledge']").IsVisibleAsync());
            Assert.True(await row.Locator("button[data-action='accept']").IsVisibleAsync());
        }

        // Each console marks its own side, and only its own.
        Assert.Equal(["blue"], await Row(blueConsole, id).Locator(".conflict-side.own").EvaluateAllAsync<string[]>("els => els.map(e => e.dataset.party)"));
        Assert.Equal(["red"], await Row(redConsole, id).Locator(".conflict-side.own").EvaluateAllAsync<string[]>("els => els.map(e => e.dataset.party)"));

        // Red's officer types a note, tabs to Acknowledge and presses Enter.
        var note = Row(redConsole, id).Locator("input[data-step='acknowledge']");
        await note.FillAsync("RED holds below 4,000 m until 10:30Z");
        await redConsole.Page.Keyboard.PressAsync("Tab");
        Assert.Equal("acknowledge", await redConsole.Page.EvaluateAsync<string>("document.activeElement.dataset.action"));
        var sent = await redConsole.Page.RunAndWaitForRequestAsync(() => redConsole.Page.Keyboard.PressAsync("Enter"), $"**/v1/conflicts/{id}/acknowledge");
        Assert.Equal("POST", sent.Method);
        Assert.Equal("{\"note\":\"RED holds below 4,000 m until 10:30Z\"}", sent.PostData);

        // Once the server took it, red's form for acknowledging is done with; accepting is still to do.
        await Row(redConsole, id).Locator("form[data-step='acknowledge']").WaitForAsync(new() { State = WaitForSelectorState.Hidden, Timeout = Timeout });
        Assert.True(await Row(redConsole, id).Locator("button[data-action='accept']").IsVisibleAsync());
        var acknowledged = (await red.Get($"v1/conflicts/{id}")).Body!["acknowledged_by"]!["red"]!.GetValue<DateTimeOffset>();

        // Blue's list shows red's acknowledgement at the time the server recorded, without a reload.
        var redMark = Row(blueConsole, id).Locator("[data-mark='acknowledged'] li[data-party='red'][data-done='true']");
        await redMark.WaitForAsync(new() { Timeout = Timeout });
        Assert.Equal($"RED operations centre: {Utc(acknowledged)}", await redMark.InnerTextAsync());
        Assert.Equal("BLUE operations centre: not yet", await Row(blueConsole, id).Locator("[data-mark='acknowledged'] li[data-party='blue']").InnerTextAsync());
        Assert.Equal("open", await Row(blueConsole, id).GetAttributeAsync("data-state"));

        await blueConsole.ScreenshotAsync("conflicts");

        // Once both sides accepted, the conflict is settled: folded away below, out of the count.
        Assert.Equal(200, (await blue.Post($"v1/conflicts/{id}/accept", new { note = "BLUE stays above 4,500 m" })).Status);
        Assert.Equal(200, (await red.Post($"v1/conflicts/{id}/accept", new { })).Status);
        var settled = blueConsole.Page.Locator($"#panel-conflicts .conflicts-settled li.conflict[data-id='{id}'][data-state='accepted']");
        await settled.WaitForAsync(new() { State = WaitForSelectorState.Attached, Timeout = Timeout });
        Assert.False(await settled.IsVisibleAsync());
        Assert.Equal("0", await blueConsole.Page.InnerTextAsync("[data-count='conflicts']"));
        Assert.Equal("Accepted and resolved (1)", await blueConsole.Page.InnerTextAsync(".conflicts-settled > summary"));
        await blueConsole.Page.ClickAsync(".conflicts-settled > summary");
        Assert.Equal("✔ Accepted", (await settled.Locator(".conflict-state").InnerTextAsync()).Trim());
        Assert.Equal(0, await settled.Locator("button[data-action]:visible").CountAsync());
        Assert.Empty(blueConsole.Errors);
        Assert.Empty(redConsole.Errors);
        blueConsole.AssertOnlyOwnOrigin();
    }

    [Fact]
    public async Task A_refused_acknowledgement_shows_the_problem_beside_the_action_and_keeps_the_typed_note()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");
        var blueOp = await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(35.5, 35.8)));
        var redOp = await red.Post("v1/operations", Bodies.Operation(Bodies.Square(35.55, 35.85)));
        var id = redOp.Body!["conflicts"]![0]!["id"]!.GetValue<string>();
        var blueOpId = blueOp.Body!["operation"]!["id"]!.GetValue<string>();
        await using var browser = await ConsoleBrowser.LaunchAsync();
        await using var redConsole = await browser.OpenAsync(server, ConsoleBrowser.TokenOf(red));
        var row = Row(redConsole, id);
        await row.WaitForAsync(new() { Timeout = Timeout });

        // While red's acknowledgement is on its way, blue cancels its operation: the conflict resolves
        // in the meantime, and the server refuses the acknowledgement.
        await redConsole.Page.RouteAsync("**/v1/conflicts/*/acknowledge", async route =>
        {
            var cancelled = await blue.Send(HttpMethod.Delete, $"v1/operations/{blueOpId}", ifMatch: "\"1\"");
            Assert.Equal(200, cancelled.Status);
            await route.ContinueAsync();
        });
        var note = row.Locator("input[data-step='acknowledge']");
        await note.FillAsync("RED climbs to 6,000 m");
        await row.Locator("button[data-action='acknowledge']").ClickAsync();

        var problem = row.Locator("form[data-step='acknowledge'] .problem");
        await problem.WaitForAsync(new() { Timeout = Timeout });
        Assert.Equal($"Not possible in the object's state Conflict '{id}' is resolved: there is nothing left to acknowledge.", await problem.InnerTextAsync());
        Assert.Equal("RED climbs to 6,000 m", await note.InputValueAsync());

        // The stream brings the resolution; the refused action stays in view with its note, and
        // the conflict says it is resolved.
        await redConsole.Page.Locator($"#panel-conflicts li.conflict[data-id='{id}'][data-state='resolved']").WaitForAsync(new() { Timeout = Timeout });
        Assert.Equal("○ Resolved", (await row.Locator(".conflict-state").InnerTextAsync()).Trim());
        Assert.True(await problem.IsVisibleAsync());
        Assert.Equal("RED climbs to 6,000 m", await note.InputValueAsync());
        Assert.Equal("0", await redConsole.Page.InnerTextAsync("[data-count='conflicts']"));
        Assert.DoesNotContain(redConsole.Errors, e => !e.Contains("409", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_admin_console_sees_the_conflict_without_any_action_and_shows_its_details()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");
        await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(35.5, 35.8)));
        var redOp = await red.Post("v1/operations", Bodies.Operation(Bodies.Square(35.55, 35.85)));
        var id = redOp.Body!["conflicts"]![0]!["id"]!.GetValue<string>();
        await using var browser = await ConsoleBrowser.LaunchAsync();
        await using var admin = await browser.OpenAsync(server, ConsoleBrowser.TokenOf(server.Admin));

        var row = Row(admin, id);
        await row.WaitForAsync(new() { Timeout = Timeout });
        Assert.Equal(0, await row.Locator("button[data-action]:visible").CountAsync());
        Assert.Equal(0, await row.Locator(".conflict-side.own").CountAsync());

        // Selecting it shows its details; Escape closes them.
        await row.Locator(".conflict-select").ClickAsync();
        await admin.Page.Locator("#details[data-kind='conflict']").WaitForAsync(new() { Timeout = Timeout });
        Assert.Equal($"Conflict {id}", await admin.Page.InnerTextAsync("#details h2"));
        Assert.Equal("true", await row.Locator(".conflict-select").GetAttributeAsync("aria-pressed"));
        await admin.Page.Keyboard.PressAsync("Escape");
        await admin.Page.Locator("#details h2").WaitForAsync(new() { State = WaitForSelectorState.Detached, Timeout = Timeout });
        Assert.Empty(admin.Errors);
    }

    [Fact]
    public async Task The_details_of_a_side_show_each_volume_in_metres_and_feet_and_the_owners_details_as_text()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");
        var body = Bodies.Operation(Bodies.Square(35.5, 35.8));
        body["details"] = new JsonObject { ["callsign"] = "<b>VIPER 1</b>", ["crew"] = new JsonObject { ["pilot"] = "Capt. Ayla" } };
        var blueOp = await blue.Post("v1/operations", body);
        Assert.Equal(201, blueOp.Status);
        var blueOpId = blueOp.Body!["operation"]!["id"]!.GetValue<string>();
        var redOp = await red.Post("v1/operations", Bodies.Operation(Bodies.Square(35.55, 35.85)));
        var id = redOp.Body!["conflicts"]![0]!["id"]!.GetValue<string>();
        await using var browser = await ConsoleBrowser.LaunchAsync();
        await using var console = await browser.OpenAsync(server, ConsoleBrowser.TokenOf(blue));

        await Row(console, id).Locator(".conflict-select").ClickAsync();
        var details = console.Page.Locator("#details");
        await details.Locator($"button[data-ref='{blueOpId}']").ClickAsync();
        await console.Page.Locator($"#details[data-kind='operation'][data-id='{blueOpId}'] h2").WaitForAsync(new() { Timeout = Timeout });

        Assert.Equal($"Operation {blueOpId}", await details.Locator("h2").InnerTextAsync());
        var volume = details.Locator(".details-volumes li[data-volume='0']");
        Assert.Equal("1,000 m (3,281 ft) W84 – 5,000 m (16,404 ft) W84", await volume.Locator("dt:text-is('Altitudes') + dd").InnerTextAsync());
        Assert.Equal($"[{Utc(Bodies.T0)}, {Utc(Bodies.T0.AddHours(2))})", await volume.Locator("dt:text-is('Time (UTC)') + dd").InnerTextAsync());

        // The owner's details: keys and values as text, nested as lists; nothing parsed as HTML.
        var own = details.Locator(".details-own").First;
        Assert.Equal("<b>VIPER 1</b>", await own.Locator("dt:text-is('callsign') + dd").InnerTextAsync());
        Assert.Equal("Capt. Ayla", await own.Locator("dt:text-is('pilot') + dd").InnerTextAsync());
        Assert.Equal(0, await details.Locator("b").CountAsync());
        await console.Page.ClickAsync("#theme");
        await console.ScreenshotAsync("details-light");

        // Close clears the selection.
        await details.Locator(".details-close").ClickAsync();
        await details.Locator("h2").WaitForAsync(new() { State = WaitForSelectorState.Detached, Timeout = Timeout });
        Assert.Empty(console.Errors);
    }
}
