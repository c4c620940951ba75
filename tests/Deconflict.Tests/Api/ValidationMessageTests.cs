using System.Text.Json.Nodes;
using Deconflict.Core.Volumes;
using Deconflict.Service;
using Deconflict.Tests.Infrastructure;

namespace Deconflict.Tests.Api;

/// <summary>
/// Issue 16, scope 2: every refused body names the place in the caller's own document (an RFC 6901
/// pointer) and the rule broken there, in the API's words, never a converter, a .NET type, a byte
/// position or a .NET member; and every unit the design lists for a length or an altitude (M, FT,
/// KM, NM, and FL for altitudes) is converted exactly, while an AGL altitude is refused by name.
/// </summary>
public sealed class ValidationMessageTests
{
    private const string Admin = "admin";

    /// <summary>What the runtime's own messages carry and a person's never should (issue 16's examples).</summary>
    private static readonly string[] Forbidden = ["Deconflict.", "System.", "BytePositionInLine", "LineNumber", ".NET", "could not be converted", "could not be mapped", "Path: $"];

    /// <summary>One case: a request, the refusal expected (status, code, pointer) and a fragment of the sentence that states the rule.</summary>
    private sealed record Case(string Method, string Path, string Who, string Body, int Status, string Code, string? Pointer, string Rule);

    internal static void AssertPlain(string detail)
    {
        foreach (var word in Forbidden)
        {
            Assert.False(detail.Contains(word, StringComparison.Ordinal), $"'{word}' in: {detail}");
        }
    }

    [Fact]
    public async Task Declaration_bodies_name_the_pointer_and_the_rule_in_plain_words()
    {
        await using var server = await TestServer.StartAsync();
        var parties = await Parties(server);
        var op = Bodies.Operation(Bodies.Circle(35.4, 35.9, 5000)).ToJsonString();
        var altitude = """{"value":1000,"reference":"W84","units":"M"}""";
        string Lower(string with) => op.Replace("\"altitude_lower\":" + altitude, "\"altitude_lower\":" + with, StringComparison.Ordinal);
        string Upper(string with) => op.Replace("\"altitude_upper\":{\"value\":5000,\"reference\":\"W84\",\"units\":\"M\"}", "\"altitude_upper\":" + with, StringComparison.Ordinal);
        string Radius(string with) => op.Replace("\"radius\":{\"value\":5000,\"units\":\"M\"}", "\"radius\":" + with, StringComparison.Ordinal);
        Assert.NotEqual(op, Lower("1"));
        Assert.NotEqual(op, Upper("1"));
        Assert.NotEqual(op, Radius("1"));

        // Expected sentences: API.md "Volumes" (the shape, the units, the AGL refusal) and the body's own fields.
        var cases = new Case[]
        {
            new("POST", "v1/operations", "blue", Lower("1000"), 400, "invalid-request", "/volumes/0/volume/altitude_lower",
                "/volumes/0/volume/altitude_lower must be an altitude: an object with the fields value, reference, units, such as {\"value\": 150, \"units\": \"FL\"}"),
            new("POST", "v1/operations", "blue", Upper("\"FL150\""), 400, "invalid-request", "/volumes/0/volume/altitude_upper",
                "it is the string \"FL150\" (\"FL150\" is written {\"value\": 150, \"units\": \"FL\"})"),
            new("POST", "v1/operations", "blue", Lower("""{"value":1000,"reference":"W84"}"""), 400, "unknown-units", "/volumes/0/volume/altitude_lower/units",
                "altitude_lower has no units"),
            new("POST", "v1/operations", "blue", Lower("""{"value":1000,"reference":"W84","units":"ft"}"""), 400, "unknown-units", "/volumes/0/volume/altitude_lower/units",
                "units are written in capitals: \"FT\""),
            new("POST", "v1/operations", "blue", Upper("""{"value":300,"reference":"AGL","units":"M"}"""), 400, "unknown-units", "/volumes/0/volume/altitude_upper/reference",
                "AGL altitudes cannot be deconflicted, because the service has no terrain model"),
            new("POST", "v1/operations", "blue", Lower("""{"value":1000,"units":"M"}"""), 400, "unknown-units", "/volumes/0/volume/altitude_lower/reference",
                "altitude_lower has no reference"),
            new("POST", "v1/operations", "blue", Radius("""{"value":5,"units":"MI"}"""), 400, "unknown-units", "/volumes/0/volume/outline_circle/radius/units",
                "the supported units are \"M\", \"FT\", \"KM\" and \"NM\""),
            new("POST", "v1/operations", "blue", Radius("""{"value":5,"units":"FL"}"""), 400, "unknown-units", "/volumes/0/volume/outline_circle/radius/units",
                "a flight level is an altitude, not a length"),
            new("POST", "v1/operations", "blue", Radius("\"5NM\""), 400, "invalid-request", "/volumes/0/volume/outline_circle/radius",
                "must be a radius: an object with the fields value, units, such as {\"value\": 5, \"units\": \"NM\"}; it is the string \"5NM\""),
            new("POST", "v1/operations", "blue", op.Replace("\"altitude_lower\":", "\"altitude_min\":1,\"altitude_lower\":", StringComparison.Ordinal), 400, "invalid-request", "/volumes/0/volume/altitude_min",
                "'altitude_min' is not a field of a volume's outline and altitudes (Volume3D); the fields are outline_polygon, outline_circle, altitude_lower, altitude_upper."),
            new("POST", "v1/operations", "blue", op.Replace("\"lat\":35.4", "\"lat\":\"35.4\"", StringComparison.Ordinal), 400, "invalid-request", "/volumes/0/volume/outline_circle/center/lat",
                "must be a number; it is the string \"35.4\""),
            new("POST", "v1/operations", "blue", op.Replace("\"time_start\":{\"value\":", "\"time_start\":", StringComparison.Ordinal).Replace("Z\",\"format\":\"RFC3339\"},\"time_end\"", "Z\",\"time_end\"", StringComparison.Ordinal), 400, "invalid-request", "/volumes/0/time_start",
                "must be a time: an object with the fields value, format, such as {\"value\": \"2026-11-26T09:00:00Z\", \"format\": \"RFC3339\"}"),
            new("POST", "v1/operations", "blue", """{"volumes":{}}""", 400, "invalid-request", "/volumes", "/volumes must be an array; it is an object."),
            new("POST", "v1/operations", "blue", op[..^1] + ",\"priority\":2.5}", 400, "invalid-request", "/priority", "/priority must be a whole number; 2.5 is not."),
            new("POST", "v1/operations", "blue", op[..^1] + ",\"priority\":1e12}", 400, "invalid-request", "/priority", "/priority is out of range: 1e12 is not a whole number from -2147483648 to 2147483647."),
            new("POST", "v1/operations", "blue", op[..^1] + ",\"state\":\"flying\"}", 400, "invalid-request", "/state", "/state must be one of \"planned\", \"active\", \"ended\", \"cancelled\"; it is the string \"flying\"."),
            new("POST", "v1/operations", "blue", op[..^1] + ",\"state\":\"\\ud800\"}", 400, "invalid-request", "/state", "/state holds a string that is not text: an escape of half a surrogate pair"),
            new("POST", "v1/operations", "blue", op[..^1] + ",\"known\":[{\"id\":\"op-1\",\"version\":\"3\"}]}", 400, "invalid-request", "/known/0/version", "/known/0/version must be a whole number; it is the string \"3\"."),
            new("POST", "v1/operations", "blue", op[..^1] + ",\"colour\":\"red\"}", 400, "invalid-request", "/colour",
                "'colour' is not a field of an operation; the fields are volumes, priority, state, details, known."),
            new("POST", "v1/operations/check", "blue", "[]", 400, "invalid-request", "/", "The body must be an operation: an object with the fields volumes, priority, state, details, known; it is an array."),
            new("POST", "v1/operations", "blue", "", 400, "invalid-request", "/", "The body is empty; send a JSON object."),
            new("POST", "v1/zones", "blue", Bodies.Zone("forbidden", "Ring", Bodies.Square(20, 20)).ToJsonString(), 400, "invalid-request", "/rule",
                "/rule must be one of \"exclusive\", \"protected\", \"advisory\"; it is the string \"forbidden\"."),
            new("POST", "v1/zones", "blue", Bodies.Zone("exclusive", "Ring", Bodies.Square(20, 20)).ToJsonString().Replace("\"name\":\"Ring\"", "\"name\":55", StringComparison.Ordinal), 400, "invalid-request", "/name",
                "/name must be a string; it is the number 55."),
        };

        await AssertCases(server, parties, cases);
        Assert.Empty((await parties["blue"].Get("v1/operations")).Body!["items"]!.AsArray());
        Assert.Empty((await parties["blue"].Get("v1/zones")).Body!["items"]!.AsArray());
    }

    [Fact]
    public async Task Not_well_formed_json_is_placed_by_line_and_column_of_the_callers_body()
    {
        await using var server = await TestServer.StartAsync();
        var parties = await Parties(server);

        // Columns counted by hand from 1: "{" 1, "\"priority\"" 2-11, ":" 12, " " 13, "1" 14, "," 15, "}" 16.
        // The third body's second line is "  \"lat\": 3x}", the x at column 11; the fourth ends after its comma, column 14.
        var cases = new Case[]
        {
            new("POST", "v1/operations", "blue", "{\"priority\": 1,}", 400, "invalid-request", null, "The body is not well-formed JSON at line 1, column 16: "),
            new("POST", "v1/tracks", "blue", "{\"tracks\": 'A'}", 400, "invalid-request", null, "The body is not well-formed JSON at line 1, column 12: "),
            new("POST", "v1/tracks", "blue", "{\"tracks\":[{\"id\":\"A\",\n  \"lat\": 3x}]}", 400, "invalid-request", null, "The body is not well-formed JSON at line 2, column 11: "),
            new("POST", "v1/line/messages", "blue", "{\"to\":[\"red\"],", 400, "invalid-request", null, "The body is not well-formed JSON at line 1, column 14: Expected start of a property name or value, but instead reached end of data."),
        };

        await AssertCases(server, parties, cases);
    }

    [Fact]
    public async Task Track_line_party_record_and_webhook_bodies_name_the_pointer_and_the_rule()
    {
        await using var server = await TestServer.StartAsync();
        var parties = await Parties(server);
        var now = Bodies.Time(DateTimeOffset.UtcNow);
        var message = (await parties["blue"].Post("v1/line/messages", """{"to":["red"],"subject":"Tanker","body":"b","requires_ack":true}""")).Body!["id"]!.GetValue<string>();
        string Track(string members) => $$$"""{"tracks":[{"id":"A1","time":"{{{now}}}","lat":35,"lng":38,"altitude_m":100,{{{members}}}}]}""";

        var cases = new Case[]
        {
            new("POST", "v1/tracks", "blue", Track("\"velocity\":{\"east_mps\":1,\"north_mps\":0,\"up_mps\":0},\"foo\":1"), 400, "invalid-request", "/tracks/0/foo",
                "'foo' is not a field of a track; the fields are id, time, lat, lng, altitude_m, velocity, ground_speed_mps, track_deg, vertical_rate_mps, callsign."),
            new("POST", "v1/tracks", "blue", Track("\"velocity\":{\"east_mps\":1,\"north_mps\":0,\"up_mps\":0,\"down_mps\":0}"), 400, "invalid-request", "/tracks/0/velocity/down_mps",
                "'down_mps' is not a field of a velocity; the fields are east_mps, north_mps, up_mps."),
            new("POST", "v1/tracks", "blue", Track("\"velocity\":250"), 400, "invalid-request", "/tracks/0/velocity",
                "/tracks/0/velocity must be a velocity: an object with the fields east_mps, north_mps, up_mps; it is the number 250."),
            new("POST", "v1/tracks", "blue", Track("\"track_deg\":\"090\""), 400, "invalid-request", "/tracks/0/track_deg", "/tracks/0/track_deg must be a number; it is the string \"090\"."),
            new("POST", "v1/tracks", "blue", """{"tracks":{"id":"A1"}}""", 400, "invalid-request", "/tracks", "/tracks must be an array; it is an object."),
            new("POST", "v1/line/messages", "blue", """{"to":"red","subject":"s","body":"b"}""", 400, "invalid-request", "/to", "/to must be an array; it is the string \"red\"."),
            new("POST", "v1/line/messages", "blue", """{"to":["red"],"subject":"s","body":"b","requires_ack":"yes"}""", 400, "invalid-request", "/requires_ack", "/requires_ack must be true or false; it is the string \"yes\"."),
            new("POST", "v1/line/messages", "blue", """{"to":["red"],"subject":"s","body":"b","ack_within_s":"300"}""", 400, "invalid-request", "/ack_within_s", "/ack_within_s must be a number; it is the string \"300\"."),
            new("POST", "v1/line/messages", "blue", """{"to":["red"],"subject":"s","body":"b","refs":[5]}""", 400, "invalid-request", "/refs/0", "/refs/0 must be a reference: an object with the fields kind, id; it is the number 5."),
            new("POST", "v1/line/messages", "blue", """{"to":["red"],"subject":"s","body":"b","cc":["red"]}""", 400, "invalid-request", "/cc",
                "'cc' is not a field of a line message; the fields are to, kind, subject, body, language, requires_ack, ack_within_s, refs, place."),
            new("POST", $"v1/line/messages/{message}/acknowledge", "red", """{"by":"Maj Petrov","who":"x"}""", 400, "invalid-request", "/who", "'who' is not a field of an acknowledgement; the fields are by, note."),
            new("POST", $"v1/line/messages/{message}/acknowledge", "red", """{"note":5}""", 400, "invalid-request", "/note", "/note must be a string; it is the number 5."),
            new("POST", "v1/conflicts/cf-none/acknowledge", "red", """{"note":["a"]}""", 400, "invalid-request", "/note", "/note must be a string; it is an array."),
            new("POST", "v1/conflicts/cf-none/accept", "red", """{"reason":"a"}""", 400, "invalid-request", "/reason", "'reason' is not a field of a conflict acknowledgement or acceptance; the fields are note."),
            new("POST", "v1/parties", Admin, """{"id":5,"name":"G"}""", 400, "invalid-request", "/id", "/id must be a string; it is the number 5."),
            new("POST", "v1/parties", Admin, """{"id":"green","name":"G","role":"king"}""", 400, "invalid-request", "/role", "/role must be one of"),
            new("PUT", "v1/parties/blue/key", "blue", """{"key":"x"}""", 400, "invalid-request", "/key", "'key' is not a field of a party's key; the fields are public_key."),
            new("POST", "v1/record/cosignatures", "blue", """{"size":"1"}""", 400, "invalid-request", "/size", "/size must be a whole number; it is the string \"1\"."),
            new("PUT", "v1/parties/blue/escalation", "blue", """{"contacts":[{"level":"high","url":"https://example.org/a"}]}""", 400, "invalid-request", "/contacts/0/level",
                "/contacts/0/level must be a whole number; it is the string \"high\"."),
            new("PUT", "v1/parties/blue/escalation", "blue", """{"contacts":[{"level":null,"url":"https://example.org/a"}]}""", 400, "invalid-request", "/contacts/0/level",
                "/contacts/0/level must be a whole number, not null."),
            new("PUT", "v1/parties/blue/escalation", "blue", """{"contacts":[{"level":1,"uri":"https://example.org/a"}]}""", 400, "invalid-request", "/contacts/0/uri",
                "'uri' is not a field of an escalation contact; the fields are level, url."),

            // A required member missing: each body's own check names it.
            new("POST", "v1/tracks", "blue", "{}", 400, "invalid-request", "/tracks", "The body needs \"tracks\": an array of reports."),
            new("POST", "v1/tracks", "blue", """{"tracks":[{}]}""", 400, "invalid-request", "/tracks/0/id", "A report needs an id"),
            new("POST", "v1/line/messages", "blue", """{"subject":"s","body":"b"}""", 400, "invalid-request", "/to", "to must list at least one party"),
            new("POST", "v1/parties", Admin, """{"id":"green"}""", 400, "invalid-request", "/name", "name must be 1 to 200 characters."),
            new("POST", "v1/record/cosignatures", "blue", "{}", 400, "invalid-request", "/size", "size must be the head's size"),
            new("PUT", "v1/parties/blue/key", "blue", "{}", 400, "invalid-request", "/public_key", "public_key must be the base64 of a raw 32-byte Ed25519 public key."),
            new("POST", "v1/operations", "blue", """{"volumes":[{}]}""", 400, "invalid-volume", "/volumes/0/volume", "/volumes/0/volume: The volume has no 'volume' (outline and altitudes)."),
        };

        await AssertCases(server, parties, cases);
        Assert.Empty(server.OpenStore().EscalationContacts("blue"));
        Assert.Equal("blue,red", string.Join(',', (await parties["blue"].Get("v1/parties")).Body!["items"]!.AsArray().Select(p => p!["id"]!.GetValue<string>()).Order(StringComparer.Ordinal)));
    }

    [Fact]
    public async Task Flight_levels_nautical_miles_kilometres_and_feet_are_stored_as_exact_metres()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        var circle = Bodies.Circle(35.4, 35.9, 1);
        circle["volume"]!["outline_circle"]!["radius"] = new JsonObject { ["value"] = 5, ["units"] = "NM" };
        circle["volume"]!["altitude_lower"] = new JsonObject { ["value"] = 2.5, ["reference"] = "W84", ["units"] = "KM" };
        circle["volume"]!["altitude_upper"] = new JsonObject { ["value"] = 150, ["units"] = "FL" };
        var square = Bodies.Square(36, 36);
        square["volume"]!["altitude_lower"] = new JsonObject { ["value"] = 10_000, ["reference"] = "AMSL", ["units"] = "FT" };
        square["volume"]!["altitude_upper"] = new JsonObject { ["value"] = 3, ["reference"] = "MSL", ["units"] = "NM" };
        var radiusKm = Bodies.Circle(36.5, 36.5, 1);
        radiusKm["volume"]!["outline_circle"]!["radius"] = new JsonObject { ["value"] = 2.5, ["units"] = "KM" };

        var posted = await blue.Post("v1/operations", Bodies.Operation(circle, square, radiusKm));
        Assert.Equal(201, posted.Status);
        var id = posted.Body!["operation"]!["id"]!.GetValue<string>();
        var volumes = (await blue.Get($"v1/operations/{id}")).Body!["volumes"]!.AsArray();

        // By hand: 5 NM = 5 x 1,852 m; 2.5 km = 2,500 m; FL150 = 15,000 ft x 0.3048 = 4,572 m;
        // 10,000 ft = 3,048 m; 3 NM = 5,556 m; AMSL and MSL are taken as W84 (documented), and everything reads back in M on W84.
        Assert.Equal(9260.0, volumes[0]!["volume"]!["outline_circle"]!["radius"]!["value"]!.GetValue<double>());
        Assert.Equal(2500.0, volumes[0]!["volume"]!["altitude_lower"]!["value"]!.GetValue<double>());
        Assert.Equal(4572.0, volumes[0]!["volume"]!["altitude_upper"]!["value"]!.GetValue<double>());
        Assert.Equal(3048.0, volumes[1]!["volume"]!["altitude_lower"]!["value"]!.GetValue<double>());
        Assert.Equal(5556.0, volumes[1]!["volume"]!["altitude_upper"]!["value"]!.GetValue<double>());
        Assert.Equal(2500.0, volumes[2]!["volume"]!["outline_circle"]!["radius"]!["value"]!.GetValue<double>());
        foreach (var v in volumes)
        {
            foreach (var member in new[] { "altitude_lower", "altitude_upper" })
            {
                Assert.Equal("W84", v!["volume"]![member]!["reference"]!.GetValue<string>());
                Assert.Equal("M", v["volume"]![member]!["units"]!.GetValue<string>());
            }
        }
    }

    [Fact]
    public async Task A_band_ending_at_FL150_touches_one_starting_at_4572_m_without_a_conflict_and_overlaps_one_a_millimetre_lower()
    {
        // No vertical buffer, so the only thing between the bands is the conversion: touching bands
        // do not conflict (the gap is 0, and a conflict needs a gap below the buffer), overlapping ones do.
        await using var server = await TestServer.StartAsync(new DeconflictOptions { StrategicBuffer = new Separation(0, 0) });
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");
        var low = Bodies.Square(35.5, 35.8);
        low["volume"]!["altitude_upper"] = new JsonObject { ["value"] = 150, ["units"] = "FL" };
        Assert.Equal(201, (await blue.Post("v1/operations", Bodies.Operation(low))).Status);

        var touching = await red.Post("v1/operations", Bodies.Operation(Bodies.Square(35.5, 35.8, lowerM: 4572, upperM: 6000)));
        Assert.Equal(201, touching.Status);
        Assert.Empty(touching.Body!["conflicts"]!.AsArray());

        var above = await red.Post("v1/operations", Bodies.Operation(Bodies.Square(35.5, 35.8, lowerM: 4571.999, upperM: 6000)));
        var conflict = Assert.Single(above.Body!["conflicts"]!.AsArray())!;
        Assert.Equal(4571.999, conflict["overlap"]!["altitude_lower_m"]!.GetValue<double>());
        Assert.Equal(4572.0, conflict["overlap"]!["altitude_upper_m"]!.GetValue<double>());

        // 5 NM around a centre reaches 9,260 m: a red circle of 700 m whose centre is about 10,070 m
        // east (on the ellipsoid) is about 110 m clear of it; one about 9,920 m east overlaps it by about 40 m.
        var ring = Bodies.Circle(30, 40, 1);
        ring["volume"]!["outline_circle"]!["radius"] = new JsonObject { ["value"] = 5, ["units"] = "NM" };
        Assert.Equal(201, (await blue.Post("v1/operations", Bodies.Operation(ring))).Status);
        var east = await red.Post("v1/operations", Bodies.Operation(Bodies.Circle(30, 40 + Degrees(10_050, 30), 700)));
        Assert.Empty(east.Body!["conflicts"]!.AsArray());
        var nearer = await red.Post("v1/operations", Bodies.Operation(Bodies.Circle(30, 40 + Degrees(9_900, 30), 700)));
        Assert.Single(nearer.Body!["conflicts"]!.AsArray());
    }

    /// <summary>Degrees of longitude spanning <paramref name="metres"/> along a parallel of a sphere of radius 6,371 km (about 0.2% less than on the ellipsoid at 30 degrees, which the margins above include).</summary>
    private static double Degrees(double metres, double lat) => metres / (6_371_000 * Math.PI / 180 * Math.Cos(lat * Math.PI / 180));

    private static async Task AssertCases(TestServer server, Dictionary<string, HttpClient> parties, Case[] cases)
    {
        var before = server.OpenStore().LastEventSequence();
        foreach (var c in cases)
        {
            var where = $"{c.Method} {c.Path} {c.Body}";
            var response = await parties[c.Who].Send(new HttpMethod(c.Method), c.Path, c.Body);
            Assert.True(response.Status == c.Status, $"{where}: {response.Status} {response.Body?.ToJsonString()}");
            var problem = response.AssertProblem(c.Status, c.Code);
            var detail = problem["detail"]!.GetValue<string>();
            Assert.True(c.Pointer == problem["pointer"]?.GetValue<string>(), $"{where}: pointer {problem["pointer"]}, expected {c.Pointer} ({detail})");
            Assert.True(detail.Contains(c.Rule, StringComparison.Ordinal), $"{where}: '{detail}' lacks '{c.Rule}'");
            AssertPlain(detail);
        }

        Assert.Equal(before, server.OpenStore().LastEventSequence());
    }

    private static async Task<Dictionary<string, HttpClient>> Parties(TestServer server) => new(StringComparer.Ordinal)
    {
        ["blue"] = await server.AddPartyAsync("blue"),
        ["red"] = await server.AddPartyAsync("red"),
        [Admin] = server.Admin,
    };
}
