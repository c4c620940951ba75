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
        Assert.Contains("400 invalid-parameter", badState.Err, StringComparison.Ordinal);
    }

    private static async Task<(HttpClient Client, string Token)> Party(TestServer server, string id)
    {
        var created = await server.Admin.Post("v1/parties", new { id, name = id });
        var token = created.Body!["token"]!.GetValue<string>();
        return (server.Client(token), token);
    }

    private static JsonObject Track(string id, double lng, double eastMps, string callsign) => new()
    {
        ["tracks"] = new JsonArray(new JsonObject
        {
            ["id"] = id,
            ["time"] = "2030-01-01T09:00:00Z",
            ["lat"] = 35.0,
            ["lng"] = lng,
            ["altitude_m"] = 9144.0,
            ["callsign"] = callsign,
            ["velocity"] = new JsonObject { ["east_mps"] = eastMps, ["north_mps"] = 0.0, ["up_mps"] = 0.0 },
        }),
    };

    private static Process Start(TestServer server, string token, params string[] args) => Process.Start(CliTests.Command(server.BaseAddress, token, args))!;
}
