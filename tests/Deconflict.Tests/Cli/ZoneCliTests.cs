using System.Globalization;
using System.Text.Json.Nodes;
using Deconflict.Tests.Infrastructure;

namespace Deconflict.Tests.Cli;

/// <summary>`deconflict zone ...`: the same verbs as `op`, with a zone's rule and name from the file or the command line.</summary>
public sealed class ZoneCliTests
{
    /// <summary>By hand: a 9,260 m radius is 5 NM (9.26 km); 0 to 5,000 ft is below FL100, so shown in feet.</summary>
    private static readonly string Dam = $$"""
        { "type": "Feature",
          "geometry": { "type": "Point", "coordinates": [38.55, 35.87] },
          "properties": {
            "name": "Tabqa dam", "rule": "protected",
            "radius": { "value": 9260, "units": "M" },
            "altitude_lower": { "value": 0, "reference": "W84", "units": "FT" },
            "altitude_upper": { "value": 5000, "reference": "W84", "units": "FT" },
            "time_start": "{{Bodies.Time(Bodies.T0.AddHours(-3))}}", "time_end": "{{Bodies.Time(Bodies.T0.AddHours(9))}}" } }
        """;

    private static string Day => Bodies.T0.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    [Fact]
    public async Task Submit_takes_rule_and_name_from_the_file_and_list_shows_them()
    {
        await using var server = await TestServer.StartAsync();
        var red = await CliOutput.Party(server, "red");
        var file = Path.Combine(server.Directory, "dam.geojson");
        await File.WriteAllTextAsync(file, Dam);

        var submit = await CliOutput.Run(server, red, "zone", "submit", file);
        Assert.True(submit.Exit == 0, submit.Err);
        var zone = Assert.Single((await server.Client(red).Get("v1/zones")).Body!["items"]!.AsArray())!;
        var id = zone["id"]!.GetValue<string>();
        Assert.Equal($"Zone {id} stored (version 1, planned). No conflicts.", submit.Out.Trim());
        Assert.Equal("protected", zone["rule"]!.GetValue<string>());
        Assert.Equal("Tabqa dam", zone["name"]!.GetValue<string>());

        var table = CliOutput.Table((await CliOutput.Run(server, red, "zone", "list")).Out);
        Assert.Equal(["ID", "NAME", "PARTY", "STATE", "RULE", "PRIORITY", "WINDOW (UTC)", "ALTITUDES", "WHERE (LAT,LNG)"], table[0]);
        Assert.Equal([id, "Tabqa dam", "red", "planned", "protected", "0", $"{Day} 06:00–18:00", "0–5,000 ft", "35.870,38.550"], table[1]);
        CliOutput.SameJson((await server.Client(red).Get("v1/zones")).Body, (await CliOutput.Run(server, red, "zone", "list", "--json")).Out);
    }

    [Fact]
    public async Task Rule_and_name_options_replace_the_files_and_show_check_update_cancel_follow()
    {
        await using var server = await TestServer.StartAsync();
        var red = await CliOutput.Party(server, "red");
        var blue = await CliOutput.Party(server, "blue");
        var file = Path.Combine(server.Directory, "dam.geojson");
        await File.WriteAllTextAsync(file, Dam);

        var check = await CliOutput.Run(server, red, "zone", "check", file);
        Assert.Equal("No conflicts: this zone could be declared as it is (nothing was stored).", check.Out.Trim());
        Assert.Empty((await server.Client(red).Get("v1/zones")).Body!["items"]!.AsArray());

        var submit = await CliOutput.Run(server, red, "zone", "submit", file, "--rule", "exclusive", "--name", "Tabqa north", "--json");
        var id = JsonNode.Parse(submit.Out)!["zone"]!["id"]!.GetValue<string>();
        var stored = (await server.Client(red).Get($"v1/zones/{id}")).Body!;
        Assert.Equal("exclusive", stored["rule"]!.GetValue<string>());
        Assert.Equal("Tabqa north", stored["name"]!.GetValue<string>());

        // A zone's name is shown to every party, so blue sees it too.
        var show = await CliOutput.Run(server, blue, "zone", "show", id);
        var lines = show.Out.TrimEnd().Split('\n').Select(l => l.TrimEnd()).ToArray();
        Assert.Equal($"Zone {id}", lines[0]);
        Assert.Equal("  Name:       Tabqa north", lines[1]);
        Assert.Equal("  Rule:       exclusive", lines[5]);
        Assert.Equal("  Altitudes:  0 ft (0 m) to 5,000 ft (1,524 m)", lines[8]);
        Assert.Equal($"    1. circle centred 35.8700,38.5500, radius 5 NM (9.26 km); 0–5,000 ft; {Day} 06:00–18:00", lines[11]);
        CliOutput.SameJson((await server.Client(blue).Get($"v1/zones/{id}")).Body, (await CliOutput.Run(server, blue, "zone", "show", id, "--json")).Out);

        var update = await CliOutput.Run(server, red, "zone", "update", id, file, "--if-match", "1");
        Assert.Equal($"Zone {id} updated to version 2 (planned). No conflicts.", update.Out.Trim());
        var updated = (await server.Client(red).Get($"v1/zones/{id}")).Body!;
        Assert.Equal("Tabqa dam", updated["name"]!.GetValue<string>());
        Assert.Equal("protected", updated["rule"]!.GetValue<string>());

        var cancel = await CliOutput.Run(server, red, "zone", "cancel", id);
        Assert.Equal($"Zone {id} cancelled (version 3). No conflicts.", cancel.Out.Trim());
        Assert.Equal("cancelled", (await server.Client(red).Get($"v1/zones/{id}")).Body!["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_zone_without_a_rule_or_with_a_bad_one_is_a_usage_mistake_and_nothing_is_stored()
    {
        await using var server = await TestServer.StartAsync();
        var red = await CliOutput.Party(server, "red");
        var file = Path.Combine(server.Directory, "dam.geojson");
        await File.WriteAllTextAsync(file, Dam.Replace("\"name\": \"Tabqa dam\", \"rule\": \"protected\",", string.Empty, StringComparison.Ordinal));

        CliOutput.PlainError(await CliOutput.Run(server, red, "zone", "submit", file), 2, "A zone needs a rule and a name: give --rule exclusive|protected|advisory and --name NAME, or rule and name properties in the file.");
        CliOutput.PlainError(await CliOutput.Run(server, red, "zone", "submit", file, "--rule", "forbidden", "--name", "Dam"), 2, "--rule must be exclusive, protected or advisory; 'forbidden' is not.");
        CliOutput.PlainError(await CliOutput.Run(server, red, "zone", "show", "zn-nope"), 1, "404 not-found: No zone 'zn-nope' that you may see.");
        Assert.Empty((await server.Client(red).Get("v1/zones")).Body!["items"]!.AsArray());
    }
}
