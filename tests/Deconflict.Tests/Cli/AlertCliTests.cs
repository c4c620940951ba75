using System.Diagnostics;
using System.Text.Json.Nodes;
using Deconflict.Alerts;
using Deconflict.Service;
using Deconflict.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Deconflict.Tests.Cli;

/// <summary>`deconflict alerts`, `alerts --follow` and `alerts ack`, as the real executable against a real server.</summary>
public sealed class AlertCliTests
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_duty_officer_follows_lists_and_acknowledges_alerts()
    {
        var clock = new FakeTimeProvider(T0);
        await using var server = await TestServer.StartAsync(new DeconflictOptions { Tactical = new TacticalOptions { CycleInterval = TimeSpan.FromHours(1), MinCycleGap = TimeSpan.FromHours(1) } }, clock);
        var (blue, blueToken) = await Party(server, "blue");
        var (red, _) = await Party(server, "red");

        // Follow from before the alert exists: once it says it follows, the raise must appear on its screen.
        using var follower = Start(server, blueToken, "alerts", "--follow");
        Assert.Equal("No alerts.", await follower.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal("Following alerts (Ctrl+C to stop)...", await follower.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal(202, (await blue.Post("v1/tracks", Track("BLUE-LEAD-1", 37.9, 200, "VIPER11"))).Status);
        Assert.Equal(202, (await red.Post("v1/tracks", Track("RED-FLANKER-7", 38.1, -200, "GOLDEN5"))).Status);
        await server.Get<TacticalService>().RunCycleAsync();
        var raised = await follower.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        follower.Kill(entireProcessTree: true);
        Assert.NotNull(raised);
        Assert.StartsWith("RAISED: WARNING alert-", raised, StringComparison.Ordinal);
        // 0.2 degrees of longitude at 35 N is 18.25 km; closing at 400 m/s the 3 NM circle is entered after 31.7 s.
        Assert.Contains(": your BLUE-LEAD-1 (VIPER11) at 35.0000,37.9000 30000 ft, track 090 at 389 kt, 0 ft/min and a red aircraft at 35.0000,38.1000 30000 ft, track 270 at 389 kt, 0 ft/min; loss of separation in 32 s, closest 0.0 NM / 0 ft at 2030-01-01T09:00:45.6", raised, StringComparison.Ordinal);
        Assert.DoesNotContain("RED-FLANKER-7", raised, StringComparison.Ordinal);
        Assert.DoesNotContain("GOLDEN5", raised, StringComparison.Ordinal);

        var listed = await CliTests.Run(server, blueToken, "alerts", "--state", "active", "--json");
        Assert.Equal(0, listed.Exit);
        var id = Assert.Single(JsonNode.Parse(listed.Out)!["items"]!.AsArray())!["id"]!.GetValue<string>();
        var ack = await CliTests.Run(server, blueToken, "alerts", "ack", id);
        Assert.Equal($"Alert {id} acknowledged; acknowledged by blue.", ack.Out.Trim());
        var text = await CliTests.Run(server, blueToken, "alerts");
        Assert.Contains("; acknowledged by blue", text.Out, StringComparison.Ordinal);

        var unknown = await CliTests.Run(server, blueToken, "alerts", "ack", "alert-none");
        Assert.Equal(1, unknown.Exit);
        Assert.Contains("404 not-found", unknown.Err, StringComparison.Ordinal);
        var badState = await CliTests.Run(server, blueToken, "alerts", "--state", "open");
        Assert.Equal(2, badState.Exit);
        LineCliTests.AssertPlainError(badState.Err, "--state must be active or cleared, not 'open'.");
    }

    [Fact]
    public async Task Alerts_list_show_and_follow_count_down_on_the_server_clock_and_a_cleared_alert_reads_as_a_past_prediction()
    {
        var clock = new FakeTimeProvider(T0);
        await using var server = await TestServer.StartAsync(new DeconflictOptions { Tactical = new TacticalOptions { CycleInterval = TimeSpan.FromHours(1), MinCycleGap = TimeSpan.FromHours(1) } }, clock);
        var (blue, blueToken) = await Party(server, "blue");
        var (red, _) = await Party(server, "red");
        Assert.Equal(202, (await blue.Post("v1/tracks", Track("BLUE-LEAD-1", 37.9, 200, "VIPER11"))).Status);
        Assert.Equal(202, (await red.Post("v1/tracks", Track("RED-FLANKER-7", 38.1, -200, "GOLDEN5"))).Status);
        await server.Get<TacticalService>().RunCycleAsync();
        using var follower = CliFollower.Start(server.BaseAddress, blueToken, "alerts", "follow");
        await follower.LineAsync(l => l == "Following alerts (Ctrl+C to stop)...");

        // Ten seconds after the prediction, the 31.7 s to loss are 21.7 s on the server's clock.
        clock.Advance(TimeSpan.FromSeconds(10));
        var list = await CliTests.Run(server, blueToken, "alerts", "list");
        Assert.Equal(0, list.Exit);
        Assert.Equal(list.Out, (await CliTests.Run(server, blueToken, "alerts")).Out);
        var line = Assert.Single(list.Out.TrimEnd().Split(Environment.NewLine));
        var id = line.Split(' ')[1].TrimEnd(':');
        var expected = $"WARNING {id}: your BLUE-LEAD-1 (VIPER11) at 35.0000,37.9000 30000 ft, track 090 at 389 kt, 0 ft/min and a red aircraft at 35.0000,38.1000 30000 ft, track 270 at 389 kt, 0 ft/min; loss of separation in 22 s, closest 0.0 NM / 0 ft at 2030-01-01T09:00:45.6";
        Assert.Equal(expected, line[..Math.Min(line.Length, expected.Length)]);
        Assert.True(JsonNode.DeepEquals((await blue.Get("v1/alerts")).Body, JsonNode.Parse((await CliTests.Run(server, blueToken, "alerts", "list", "--json")).Out)));

        var show = await CliTests.Run(server, blueToken, "alerts", "show", id);
        Assert.Equal(0, show.Exit);
        var shown = show.Out.TrimEnd().Split(Environment.NewLine);
        Assert.Equal(line, shown[0]);
        Assert.Equal("raised 2030-01-01T09:00:00Z, last predicted 2030-01-01T09:00:00Z, updated 2030-01-01T09:00:00Z", shown[1]);
        Assert.Equal("not acknowledged", shown[2]);
        Assert.True(JsonNode.DeepEquals((await blue.Get($"v1/alerts/{id}")).Body, JsonNode.Parse((await CliTests.Run(server, blueToken, "alerts", "show", id, "--json")).Out)));

        // The aircraft turn away from each other and the alert clears: it is shown as the prediction it was, never as a live countdown.
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(202, (await blue.Post("v1/tracks", Track("BLUE-LEAD-1", 37.9, -200, "VIPER11", "2030-01-01T09:00:20Z"))).Status);
        Assert.Equal(202, (await red.Post("v1/tracks", Track("RED-FLANKER-7", 38.1, 200, "GOLDEN5", "2030-01-01T09:00:20Z"))).Status);
        for (var i = 0; i < 5 && (await blue.Get($"v1/alerts/{id}")).Body!["state"]!.GetValue<string>() == "active"; i++)
        {
            await server.Get<TacticalService>().RunCycleAsync();
        }

        var cleared = Assert.Single((await CliTests.Run(server, blueToken, "alerts", "list", "--state", "cleared")).Out.TrimEnd().Split(Environment.NewLine));
        Assert.StartsWith($"WARNING {id} (cleared 2030-01-01T09:00:20Z", cleared, StringComparison.Ordinal);
        Assert.Contains("; was predicted at 2030-01-01T09:00:00Z: loss of separation in 32 s, closest 0.0 NM / 0 ft at 2030-01-01T09:00:45.6", cleared, StringComparison.Ordinal);
        Assert.DoesNotContain("; loss of separation in", cleared, StringComparison.Ordinal);
        Assert.Equal("No alerts.", (await CliTests.Run(server, blueToken, "alerts", "list", "--state", "active")).Out.Trim());
        var followed = await follower.LineAsync(l => l.StartsWith("CLEARED: ", StringComparison.Ordinal));
        Assert.Equal("CLEARED: " + cleared, followed);
        Assert.Equal(0, await follower.InterruptAsync());
        Assert.Equal(line.Replace("in 22 s", "in 32 s", StringComparison.Ordinal), follower.Out[0]);

        var unknown = await CliTests.Run(server, blueToken, "alerts", "show", "alert-none");
        Assert.Equal(1, unknown.Exit);
        LineCliTests.AssertPlainError(unknown.Err, "404 not-found: No alert 'alert-none' that you may see.");
        var badState = await CliTests.Run(server, blueToken, "alerts", "list", "--state", "open");
        Assert.Equal(2, badState.Exit);
        LineCliTests.AssertPlainError(badState.Err, "--state must be active or cleared, not 'open'.");
    }

    private static async Task<(HttpClient Client, string Token)> Party(TestServer server, string id)
    {
        var created = await server.Admin.Post("v1/parties", new { id, name = id });
        var token = created.Body!["token"]!.GetValue<string>();
        return (server.Client(token), token);
    }

    private static JsonObject Track(string id, double lng, double eastMps, string callsign, string time = "2030-01-01T09:00:00Z") => new()
    {
        ["tracks"] = new JsonArray(new JsonObject
        {
            ["id"] = id,
            ["time"] = time,
            ["lat"] = 35.0,
            ["lng"] = lng,
            ["altitude_m"] = 9144.0,
            ["callsign"] = callsign,
            ["velocity"] = new JsonObject { ["east_mps"] = eastMps, ["north_mps"] = 0.0, ["up_mps"] = 0.0 },
        }),
    };

    private static Process Start(TestServer server, string token, params string[] args) => Process.Start(CliTests.Command(server.BaseAddress, token, args))!;
}
