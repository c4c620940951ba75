using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Deconflict.Tests.Api;
using Deconflict.Tests.Infrastructure;

namespace Deconflict.Tests.Cli;

/// <summary>
/// Issue 16, scope 2, for `op submit` with a GeoJSON file: a mistake is reported as one line that
/// names the place in the user's file (an RFC 6901 pointer into the file, not into the body the
/// CLI converts it to) and the rule broken; FL, NM and KM in properties are taken as the API takes them.
/// </summary>
public sealed class GeoJsonErrorTests
{
    private static readonly string Start = Bodies.Time(Bodies.T0);
    private static readonly string End = Bodies.Time(Bodies.T0.AddHours(2));

    /// <summary>A FeatureCollection of a polygon (feature 0) and a circle (feature 1), each with its properties, that the server accepts.</summary>
    private static JsonObject Collection() => JsonNode.Parse($$"""
        { "type": "FeatureCollection", "features": [
          { "type": "Feature",
            "geometry": { "type": "Polygon", "coordinates": [[[38.9, 35.9], [39.1, 35.9], [39.1, 36.05], [38.9, 36.05], [38.9, 35.9]]] },
            "properties": { "altitude_lower": { "value": 15000, "reference": "W84", "units": "FT" }, "altitude_upper": { "value": 250, "units": "FL" },
                            "time_start": "{{Start}}", "time_end": "{{End}}", "priority": 10 } },
          { "type": "Feature",
            "geometry": { "type": "Point", "coordinates": [39.5, 36.2] },
            "properties": { "radius": { "value": 5, "units": "NM" }, "altitude_lower": { "value": 2.5, "reference": "W84", "units": "KM" },
                            "altitude_upper": { "value": 150, "units": "FL" }, "time_start": "{{Start}}", "time_end": "{{End}}" } } ] }
        """)!.AsObject();

    [Fact]
    public async Task Each_mistake_in_a_geojson_file_is_one_line_naming_the_place_in_the_file()
    {
        await using var server = await TestServer.StartAsync();
        var token = await Token(server);
        static JsonObject P(JsonObject file, int feature) => file["features"]![feature]!["properties"]!.AsObject();
        static JsonArray Ring(JsonObject file) => file["features"]![0]!["geometry"]!["coordinates"]![0]!.AsArray();

        // Expected pointers: counted in the file above; expected rules: API.md "Volumes" and RFC 7946.
        var cases = new (string Name, Action<JsonObject> Break, string Message)[]
        {
            ("altitude as a number", f => P(f, 0)["altitude_lower"] = 15000,
                "/features/0/properties/altitude_lower must be an altitude: an object with the fields value, reference, units"),
            ("flight level as a string", f => P(f, 1)["altitude_upper"] = "FL150",
                "/features/1/properties/altitude_upper must be an altitude: an object with the fields value, reference, units, such as {\"value\": 150, \"units\": \"FL\"} or {\"value\": 3000, \"reference\": \"W84\", \"units\": \"M\"}; it is the string \"FL150\" (\"FL150\" is written {\"value\": 150, \"units\": \"FL\"})."),
            ("altitude without units", f => P(f, 1)["altitude_lower"]!.AsObject().Remove("units"),
                "/features/1/properties/altitude_lower/units: altitude_lower has no units"),
            ("altitude above ground", f => P(f, 0)["altitude_upper"] = new JsonObject { ["value"] = 500, ["reference"] = "AGL", ["units"] = "M" },
                "/features/0/properties/altitude_upper/reference: altitude_upper has reference \"AGL\": AGL altitudes cannot be deconflicted, because the service has no terrain model"),
            ("radius in statute miles", f => P(f, 1)["radius"] = new JsonObject { ["value"] = 3, ["units"] = "MI" },
                "/features/1/properties/radius/units: The circle's radius has units \"MI\"; the supported units are \"M\", \"FT\", \"KM\" and \"NM\"."),
            ("radius missing", f => P(f, 1).Remove("radius"), "/features/1/properties/radius: a Point needs a radius property with units"),
            ("position that is not [lng, lat]", f => Ring(f)[2] = new JsonArray(39.1),
                "/features/0/geometry/coordinates/0/2: a position must be [longitude, latitude] in degrees (numbers)."),
            ("latitude out of range", f => Ring(f)[1] = new JsonArray(39.1, 95),
                "/features/0/geometry/coordinates/0/1/1: Vertex 1 needs a latitude (lat) in degrees within [-90, 90]."),
            ("bow tie", f => (Ring(f)[1], Ring(f)[2]) = (new JsonArray(39.1, 36.05), new JsonArray(39.1, 35.9)),
                "/features/0/geometry: "),
            ("time missing", f => P(f, 0).Remove("time_end"), "/features/0/properties/time_end: time_end is required (an RFC 3339 time with an offset"),
            ("time without an offset", f => P(f, 1)["time_start"] = Start.TrimEnd('Z'),
                "/features/1/properties/time_start: time_start must be an RFC 3339 time with an explicit offset"),
            ("geometry of another type", f => f["features"]![1]!["geometry"]!["type"] = "LineString",
                "/features/1/geometry/type: geometry must be a Polygon or a Point with a radius property."),
            ("priority as a string", f => P(f, 0)["priority"] = "high", "/features/0/properties/priority must be a whole number; it is the string \"high\"."),
            ("features not an array", f => f["features"] = new JsonObject(), "/features: a FeatureCollection needs features (an array of Features)."),
        };

        foreach (var (name, breakIt, message) in cases)
        {
            var file = Collection();
            breakIt(file);
            var path = Path.Combine(server.Directory, "plan.geojson");
            await File.WriteAllTextAsync(path, file.ToJsonString());
            var r = await CliTests.Run(server, token, "op", "submit", path);
            Assert.True(r.Exit == 1, $"{name}: exit {r.Exit}: {r.Out} {r.Err}");
            var line = r.Err.Trim();
            Assert.True(line.Contains(message, StringComparison.Ordinal), $"{name}: '{line}' lacks '{message}'");
            Assert.DoesNotContain('\n', line);
            Assert.DoesNotContain("/volumes", line, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", line, StringComparison.Ordinal);
            Assert.DoesNotContain("Exception", line, StringComparison.Ordinal);
            ValidationMessageTests.AssertPlain(line);
        }

        var broken = Path.Combine(server.Directory, "broken.geojson");
        await File.WriteAllTextAsync(broken, "{ \"type\": \"Feature\",\n  \"geometry\": { \"type\": \"Point\" \"coordinates\": [1, 2] } }");
        var syntax = await CliTests.Run(server, token, "op", "submit", broken);
        Assert.Equal(1, syntax.Exit);

        // Line 2 is `  "geometry": { "type": "Point" "coordinates": ...`: counted by hand, the quote mark that opens
        // "coordinates" without a comma before it is column 33.
        Assert.Equal("broken.geojson is not well-formed JSON at line 2, column 33: '\"' is invalid after a value. Expected either ',', '}', or ']'.", syntax.Err.Trim());
        ValidationMessageTests.AssertPlain(syntax.Err);

        var (status, body, _) = await server.Client(token).Get("v1/operations");
        Assert.Equal(200, status);
        Assert.Empty(body!["items"]!.AsArray());
    }

    [Fact]
    public async Task A_refusal_by_the_server_names_the_place_in_the_file_it_came_from()
    {
        await using var server = await TestServer.StartAsync();
        var token = await Token(server);
        var file = Collection();

        // Two years ahead is outside the server's window of times (a year ahead): a rule only the server applies.
        file["features"]![1]!["properties"]!["time_end"] = Bodies.Time(Bodies.T0.AddYears(2));
        var path = Path.Combine(server.Directory, "late.geojson");
        await File.WriteAllTextAsync(path, file.ToJsonString());
        var r = await CliTests.Run(server, token, "op", "submit", path);
        Assert.Equal(1, r.Exit);
        Assert.Contains("400 invalid-time: /features/1/properties/time_end", r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("/volumes", r.Err, StringComparison.Ordinal);
        ValidationMessageTests.AssertPlain(r.Err);

        // A circle 1,200 km across is over the server's default extent of 1,000 km: a size limit, left to the server to apply.
        file = Collection();
        file["features"]![1]!["properties"]!["radius"] = new JsonObject { ["value"] = 600, ["units"] = "KM" };
        await File.WriteAllTextAsync(path, file.ToJsonString());
        var wide = await CliTests.Run(server, token, "op", "submit", path);
        Assert.Equal(1, wide.Exit);
        Assert.Contains("400 invalid-volume: /features/1/geometry: The circle is 1200 km across; the limit is 1000 km.", wide.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("/volumes", wide.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Flight_levels_nautical_miles_and_kilometres_in_a_geojson_file_are_stored_as_exact_metres()
    {
        await using var server = await TestServer.StartAsync();
        var token = await Token(server);
        var path = Path.Combine(server.Directory, "plan.geojson");
        await File.WriteAllTextAsync(path, Collection().ToJsonString());

        var r = await CliTests.Run(server, token, "op", "submit", path, "--json");
        Assert.True(r.Exit == 0, r.Err);
        var id = JsonNode.Parse(r.Out)!["operation"]!["id"]!.GetValue<string>();
        var volumes = (await server.Client(token).Get($"v1/operations/{id}")).Body!["volumes"]!.AsArray();

        // By hand: 15,000 ft = 4,572 m; FL250 = 25,000 ft = 7,620 m; 5 NM = 9,260 m; 2.5 km = 2,500 m; FL150 = 4,572 m.
        Assert.Equal(4572.0, volumes[0]!["volume"]!["altitude_lower"]!["value"]!.GetValue<double>());
        Assert.Equal(7620.0, volumes[0]!["volume"]!["altitude_upper"]!["value"]!.GetValue<double>());
        Assert.Equal(9260.0, volumes[1]!["volume"]!["outline_circle"]!["radius"]!["value"]!.GetValue<double>());
        Assert.Equal(2500.0, volumes[1]!["volume"]!["altitude_lower"]!["value"]!.GetValue<double>());
        Assert.Equal(4572.0, volumes[1]!["volume"]!["altitude_upper"]!["value"]!.GetValue<double>());
    }

    private static async Task<string> Token(TestServer server)
    {
        var response = await server.Admin.PostAsJsonAsync("v1/parties", new { id = "blue", name = "Blue" });
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["token"]!.GetValue<string>();
    }
}
