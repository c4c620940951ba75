using System.Text.Json.Nodes;
using Deconflict.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Deconflict.Tests.Cli;

/// <summary>
/// `op submit|check|update --start-at`: a plan kept as a file is declared for another time, every
/// window moved by one offset (the earliest to the time given), keeping its length and its offset
/// from the others. Expected times worked out by hand from the files below.
/// </summary>
public sealed class StartAtCliTests
{
    /// <summary>The server's clock in these tests: 2030-01-01T08:00:00Z.</summary>
    private static readonly DateTimeOffset ServerNow = new(2030, 1, 1, 8, 0, 0, TimeSpan.Zero);

    /// <summary>Two volumes: 2030-01-10 09:00–11:00 and 10:00–12:30.</summary>
    private static string TwoWindows() => Bodies.Operation(
        Bodies.Square(35.9, 39.0, start: new(2030, 1, 10, 9, 0, 0, TimeSpan.Zero), end: new(2030, 1, 10, 11, 0, 0, TimeSpan.Zero)),
        Bodies.Square(36.2, 39.0, start: new(2030, 1, 10, 10, 0, 0, TimeSpan.Zero), end: new(2030, 1, 10, 12, 30, 0, TimeSpan.Zero))).ToJsonString();

    private static async Task<string> File(TestServer server, string text)
    {
        var path = Path.Combine(server.Directory, "plan.json");
        await System.IO.File.WriteAllTextAsync(path, text);
        return path;
    }

    private static string[] Windows(JsonNode operation) =>
        [.. operation["volumes"]!.AsArray().Select(v => $"{v!["time_start"]!["value"]} {v["time_end"]!["value"]}")];

    [Fact]
    public async Task An_absolute_start_moves_every_window_by_one_offset()
    {
        await using var server = await TestServer.StartAsync(time: new FakeTimeProvider(ServerNow));
        var blue = await CliOutput.Party(server, "blue");

        var submit = await CliOutput.Run(server, blue, "op", "submit", await File(server, TwoWindows()), "--start-at", "2030-01-02T06:00:00Z", "--json");
        Assert.True(submit.Exit == 0, submit.Err);
        var id = JsonNode.Parse(submit.Out)!["operation"]!["id"]!.GetValue<string>();
        // 09:00 -> 06:00 the day before is 8 days 3 hours earlier, for both volumes.
        Assert.Equal(["2030-01-02T06:00:00Z 2030-01-02T08:00:00Z", "2030-01-02T07:00:00Z 2030-01-02T09:30:00Z"], Windows((await server.Client(blue).Get($"v1/operations/{id}")).Body!));
    }

    [Fact]
    public async Task A_start_from_now_is_counted_on_the_servers_clock()
    {
        await using var server = await TestServer.StartAsync(time: new FakeTimeProvider(ServerNow));
        var blue = await CliOutput.Party(server, "blue");

        var submit = await CliOutput.Run(server, blue, "op", "submit", await File(server, TwoWindows()), "--start-at", "+1h30m", "--json");
        Assert.True(submit.Exit == 0, submit.Err);
        var id = JsonNode.Parse(submit.Out)!["operation"]!["id"]!.GetValue<string>();
        // The server's 08:00 plus 1 h 30 min; the local clock (2026 or later) plays no part.
        Assert.Equal(["2030-01-01T09:30:00Z 2030-01-01T11:30:00Z", "2030-01-01T10:30:00Z 2030-01-01T13:00:00Z"], Windows((await server.Client(blue).Get($"v1/operations/{id}")).Body!));

        var check = await CliOutput.Run(server, blue, "op", "check", await File(server, TwoWindows()), "--start-at", "+1h", "--json");
        Assert.True(check.Exit == 0, check.Err);
        // One party's own declarations never conflict, and a trial stores nothing.
        Assert.Empty(JsonNode.Parse(check.Out)!["conflicts"]!.AsArray());
        Assert.Single((await server.Client(blue).Get("v1/operations")).Body!["items"]!.AsArray());
    }

    [Theory]
    [InlineData("tomorrow")]
    [InlineData("+90")]
    [InlineData("2030-01-02T06:00:00")]
    public async Task A_malformed_start_is_a_usage_mistake_and_sends_nothing(string given)
    {
        await using var server = await TestServer.StartAsync(time: new FakeTimeProvider(ServerNow));
        var blue = await CliOutput.Party(server, "blue");

        var submit = await CliOutput.Run(server, blue, "op", "submit", await File(server, TwoWindows()), "--start-at", given);
        CliOutput.PlainError(submit, 2, $"--start-at needs an RFC 3339 time (2027-06-01T09:00:00Z) or a time from now with its unit (+30m, +2h); '{given}' is neither.");
        Assert.Empty((await server.Client(blue).Get("v1/operations")).Body!["items"]!.AsArray());
    }
}
