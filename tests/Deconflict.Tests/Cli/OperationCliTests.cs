using System.Globalization;
using System.Text.Json.Nodes;
using Deconflict.Tests.Infrastructure;

namespace Deconflict.Tests.Cli;

/// <summary>
/// `deconflict op ...` against a real server: each verb's exit code, its table or text (expected
/// values worked out by hand from the file), its --json against the API's own object, and what the
/// server holds afterwards.
/// </summary>
public sealed class OperationCliTests
{
    /// <summary>By hand: 10,000 ft is FL100, 25,000 ft FL250; the box is 35.90-36.05 N, 38.90-39.10 E, centre 35.975,39.000.</summary>
    private static string Cap(string name, int priority = 10) => $$"""
        { "type": "Feature",
          "geometry": { "type": "Polygon", "coordinates": [[[38.9, 35.9], [39.1, 35.9], [39.1, 36.05], [38.9, 36.05], [38.9, 35.9]]] },
          "properties": {
            "altitude_lower": { "value": 10000, "reference": "W84", "units": "FT" },
            "altitude_upper": { "value": 25000, "reference": "W84", "units": "FT" },
            "time_start": "{{Bodies.Time(Bodies.T0)}}", "time_end": "{{Bodies.Time(Bodies.T0.AddHours(2))}}",
            "priority": {{priority}}, "details": { "name": "{{name}}", "callsigns": ["VIPER11"] } } }
        """;

    private static string Day => Bodies.T0.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static async Task<string> File(TestServer server, string name, string text)
    {
        var path = Path.Combine(server.Directory, name);
        await System.IO.File.WriteAllTextAsync(path, text);
        return path;
    }

    [Fact]
    public async Task Submit_then_list_shows_name_party_state_priority_window_altitudes_and_place()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await CliOutput.Party(server, "blue");
        var file = await File(server, "cap.geojson", Cap("Raqqa CAP"));

        var submit = await CliOutput.Run(server, blue, "op", "submit", file);
        Assert.True(submit.Exit == 0, submit.Err);
        var id = JsonNode.Parse((await CliOutput.Run(server, blue, "op", "list", "--json")).Out)!["items"]![0]!["id"]!.GetValue<string>();
        Assert.Equal($"Operation {id} stored (version 1, planned). No conflicts.", submit.Out.Trim());

        var list = await CliOutput.Run(server, blue, "op", "list");
        Assert.Equal(0, list.Exit);
        var table = CliOutput.Table(list.Out);
        Assert.Equal(["ID", "NAME", "PARTY", "STATE", "PRIORITY", "WINDOW (UTC)", "ALTITUDES", "WHERE (LAT,LNG)"], table[0]);
        Assert.Equal([id, "Raqqa CAP", "blue", "planned", "10", $"{Day} 09:00–11:00", "FL100–FL250", "35.975,39.000"], table[1]);
        Assert.Equal(2, table.Count);

        var json = await CliOutput.Run(server, blue, "op", "list", "--json");
        CliOutput.SameJson((await server.Client(blue).Get("v1/operations")).Body, json.Out);
    }

    [Fact]
    public async Task List_in_an_80_column_terminal_keeps_ids_whole_and_drops_the_lesser_columns()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await CliOutput.Party(server, "blue");
        var submit = await CliOutput.Run(server, blue, "op", "submit", await File(server, "cap.geojson", Cap("Raqqa CAP")), "--json");
        var id = JsonNode.Parse(submit.Out)!["operation"]!["id"]!.GetValue<string>();

        var list = await CliOutput.Run(server, blue, 80, "op", "list");
        var table = CliOutput.Table(list.Out);
        Assert.Equal(["ID", "NAME", "STATE", "WINDOW (UTC)"], table[0]);
        Assert.Equal([id, "Raqqa CAP", "planned", $"{Day} 09:00–11:00"], table[1]);
        Assert.All(list.Out.TrimEnd().Split('\n'), line => Assert.True(line.Length <= 80, line));
    }

    [Fact]
    public async Task Show_gives_everything_and_the_details_only_to_the_owner()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await CliOutput.Party(server, "blue");
        var red = await CliOutput.Party(server, "red");
        var submit = await CliOutput.Run(server, blue, "op", "submit", await File(server, "cap.geojson", Cap("Raqqa CAP")), "--json");
        var op = JsonNode.Parse(submit.Out)!["operation"]!;
        var id = op["id"]!.GetValue<string>();

        var show = await CliOutput.Run(server, blue, "op", "show", id);
        Assert.Equal(0, show.Exit);
        var lines = show.Out.TrimEnd().Split('\n').Select(l => l.TrimEnd()).ToArray();
        var created = DateTimeOffset.Parse(op["created_at"]!.GetValue<string>(), CultureInfo.InvariantCulture).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        Assert.Equal(
            [
                $"Operation {id}",
                "  Name:       Raqqa CAP",
                "  Party:      blue",
                "  Version:    1",
                "  State:      planned",
                "  Priority:   10",
                $"  Window:     {Day} 09:00–11:00 UTC",
                "  Altitudes:  10,000 ft (FL100, 3,048 m) to 25,000 ft (FL250, 7,620 m)",
                $"  Created:    {created}, updated {created}",
                "  Volumes:    1",
                $"    1. polygon of 4 vertices, bbox 35.9000,38.9000 to 36.0500,39.1000; FL100–FL250; {Day} 09:00–11:00",
                """  Details:    {"name":"Raqqa CAP","callsigns":["VIPER11"]}""",
            ],
            lines);

        var seenByRed = await CliOutput.Run(server, red, "op", "show", id);
        Assert.DoesNotContain("Raqqa", seenByRed.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("Details:", seenByRed.Out, StringComparison.Ordinal);
        Assert.Contains("  Party:      blue", seenByRed.Out, StringComparison.Ordinal);

        var json = await CliOutput.Run(server, red, "op", "show", id, "--json");
        CliOutput.SameJson((await server.Client(red).Get($"v1/operations/{id}")).Body, json.Out);
    }

    [Fact]
    public async Task Check_lists_the_conflicts_a_file_would_have_and_stores_nothing()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await CliOutput.Party(server, "blue");
        var red = await CliOutput.Party(server, "red");
        var file = await File(server, "cap.geojson", Cap("Raqqa CAP"));
        var blueId = JsonNode.Parse((await CliOutput.Run(server, blue, "op", "submit", file, "--json")).Out)!["operation"]!["id"]!.GetValue<string>();

        var check = await CliOutput.Run(server, red, "op", "check", file);
        Assert.Equal(0, check.Exit);
        Assert.StartsWith("1 conflict(s) if declared (nothing was stored):", check.Out, StringComparison.Ordinal);
        var table = CliOutput.Table(check.Out, "A");
        Assert.Equal(["A", "B", "OVERLAP (UTC)", "ALTITUDES"], table[0]);

        // Red may not see blue's details, so blue's side is its id (cut to the column's 30 characters).
        Assert.Equal(["red: (this operation)", $"blue: {blueId[..23]}…", $"{Day} 09:00–11:00", "FL100–FL250"], table[1]);

        var json = await CliOutput.Run(server, red, "op", "check", file, "--json");
        var body = Deconflict.Cli.GeoJsonInput.ToOperationBody(JsonNode.Parse(await System.IO.File.ReadAllTextAsync(file))!);
        var trial = (await server.Client(red).Post("v1/operations/check", body)).Body;
        CliOutput.SameJson(trial, json.Out);
        Assert.Empty((await server.Client(red).Get("v1/operations?party=red")).Body!["items"]!.AsArray());
        Assert.Single((await server.Client(red).Get("v1/operations")).Body!["items"]!.AsArray());
    }

    [Fact]
    public async Task Update_writes_a_new_version_and_a_stale_if_match_is_refused_in_one_line()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await CliOutput.Party(server, "blue");
        var id = JsonNode.Parse((await CliOutput.Run(server, blue, "op", "submit", await File(server, "cap.geojson", Cap("Raqqa CAP")), "--json")).Out)!["operation"]!["id"]!.GetValue<string>();
        var file = await File(server, "cap2.geojson", Cap("Raqqa CAP north", priority: 12));

        var update = await CliOutput.Run(server, blue, "op", "update", id, file, "--priority", "30");
        Assert.True(update.Exit == 0, update.Err);
        Assert.Equal($"Operation {id} updated to version 2 (planned). No conflicts.", update.Out.Trim());
        var (_, stored, response) = await server.Client(blue).Get($"v1/operations/{id}");
        Assert.Equal("\"2\"", response.Headers.ETag!.Tag);
        Assert.Equal(30, stored!["priority"]!.GetValue<int>());
        Assert.Equal("Raqqa CAP north", stored["details"]!["name"]!.GetValue<string>());

        var stale = await CliOutput.Run(server, blue, "op", "update", id, file, "--if-match", "1");
        CliOutput.PlainError(stale, 1, $"412 version-mismatch: The operation '{id}' is at version 2, not 1.");
        Assert.Equal(2, (await server.Client(blue).Get($"v1/operations/{id}")).Body!["version"]!.GetValue<int>());

        var json = await CliOutput.Run(server, blue, "op", "update", id, file, "--if-match", "2", "--json");
        CliOutput.SameJson((await server.Client(blue).Get($"v1/operations/{id}")).Body, JsonNode.Parse(json.Out)!["operation"]!.ToJsonString());
    }

    [Fact]
    public async Task Submit_takes_priority_state_and_known_versions_from_the_command_line()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await CliOutput.Party(server, "blue");
        var red = await CliOutput.Party(server, "red");
        var file = await File(server, "cap.geojson", Cap("Raqqa CAP"));
        var blueId = JsonNode.Parse((await CliOutput.Run(server, blue, "op", "submit", file, "--json")).Out)!["operation"]!["id"]!.GetValue<string>();

        var submit = await CliOutput.Run(server, red, "op", "submit", file, "--priority", "7", "--state", "active", "--known", $"{blueId}@1");
        Assert.True(submit.Exit == 0, submit.Err);
        var redOp = Assert.Single((await server.Client(red).Get("v1/operations?party=red")).Body!["items"]!.AsArray())!;
        Assert.Equal(7, redOp["priority"]!.GetValue<int>());
        Assert.Equal("active", redOp["state"]!.GetValue<string>());
        var table = CliOutput.Table(submit.Out);
        Assert.Equal(["ID", "STATE", "A", "B", "OVERLAP (UTC)", "ALTITUDES", "ACKNOWLEDGED", "ACCEPTED"], table[0]);

        // Red's own operation by its name; blue's by its id, since red may not see blue's details.
        Assert.Equal(["red: Raqqa CAP", $"blue: {blueId[..23]}…"], table[1][2..4]);
    }

    [Fact]
    public async Task A_write_refused_for_a_stale_known_version_or_a_conflict_says_which_declaration_in_one_line()
    {
        await using var server = await TestServer.StartAsync(new Deconflict.Service.DeconflictOptions { Policy = Core.Strategic.ConflictPolicy.Reject });
        var blue = await CliOutput.Party(server, "blue");
        var red = await CliOutput.Party(server, "red");
        var file = await File(server, "cap.geojson", Cap("Raqqa CAP"));
        var blueId = JsonNode.Parse((await CliOutput.Run(server, blue, "op", "submit", file, "--json")).Out)!["operation"]!["id"]!.GetValue<string>();
        await CliOutput.Run(server, blue, "op", "activate", blueId);

        var stale = await CliOutput.Run(server, red, "op", "submit", file, "--known", $"{blueId}@1");
        CliOutput.PlainError(stale, 1, $"409 missing-awareness: The write conflicts with 1 declaration(s) not listed in 'known' at their current version. Not known: operation {blueId}@2 of blue. Give --known {blueId}@2 once you have read them.");

        // Under the reject policy a conflict with an operation of equal or higher priority is refused.
        var refused = await CliOutput.Run(server, red, "op", "submit", file, "--known", $"{blueId}@2");
        Assert.Equal(1, refused.Exit);
        Assert.EndsWith($" It conflicts with: operation {blueId}@2 of blue.", refused.Err.TrimEnd(), StringComparison.Ordinal);
        Assert.StartsWith("409 conflict: ", refused.Err, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', refused.Err.TrimEnd());
        Assert.Empty((await server.Client(red).Get("v1/operations?party=red")).Body!["items"]!.AsArray());
    }

    [Fact]
    public async Task Activate_and_cancel_change_the_state_at_the_current_or_given_version()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await CliOutput.Party(server, "blue");
        var id = JsonNode.Parse((await CliOutput.Run(server, blue, "op", "submit", await File(server, "cap.geojson", Cap("Raqqa CAP")), "--json")).Out)!["operation"]!["id"]!.GetValue<string>();

        var activate = await CliOutput.Run(server, blue, "op", "activate", id);
        Assert.Equal($"Operation {id} is active (version 2). No conflicts.", activate.Out.Trim());
        var active = (await server.Client(blue).Get($"v1/operations/{id}")).Body!;
        Assert.Equal("active", active["state"]!.GetValue<string>());
        Assert.Equal("Raqqa CAP", active["details"]!["name"]!.GetValue<string>());
        Assert.Equal(10, active["priority"]!.GetValue<int>());

        var stale = await CliOutput.Run(server, blue, "op", "cancel", id, "--if-match", "1");
        CliOutput.PlainError(stale, 1, $"412 version-mismatch: The operation '{id}' is at version 2, not 1.");

        var cancel = await CliOutput.Run(server, blue, "op", "cancel", id, "--if-match", "2");
        Assert.Equal($"Operation {id} cancelled (version 3). No conflicts.", cancel.Out.Trim());
        Assert.Equal("cancelled", (await server.Client(blue).Get($"v1/operations/{id}")).Body!["state"]!.GetValue<string>());
        var cancelled = CliOutput.Table((await CliOutput.Run(server, blue, "op", "list", "--state", "cancelled")).Out);
        Assert.Equal(id, cancelled[1][0]);
    }

    [Fact]
    public async Task Mistakes_get_one_plain_line_and_change_nothing()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await CliOutput.Party(server, "blue");
        var file = await File(server, "cap.geojson", Cap("Raqqa CAP"));
        var notJson = await File(server, "notes.txt", "CAP over Raqqa\nFL100 to FL250\n");
        var missing = Path.Combine(server.Directory, "none.geojson");

        CliOutput.PlainError(await CliOutput.Run(server, blue, "op", "submit", missing), 2, $"No file {missing}: give the path of an F3548 body or a GeoJSON Feature.");
        CliOutput.PlainError(await CliOutput.Run(server, blue, "op", "submit", notJson), 1, "notes.txt is not well-formed JSON at line 1, column 1: 'C' is an invalid start of a value.");
        CliOutput.PlainError(await CliOutput.Run(server, blue, "op", "submit", file, "--known", "op-123"), 2, "--known must be ID@VERSION with a version of 1 or more, such as op-0193...@3; 'op-123' is not.");
        CliOutput.PlainError(await CliOutput.Run(server, blue, "op", "submit", file, "--known", "op-123@0"), 2, "--known must be ID@VERSION with a version of 1 or more, such as op-0193...@3; 'op-123@0' is not.");
        CliOutput.PlainError(await CliOutput.Run(server, blue, "op", "submit", file, "--state", "ended"), 2, "--state must be planned or active; 'ended' is not.");
        CliOutput.PlainError(await CliOutput.Run(server, blue, "op", "list", "--state", "flying"), 2, "--state must be planned, active, ended or cancelled; 'flying' is not.");
        CliOutput.PlainError(await CliOutput.Run(server, blue, "op", "show", "op-nope"), 1, "404 not-found: No operation 'op-nope' that you may see.");
        CliOutput.PlainError(await CliOutput.Run(server, blue, "op", "update", "op-nope", file), 1, "404 not-found: No operation 'op-nope' that you may see.");
        CliOutput.PlainError(await CliOutput.Run(server, blue, "op", "cancel", "op-nope", "--if-match", "three"), 2, "--if-match needs a version number (1 or more), such as 3; 'three' is not one.");
        Assert.Empty((await server.Client(blue).Get("v1/operations")).Body!["items"]!.AsArray());
        Assert.Empty(server.OpenStore().ListDeclarations(new Deconflict.Storage.DeclarationQuery(Core.Model.DeclarationKind.Operation)).Items);
    }
}
