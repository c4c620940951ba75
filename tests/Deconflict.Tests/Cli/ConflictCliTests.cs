using System.Globalization;
using System.Text.Json.Nodes;
using Deconflict.Tests.Infrastructure;

namespace Deconflict.Tests.Cli;

/// <summary>
/// `deconflict conflicts ...`: each side's names where the caller may know them (its own
/// operations' details, any zone's name), never the other side's details; the overlap; who
/// acknowledged and accepted, and when.
/// </summary>
public sealed class ConflictCliTests
{
    private static string Cap(string name) => $$"""
        { "type": "Feature",
          "geometry": { "type": "Polygon", "coordinates": [[[38.9, 35.9], [39.1, 35.9], [39.1, 36.05], [38.9, 36.05], [38.9, 35.9]]] },
          "properties": {
            "altitude_lower": { "value": 10000, "reference": "W84", "units": "FT" },
            "altitude_upper": { "value": 25000, "reference": "W84", "units": "FT" },
            "time_start": "{{Bodies.Time(Bodies.T0)}}", "time_end": "{{Bodies.Time(Bodies.T0.AddHours(2))}}",
            "details": { "name": "{{name}}" } } }
        """;

    private static string Day => Bodies.T0.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Short(JsonNode? time) =>
        DateTimeOffset.Parse(time!.GetValue<string>(), CultureInfo.InvariantCulture).UtcDateTime.ToString("MM-dd HH:mm", CultureInfo.InvariantCulture);

    private static string Full(JsonNode? time) =>
        DateTimeOffset.Parse(time!.GetValue<string>(), CultureInfo.InvariantCulture).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>Blue declares "Raqqa CAP", then red "Latakia sweep" over it: one conflict, red's operation its side A.</summary>
    private static async Task<(TestServer Server, string Blue, string Red, string BlueOp, string RedOp, string Conflict)> TwoOperations()
    {
        var server = await TestServer.StartAsync();
        var blue = await CliOutput.Party(server, "blue");
        var red = await CliOutput.Party(server, "red");
        var blueFile = Path.Combine(server.Directory, "blue.geojson");
        var redFile = Path.Combine(server.Directory, "red.geojson");
        await File.WriteAllTextAsync(blueFile, Cap("Raqqa CAP"));
        await File.WriteAllTextAsync(redFile, Cap("Latakia sweep"));
        var blueOp = JsonNode.Parse((await CliOutput.Run(server, blue, "op", "submit", blueFile, "--json")).Out)!["operation"]!["id"]!.GetValue<string>();
        var written = JsonNode.Parse((await CliOutput.Run(server, red, "op", "submit", redFile, "--json")).Out)!;
        return (server, blue, red, blueOp, written["operation"]!["id"]!.GetValue<string>(), written["conflicts"]![0]!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task List_names_each_side_only_as_far_as_the_caller_may_see_it()
    {
        var (server, blue, red, blueOp, redOp, conflict) = await TwoOperations();
        await using var _ = server;

        var blueList = await CliOutput.Run(server, blue, "conflicts", "list");
        Assert.Equal(0, blueList.Exit);
        var table = CliOutput.Table(blueList.Out);
        Assert.Equal(["ID", "STATE", "A", "B", "OVERLAP (UTC)", "ALTITUDES", "ACKNOWLEDGED", "ACCEPTED"], table[0]);
        Assert.Equal([conflict, "open", $"red: {redOp[..24]}…", "blue: Raqqa CAP", $"{Day} 09:00–11:00", "FL100–FL250", "-", "-"], table[1]);
        Assert.DoesNotContain("Latakia", blueList.Out, StringComparison.Ordinal);

        var redList = await CliOutput.Run(server, red, "conflicts", "list");
        Assert.Equal([conflict, "open", "red: Latakia sweep", $"blue: {blueOp[..23]}…", $"{Day} 09:00–11:00", "FL100–FL250", "-", "-"], CliOutput.Table(redList.Out)[1]);
        Assert.DoesNotContain("Raqqa", redList.Out, StringComparison.Ordinal);

        CliOutput.SameJson((await server.Client(blue).Get("v1/conflicts")).Body, (await CliOutput.Run(server, blue, "conflicts", "list", "--json")).Out);

        var narrow = await CliOutput.Run(server, blue, 80, "conflicts", "list", "--state", "open");
        var cut = CliOutput.Table(narrow.Out);
        Assert.Equal(["ID", "STATE", "A", "B"], cut[0]);
        Assert.Equal(conflict, cut[1][0]);
        Assert.All(narrow.Out.TrimEnd().Split('\n'), line => Assert.True(line.Length <= 80, line));
    }

    [Fact]
    public async Task A_zones_name_is_shown_to_the_other_side()
    {
        var (server, blue, red, _, _, _) = await TwoOperations();
        await using var __ = server;
        var zone = Bodies.Zone("exclusive", "Tabqa dam", Bodies.Circle(35.975, 39.0, 9260, lowerM: 0, upperM: 12_000 * 0.3048, start: Bodies.T0.AddHours(-1), end: Bodies.T0.AddHours(1)));
        var (status, _, _) = await server.Client(red).Post("v1/zones", zone);
        Assert.Equal(201, status);

        var table = CliOutput.Table((await CliOutput.Run(server, blue, "conflicts", "list")).Out);
        var row = Assert.Single(table, r => r[2] == "red: zone Tabqa dam");

        // The overlap: 09:00 to 10:00 and 10,000 ft (blue's floor) to 12,000 ft (the zone's ceiling).
        Assert.Equal([$"{Day} 09:00–10:00", "FL100–FL120"], row[4..6]);
    }

    [Fact]
    public async Task Show_ack_and_accept_say_who_has_and_who_is_waited_for()
    {
        var (server, blue, red, blueOp, redOp, conflict) = await TwoOperations();
        await using var _ = server;

        var ack = await CliOutput.Run(server, blue, "conflicts", "ack", conflict, "--note", "seen, holding at FL260");
        var acked = (await server.Client(blue).Get($"v1/conflicts/{conflict}")).Body!;
        Assert.Equal($"Conflict {conflict} acknowledged by blue at {Full(acked["acknowledged_by"]!["blue"])}; waiting for red (state open).", ack.Out.Trim());

        var accept = await CliOutput.Run(server, blue, "conflicts", "accept", conflict);
        var blueAccepted = (await server.Client(blue).Get($"v1/conflicts/{conflict}")).Body!["accepted_by"]!["blue"];
        Assert.Equal($"Conflict {conflict} accepted by blue at {Full(blueAccepted)}; waiting for red (state open).", accept.Out.Trim());

        var both = await CliOutput.Run(server, red, "conflicts", "accept", conflict, "--json");
        var accepted = (await server.Client(red).Get($"v1/conflicts/{conflict}")).Body!;
        CliOutput.SameJson(accepted, both.Out);
        Assert.Equal("accepted", accepted["state"]!.GetValue<string>());
        var again = await CliOutput.Run(server, red, "conflicts", "accept", conflict);
        Assert.Equal($"Conflict {conflict} accepted by both (blue at {Full(accepted["accepted_by"]!["blue"])}, red at {Full(accepted["accepted_by"]!["red"])}): accepted.", again.Out.Trim());

        var row = CliOutput.Table((await CliOutput.Run(server, blue, "conflicts", "list")).Out)[1];
        var acknowledged = accepted["acknowledged_by"]!.AsObject().Select(kv => $"{kv.Key} {Short(kv.Value)}");
        Assert.Equal([string.Join(", ", acknowledged), $"blue {Short(accepted["accepted_by"]!["blue"])}, red {Short(accepted["accepted_by"]!["red"])}"], row[6..8]);

        var show = await CliOutput.Run(server, blue, "conflicts", "show", conflict);
        var lines = show.Out.TrimEnd().Split('\n').Select(l => l.TrimEnd()).ToArray();
        Assert.Equal(
            [
                $"Conflict {conflict}",
                $"  State:        accepted (version {accepted["version"]})",
                $"  A:            operation {redOp} of red, version 1",
                $"  B:            operation {blueOp} \"Raqqa CAP\" of blue, version 1",
                $"  Overlap:      {Day} 09:00–11:00 UTC",
                "  Altitudes:    10,000 ft (FL100, 3,048 m) to 25,000 ft (FL250, 7,620 m)",
                $"  Acknowledged: {string.Join(", ", accepted["acknowledged_by"]!.AsObject().Select(kv => $"{kv.Key} at {Full(kv.Value)}"))}",
                $"  Accepted:     blue at {Full(accepted["accepted_by"]!["blue"])}, red at {Full(accepted["accepted_by"]!["red"])}",
                $"  Created:      {Full(accepted["created_at"])}, updated {Full(accepted["updated_at"])}",
            ],
            lines);
        CliOutput.SameJson(accepted, (await CliOutput.Run(server, blue, "conflicts", "show", conflict, "--json")).Out);
    }

    [Fact]
    public async Task Mistakes_get_one_plain_line_and_change_nothing()
    {
        var (server, blue, _, _, _, conflict) = await TwoOperations();
        await using var _ = server;

        CliOutput.PlainError(await CliOutput.Run(server, blue, "conflicts", "list", "--state", "closed"), 2, "--state must be open, acknowledged, resolved or accepted; 'closed' is not.");
        CliOutput.PlainError(await CliOutput.Run(server, blue, "conflicts", "ack", "cf-nope"), 1, "404 not-found: No conflict 'cf-nope' that you may see.");
        CliOutput.PlainError(await CliOutput.Run(server, blue, "conflicts", "show", "cf-nope"), 1, "404 not-found: No conflict 'cf-nope' that you may see.");
        var stored = (await server.Client(blue).Get($"v1/conflicts/{conflict}")).Body!;
        Assert.Equal(1, stored["version"]!.GetValue<int>());
        Assert.Empty(stored["acknowledged_by"]!.AsObject());
    }
}
