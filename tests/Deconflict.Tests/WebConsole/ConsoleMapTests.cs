using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Deconflict.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Deconflict.Tests.WebConsole;

/// <summary>
/// The console's map in a real browser: what one party declares appears on the other's map as an
/// outline, with nothing of its private details anywhere that party's browser holds; the map shows
/// only the volumes in force at the time it shows. A canvas has no DOM to query, so the tests read
/// what the map drew from its test hook (<c>window.__deconflictMap.rendered()</c>).
/// </summary>
public sealed class ConsoleMapTests
{
    /// <summary>
    /// Every page script here is a function, never an expression: Playwright calls a function, but
    /// runs an expression through the page's own eval, which the console's CSP (script-src 'self')
    /// refuses with "EvalError ... unsafe-eval" whenever a wait has to poll.
    /// </summary>
    private const string FindRendered = "id => (window.__deconflictMap ? window.__deconflictMap.rendered() : []).find(e => e.id === id) || null";

    [Fact]
    public async Task An_operation_declared_by_one_party_appears_on_the_other_map_as_an_outline_within_a_second_with_none_of_its_details()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");
        await using var browser = await ConsoleBrowser.LaunchAsync();
        await using var blueConsole = await browser.OpenAsync(server, ConsoleBrowser.TokenOf(blue));
        await using var redConsole = await browser.OpenAsync(server, ConsoleBrowser.TokenOf(red));

        // Every response body red's browser reads, except the event stream (which never ends; its
        // payloads are checked below through red's own stream from the API).
        var bodies = new List<Task<string>>();
        redConsole.Context.Response += (_, response) =>
        {
            if (!response.Url.Contains("/v1/events", StringComparison.Ordinal))
            {
                lock (bodies)
                {
                    bodies.Add(BodyOf(response));
                }
            }
        };
        // Loaded again with the recorder on, so the lists, the scripts and the basemap count too.
        await redConsole.Page.ReloadAsync();
        await redConsole.WaitReadyAsync();
        await using var redStream = await SseClient.ConnectAsync(red);

        var marker = "MARKER-" + Guid.NewGuid().ToString("N");
        var now = DateTimeOffset.UtcNow;
        var body = Bodies.Operation(Bodies.Square(35.4, 35.9, start: now.AddMinutes(-10), end: now.AddHours(2)));
        body["details"] = new JsonObject { ["name"] = "Sortie " + marker, ["crew"] = "two, " + marker };
        var created = await blue.Post("v1/operations", body);
        var clock = Stopwatch.StartNew();
        Assert.Equal(201, created.Status);
        var id = created.Body!["operation"]!["id"]!.GetValue<string>();

        // Within 1 s of the API's answer, red's map draws it.
        await redConsole.Page.WaitForFunctionAsync(FindRendered, id, new() { Timeout = 1_000 });
        clock.Stop();
        var onRed = await Rendered(redConsole, id);
        Assert.Equal("blue", onRed.GetProperty("party").GetString());
        Assert.False(onRed.GetProperty("own").GetBoolean());
        Assert.Equal("operation", onRed.GetProperty("style").GetString());
        Assert.False(onRed.GetProperty("filled").GetBoolean());

        // On blue's own map the same operation is filled and carries its name.
        await blueConsole.Page.WaitForFunctionAsync(FindRendered, id, new() { Timeout = 10_000 });
        var onBlue = await Rendered(blueConsole, id);
        Assert.True(onBlue.GetProperty("own").GetBoolean());
        Assert.Equal("own-operation", onBlue.GetProperty("style").GetString());
        Assert.True(onBlue.GetProperty("filled").GetBoolean());

        // Blue selects it on the map: the popup shows its altitude band in metres and feet, its
        // time window and its details, so the marker is in blue's DOM (the check below can see it).
        await ClickAtAsync(blueConsole, 35.45, 35.95);
        var popup = blueConsole.Page.Locator(".map-selection-popup");
        await popup.WaitForAsync(new() { Timeout = 10_000 });
        var popupText = await popup.InnerTextAsync();
        Assert.Contains("Altitude 1000 m (3281 ft) to 5000 m (16404 ft)", popupText, StringComparison.Ordinal);
        Assert.Contains($"In force {Minute(now.AddMinutes(-10))} to {Minute(now.AddHours(2))}", popupText, StringComparison.Ordinal);
        Assert.Contains(marker, await blueConsole.Page.EvaluateAsync<string>("document.documentElement.outerHTML"), StringComparison.Ordinal);

        // Red selects it: the popup has the band and window, and no details.
        await ClickAtAsync(redConsole, 35.45, 35.95);
        var redPopup = redConsole.Page.Locator(".map-selection-popup");
        await redPopup.WaitForAsync(new() { Timeout = 10_000 });
        Assert.Contains("Altitude 1000 m (3281 ft) to 5000 m (16404 ft)", await redPopup.InnerTextAsync(), StringComparison.Ordinal);
        await redConsole.ScreenshotAsync("map");

        Assert.DoesNotContain(marker, await redConsole.Page.EvaluateAsync<string>("document.documentElement.outerHTML"), StringComparison.Ordinal);
        string[] read;
        lock (bodies)
        {
            read = [.. bodies.Select(t => t.GetAwaiter().GetResult())];
        }

        Assert.NotEmpty(read);
        Assert.All(read, text => Assert.DoesNotContain(marker, text, StringComparison.Ordinal));

        // What the stream sends red about it has no details either.
        while (true)
        {
            var e = await redStream.NextAsync();
            if (e.Data.ToJsonString().Contains(id, StringComparison.Ordinal))
            {
                Assert.DoesNotContain(marker, e.Data.ToJsonString(), StringComparison.Ordinal);
                break;
            }
        }

        await blueConsole.ScreenshotAsync("map-own");
        Assert.Empty(redConsole.Errors);
        redConsole.AssertOnlyOwnOrigin();
    }

    [Fact]
    public async Task The_map_draws_only_the_volumes_in_force_at_the_time_it_shows_and_follows_now_again_on_request()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");
        await using var browser = await ConsoleBrowser.LaunchAsync();
        await using var console = await browser.OpenAsync(server, ConsoleBrowser.TokenOf(red));

        // On whole minutes, so a time typed into the control falls exactly on a window's edge.
        var now = DateTimeOffset.UtcNow;
        var t = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, TimeSpan.Zero).AddMinutes(1);
        var later = await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(35.2, 35.7, start: t.AddHours(3), end: t.AddHours(5))));
        var current = await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(35.5, 36.1, start: t.AddMinutes(-20), end: t.AddHours(1))));
        var zone = await red.Post("v1/zones", Bodies.Zone("exclusive", "Range R1", Bodies.Circle(35.0, 36.2, 15_000, start: t.AddMinutes(-20), end: t.AddHours(1))));
        Assert.Equal(201, later.Status);
        Assert.Equal(201, current.Status);
        Assert.Equal(201, zone.Status);
        var laterId = later.Body!["operation"]!["id"]!.GetValue<string>();
        var currentId = current.Body!["operation"]!["id"]!.GetValue<string>();
        var zoneId = zone.Body!["zone"]!["id"]!.GetValue<string>();

        // Following now (the default): the current operation and the zone, not the later one.
        await console.Page.WaitForFunctionAsync(FindRendered, zoneId, new() { Timeout = 10_000 });
        await console.Page.WaitForFunctionAsync(FindRendered, currentId, new() { Timeout = 10_000 });
        Assert.Equal(JsonValueKind.Null, (await console.Page.EvaluateAsync<JsonElement>(FindRendered, laterId)).ValueKind);
        Assert.True(await console.Page.IsCheckedAsync("#map-follow-now"));
        Assert.Equal("true", await console.Page.GetAttributeAsync("#time-control", "data-following"));
        var onMap = await Rendered(console, zoneId);
        Assert.Equal("exclusive", onMap.GetProperty("style").GetString());
        Assert.True(onMap.GetProperty("own").GetBoolean());

        // At the current operation's end (windows are half-open): nothing of blue's is in force.
        await ShowTimeAsync(console, t.AddHours(1));
        await console.Page.WaitForFunctionAsync($"id => !({FindRendered})(id)", currentId, new() { Timeout = 10_000 });
        Assert.Equal(JsonValueKind.Null, (await console.Page.EvaluateAsync<JsonElement>(FindRendered, laterId)).ValueKind);
        Assert.False(await console.Page.IsCheckedAsync("#map-follow-now"));
        Assert.Equal("false", await console.Page.GetAttributeAsync("#time-control", "data-following"));

        // At the later operation's start it is drawn.
        await ShowTimeAsync(console, t.AddHours(3));
        await console.Page.WaitForFunctionAsync(FindRendered, laterId, new() { Timeout = 10_000 });
        Assert.Equal(JsonValueKind.Null, (await console.Page.EvaluateAsync<JsonElement>(FindRendered, currentId)).ValueKind);
        Assert.Equal(JsonValueKind.Null, (await console.Page.EvaluateAsync<JsonElement>(FindRendered, zoneId)).ValueKind);
        Assert.Equal($"Map shows {Minute(t.AddHours(3))}", (await console.Page.InnerTextAsync("#map-time-shown")).Trim());
        await console.ScreenshotAsync("map-later");

        // Follow now again: back to what is in force now.
        await console.Page.CheckAsync("#map-follow-now");
        await console.Page.WaitForFunctionAsync(FindRendered, currentId, new() { Timeout = 10_000 });
        Assert.Equal(JsonValueKind.Null, (await console.Page.EvaluateAsync<JsonElement>(FindRendered, laterId)).ValueKind);
        Assert.Equal("true", await console.Page.GetAttributeAsync("#time-control", "data-following"));
        Assert.True(await FollowsNowAsync(console.Page));
        Assert.Empty(console.Errors);
    }

    /// <summary>Whether the map's time is within a minute of the browser's clock.</summary>
    private static Task<bool> FollowsNowAsync(IPage page) =>
        page.EvaluateAsync<bool>("() => Math.abs(window.__deconflictMap.time() - Date.now()) < 60000");

    private static async Task<string> BodyOf(IResponse response)
    {
        try
        {
            return await response.TextAsync();
        }
        catch (PlaywrightException)
        {
            // A redirect or a response without a body (e.g. 204) has no text to read.
            return string.Empty;
        }
    }

    private static async Task<JsonElement> Rendered(ConsolePage console, string id)
    {
        var entry = await console.Page.EvaluateAsync<JsonElement>(FindRendered, id);
        Assert.Equal(JsonValueKind.Object, entry.ValueKind);
        return entry;
    }

    /// <summary>Clicks the map at a position (through Leaflet's projection of it to the page).</summary>
    private static async Task ClickAtAsync(ConsolePage console, double lat, double lng)
    {
        var point = await console.Page.EvaluateAsync<double[]>(
            "([lat, lng]) => { const m = window.__deconflictMap.map; const p = m.latLngToContainerPoint([lat, lng]); const r = m.getContainer().getBoundingClientRect(); return [p.x + r.left, p.y + r.top]; }",
            new[] { lat, lng });
        await console.Page.Mouse.ClickAsync((float)point[0], (float)point[1]);
    }

    private static async Task ShowTimeAsync(ConsolePage console, DateTimeOffset time) =>
        await console.Page.FillAsync("#map-time-input", time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture));

    /// <summary>As the console writes a time to the minute: "2026-12-01 19:55Z".</summary>
    private static string Minute(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm'Z'", CultureInfo.InvariantCulture);
}
