using System.Globalization;
using System.Text.Json.Nodes;
using Deconflict.Tests.Infrastructure;

namespace Deconflict.Tests.Api;

/// <summary>
/// Issue 15, findings 4, 8 and 9: a malformed body is a 400 problem with a stable code and an
/// RFC 6901 pointer, never a 500; a member given twice is refused, never "the last one wins"; a
/// control character in any text a party sends is refused. Each refusal changes nothing.
/// </summary>
public sealed class MalformedBodyTests
{
    private const string Admin = "admin";

    [Fact]
    public async Task Malformed_bodies_that_gave_500_and_times_without_an_offset_or_outside_the_window_are_400_with_a_pointer()
    {
        await using var server = await TestServer.StartAsync();
        var parties = await Parties(server);
        var now = DateTimeOffset.UtcNow;
        string Message(string placeTime) => new JsonObject
        {
            ["to"] = new JsonArray("red"),
            ["kind"] = "unsafe-conduct",
            ["subject"] = "Near miss",
            ["body"] = "b",
            ["place"] = new JsonObject { ["lat"] = 35, ["lng"] = 38, ["time"] = placeTime },
        }.ToJsonString();
        string Operation(string start, string end) => Bodies.Operation(Bodies.Square(35, 38)).ToJsonString()
            .Replace(Bodies.Time(Bodies.T0.AddHours(2)), end, StringComparison.Ordinal).Replace(Bodies.Time(Bodies.T0), start, StringComparison.Ordinal);

        // Expected: finding 4 of issue 15 (the 500s), and the window of one year ahead and ten years back.
        var cases = new (string Method, string Path, string Who, string Body, string Code, string Pointer)[]
        {
            ("PUT", "v1/parties/blue/escalation", "blue", """{"contacts":[null]}""", "invalid-request", "/contacts/0"),
            ("POST", "v1/line/messages", "blue", """{"to":["red"],"subject":"s","body":"b","refs":[null]}""", "invalid-request", "/refs/0"),
            ("POST", "v1/line/messages", "blue", Message("garbage"), "invalid-time", "/place/time"),
            ("POST", "v1/line/messages", "blue", Message(""), "invalid-time", "/place/time"),
            ("POST", "v1/line/messages", "blue", Message("0001-01-01T00:00:00+14:00"), "invalid-time", "/place/time"),
            ("POST", "v1/line/messages", "blue", Message("2027-01-01T00:00:00"), "invalid-time", "/place/time"),
            ("POST", "v1/line/messages", "blue", Message(Bodies.Time(now.AddDays(400))), "invalid-time", "/place/time"),
            ("POST", "v1/line/messages", "blue", Message(Bodies.Time(now.AddDays(-3700))), "invalid-time", "/place/time"),
            ("POST", "v1/operations", "blue", Operation(Bodies.Time(now.AddDays(400)), Bodies.Time(now.AddDays(401))), "invalid-time", "/volumes/0/time_start/value"),
            ("POST", "v1/operations", "blue", Operation(Bodies.Time(Bodies.T0).TrimEnd('Z'), Bodies.Time(Bodies.T0.AddHours(2))), "invalid-time", "/volumes/0/time_start/value"),
            ("POST", "v1/operations/check", "blue", Operation(Bodies.Time(Bodies.T0), "9999-12-31T23:59:59Z"), "invalid-time", "/volumes/0/time_end/value"),
            ("POST", "v1/record/cosignatures", "blue", $$$"""{"size":1,"root_hash":"{{{new string('0', 64)}}}","timestamp":1000000000000000,"signature":"{{{Convert.ToBase64String(new byte[64])}}}"}""", "invalid-time", "/timestamp"),
        };

        var before = server.OpenStore().LastEventSequence();
        foreach (var c in cases)
        {
            var problem = (await parties[c.Who].Send(new HttpMethod(c.Method), c.Path, c.Body)).AssertProblem(400, c.Code);
            Assert.True(c.Pointer == problem["pointer"]?.GetValue<string>(), $"{c.Method} {c.Path} {c.Body}: pointer {problem["pointer"]}, expected {c.Pointer}");
        }

        Assert.Equal(before, server.OpenStore().LastEventSequence());
        Assert.Empty(server.OpenStore().EscalationContacts("blue"));
        Assert.Empty((await parties["red"].Get("v1/line/messages?box=inbox")).Body!["items"]!.AsArray());
        Assert.Empty((await parties["blue"].Get("v1/operations")).Body!["items"]!.AsArray());

        // A Last-Event-ID at the end of the range of longs wrapped round to the start of the stream.
        using var events = new HttpRequestMessage(HttpMethod.Get, "v1/events");
        events.Headers.Add("Last-Event-ID", long.MaxValue.ToString(CultureInfo.InvariantCulture));
        using var response = await parties["blue"].SendAsync(events, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(400, (int)response.StatusCode);
        Assert.Equal("invalid-parameter", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["code"]!.GetValue<string>());

        // Times with an offset, inside the window, are accepted (as are a day's edges of it).
        var fine = await parties["blue"].Post("v1/line/messages", Message(Bodies.Time(now.AddDays(-3600).AddHours(2)).Replace("Z", "+02:00", StringComparison.Ordinal)));
        Assert.Equal(201, fine.Status);
        Assert.Equal(Bodies.Time(now.AddDays(-3600)), fine.Body!["place"]!["time"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_time_window_is_shown_in_the_config()
    {
        await using var server = await TestServer.StartAsync();
        var blue = (await Parties(server))["blue"];
        var times = (await blue.Get("v1/config")).Body!["times"]!;

        // 366 days (a year, a leap day included) and 3,653 days (ten years, with their leap days), in seconds.
        Assert.Equal(31_622_400.0, times["max_ahead_s"]!.GetValue<double>());
        Assert.Equal(315_619_200.0, times["max_behind_s"]!.GetValue<double>());
    }

    [Fact]
    public async Task A_member_given_twice_is_refused_in_every_body_and_in_nested_objects()
    {
        await using var server = await TestServer.StartAsync();
        var parties = await Parties(server);
        var conflict = await Conflict(parties);
        var op = Bodies.Operation(Bodies.Square(10, 10)).ToJsonString();
        var now = Bodies.Time(DateTimeOffset.UtcNow);

        var cases = new (string Method, string Path, string Who, string Body, string Pointer)[]
        {
            ("POST", "v1/operations", "blue", op.Insert(1, "\"priority\":999,")[..^1] + ",\"priority\":0}", "/priority"),
            ("POST", "v1/operations", "blue", op[..^1] + ",\"details\":{\"a\":{\"b\":1,\"b\":2}}}", "/details/a/b"),
            ("POST", "v1/operations", "blue", op.Replace("\"units\":\"M\"}", "\"units\":\"M\",\"value\":-500}", StringComparison.Ordinal), "/volumes/0/volume/altitude_lower/value"),
            ("POST", "v1/operations/check", "blue", op[..^1] + ",\"known\":[{\"id\":\"x\",\"version\":1,\"version\":2}]}", "/known/0/version"),
            ("POST", "v1/zones", "blue", Bodies.Zone("exclusive", "Ring", Bodies.Square(20, 20)).ToJsonString()[..^1] + ",\"name\":\"Other\"}", "/name"),
            ("POST", "v1/line/messages", "blue", """{"to":["red"],"subject":"Tanker","body":"b","subject":"Other"}""", "/subject"),
            ("POST", $"v1/conflicts/{conflict}/acknowledge", "red", """{"note":"a","note":"b"}""", "/note"),
            ("POST", $"v1/conflicts/{conflict}/accept", "red", """{"note":"a","note":"b"}""", "/note"),
            ("PUT", "v1/parties/blue/escalation", "blue", """{"contacts":[{"level":1,"url":"https://example.org/a","level":2}]}""", "/contacts/0/level"),
            ("POST", "v1/parties", Admin, """{"id":"green","name":"G","id":"grey"}""", "/id"),
            ("PUT", "v1/parties/blue/key", "blue", $$$"""{"public_key":"{{{Convert.ToBase64String(new byte[32])}}}","public_key":"x"}""", "/public_key"),
            ("POST", "v1/record/cosignatures", "blue", """{"size":1,"size":2}""", "/size"),
            ("POST", "v1/tracks", "blue", $$$"""{"tracks":[{"id":"A1","time":"{{{now}}}","lat":35,"lat":36,"lng":38,"altitude_m":100,"velocity":{"east_mps":1,"north_mps":0,"up_mps":0}}]}""", "/tracks/0/lat"),
        };

        var before = server.OpenStore().LastEventSequence();
        foreach (var c in cases)
        {
            var problem = (await parties[c.Who].Send(new HttpMethod(c.Method), c.Path, c.Body)).AssertProblem(400, "duplicate-member");
            Assert.True(c.Pointer == problem["pointer"]?.GetValue<string>(), $"{c.Method} {c.Path} {c.Body}: pointer {problem["pointer"]}, expected {c.Pointer}");
        }

        Assert.Equal(before, server.OpenStore().LastEventSequence());
        Assert.Equal(2, (await parties["blue"].Get("v1/operations")).Body!["items"]!.AsArray().Count);
        Assert.Equal("blue,red", string.Join(',', (await parties["blue"].Get("v1/parties")).Body!["items"]!.AsArray().Select(p => p!["id"]!.GetValue<string>()).Order(StringComparer.Ordinal)));
    }

    [Fact]
    public async Task A_control_character_in_any_text_a_party_sends_is_refused_tab_and_newline_only_in_bodies_and_notes()
    {
        await using var server = await TestServer.StartAsync();
        var parties = await Parties(server);
        var conflict = await Conflict(parties);
        var message = (await parties["blue"].Post("v1/line/messages", """{"to":["red"],"subject":"Tanker","body":"b","requires_ack":true}""")).Body!["id"]!.GetValue<string>();
        var zone = Bodies.Zone("exclusive", "Ring", Bodies.Square(20, 20));
        var op = Bodies.Operation(Bodies.Square(10, 10));
        var cot = $"""<event version="2.0" uid="V1" type="a-f-A" time="{Bodies.Time(DateTimeOffset.UtcNow)}" start="{Bodies.Time(DateTimeOffset.UtcNow)}" stale="{Bodies.Time(DateTimeOffset.UtcNow.AddMinutes(1))}" how="m-g"><point lat="35" lon="38" hae="9000" ce="10" le="10"/><detail><track course="90" speed="200"/><contact callsign="VIPER&#x202E;11"/></detail></event>""";

        // Expected: finding 9 of issue 15; the characters are ESC (U+001B), NUL, CR, LF, DEL, a C1 control (U+009B, CSI) and the bidi overrides.
        var cases = new (string Method, string Path, string Who, string Body, string Pointer)[]
        {
            ("POST", "v1/parties", Admin, """{"id":"green","name":"Green\u001b[2J"}""", "/name"),
            ("POST", "v1/zones", "blue", With(zone, "name", "Ring\u0000"), "/name"),
            ("POST", "v1/operations", "blue", With(op, "details", new JsonObject { ["callsigns"] = new JsonArray("VIPER\u001b]0;pwned\u0007") }), "/details/callsigns/0"),
            ("POST", "v1/operations", "blue", With(op, "details", new JsonObject { ["n\u009bame"] = 1 }), "/details/n\u009bame"),
            ("POST", "v1/line/messages", "blue", """{"to":["red"],"subject":"Tanker\u001b[1A","body":"b"}""", "/subject"),
            ("POST", "v1/line/messages", "blue", """{"to":["red"],"subject":"Tanker\nFROM: admin","body":"b"}""", "/subject"),
            ("POST", "v1/line/messages", "blue", """{"to":["red"],"subject":"Tanker","body":"line\u0000"}""", "/body"),
            ("POST", "v1/line/messages", "blue", """{"to":["red"],"subject":"Tanker","body":"line\r overwritten"}""", "/body"),
            ("POST", "v1/line/messages", "blue", """{"to":["red"],"subject":"Tanker","body":"cost \u202e0001"}""", "/body"),
            ("POST", "v1/line/messages", "blue", """{"to":["red"],"subject":"Tanker","body":"b","language":"en\u2066"}""", "/language"),
            ("POST", "v1/line/messages", "blue", """{"to":["red\u007f"],"subject":"Tanker","body":"b"}""", "/to/0"),
            ("POST", $"v1/line/messages/{message}/acknowledge", "red", """{"by":"Maj\u001b[8m Petrov"}""", "/by"),
            ("POST", $"v1/line/messages/{message}/acknowledge", "red", """{"by":"Maj Petrov","note":"ok\u001b[0m"}""", "/note"),
            ("POST", $"v1/conflicts/{conflict}/acknowledge", "red", """{"note":"seen\u0008\u0008\u0008"}""", "/note"),
            ("POST", "v1/tracks", "blue", $$$"""{"tracks":[{"id":"A\u001b1","time":"{{{Bodies.Time(DateTimeOffset.UtcNow)}}}","lat":35,"lng":38,"altitude_m":100,"velocity":{"east_mps":1,"north_mps":0,"up_mps":0}}]}""", "/tracks/0/id"),
        };

        var before = server.OpenStore().LastEventSequence();
        foreach (var c in cases)
        {
            var problem = (await parties[c.Who].Send(new HttpMethod(c.Method), c.Path, c.Body)).AssertProblem(400, "control-character");
            Assert.True(c.Pointer == problem["pointer"]?.GetValue<string>(), $"{c.Method} {c.Path} {c.Body}: pointer {problem["pointer"]}, expected {c.Pointer}");
        }

        var xml = (await parties["blue"].Send(HttpMethod.Post, "v1/tracks", cot, contentType: "application/cot+xml")).AssertProblem(400, "control-character");
        Assert.Equal("/events/0/callsign", xml["pointer"]!.GetValue<string>());
        Assert.Equal(before, server.OpenStore().LastEventSequence());

        // Tab and newline are text in a body and a note.
        var sent = await parties["blue"].Post("v1/line/messages", """{"to":["red"],"subject":"Tanker","body":"Line one\n\tLine two"}""");
        Assert.Equal(201, sent.Status);
        Assert.Equal("Line one\n\tLine two", sent.Body!["body"]!.GetValue<string>());
        var acked = await parties["red"].Post($"v1/line/messages/{message}/acknowledge", """{"by":"Maj Petrov","note":"Seen.\nWill move."}""");
        Assert.Equal(200, acked.Status);
        Assert.Equal("Seen.\nWill move.", acked.Body!["receipts"]!["red"]!["note"]!.GetValue<string>());
    }

    [Fact]
    public async Task No_malformed_value_anywhere_in_any_body_gives_a_server_error()
    {
        await using var server = await TestServer.StartAsync();
        var parties = await Parties(server);
        var conflict = await Conflict(parties);
        var op = (await parties["blue"].Get("v1/operations")).Body!["items"]![0]!["id"]!.GetValue<string>();
        var message = (await parties["blue"].Post("v1/line/messages", """{"to":["red"],"subject":"s","body":"b","requires_ack":true}""")).Body!["id"]!.GetValue<string>();
        var t0 = Bodies.Time(Bodies.T0);
        var now = Bodies.Time(DateTimeOffset.UtcNow);
        var templates = new (string Method, string Path, string Who, string Body)[]
        {
            ("POST", "v1/operations", "blue", Bodies.Operation(Bodies.Square(10, 10), Bodies.Circle(12, 12, 500)).ToJsonString()[..^1] + $$$""","priority":3,"state":"active","details":{"x":[1,{"y":"z"}]},"known":[{"id":"{{{op}}}","version":1}]}"""),
            ("POST", "v1/zones/check", "blue", Bodies.Zone("exclusive", "Ring", Bodies.Square(20, 20)).ToJsonString()),
            ("POST", $"v1/conflicts/{conflict}/acknowledge", "red", """{"note":"seen"}"""),
            ("POST", "v1/line/messages", "blue", $$$"""{"to":["red"],"kind":"unsafe-conduct","subject":"s","body":"b","language":"en","requires_ack":true,"ack_within_s":60,"refs":[{"kind":"operation","id":"{{{op}}}"},{"kind":"conflict","id":"{{{conflict}}}"}],"place":{"lat":1,"lng":2,"time":"{{{t0}}}"}}"""),
            ("POST", $"v1/line/messages/{message}/acknowledge", "red", """{"by":"Maj X","note":"n"}"""),
            ("PUT", "v1/parties/blue/escalation", "blue", """{"contacts":[{"level":1,"url":"https://example.org/x"}]}"""),
            ("POST", "v1/parties", Admin, """{"id":"green","name":"G","role":"observer"}"""),
            ("PUT", "v1/parties/blue/key", "blue", $$$"""{"public_key":"{{{Convert.ToBase64String(new byte[32])}}}"}"""),
            ("POST", "v1/record/cosignatures", "blue", $$$"""{"size":1,"root_hash":"{{{new string('0', 64)}}}","timestamp":1,"signature":"AA=="}"""),
            ("POST", "v1/tracks", "blue", $$$"""{"tracks":[{"id":"A1","time":"{{{now}}}","lat":1,"lng":1,"altitude_m":100,"velocity":{"east_mps":1,"north_mps":1,"up_mps":0},"callsign":"X"},{"id":"A2","time":"{{{now}}}","lat":1,"lng":1,"altitude_m":100,"ground_speed_mps":10,"track_deg":10,"vertical_rate_mps":0}]}"""),
        };
        JsonNode?[] mutations = [null, new JsonArray((JsonNode?)null), new JsonObject(), "", "garbage", "NaN", 1e308, -1, 99999999999999999999.0, "0001-01-01T00:00:00+14:00", "2027-01-01T00:00:00"];

        var failures = new List<string>();
        foreach (var (method, path, who, body) in templates)
        {
            var template = JsonNode.Parse(body)!;
            foreach (var pointer in Pointers(template, string.Empty))
            {
                foreach (var mutation in mutations)
                {
                    var mutated = Replace(template, pointer, mutation);
                    var r = await parties[who].Send(new HttpMethod(method), path, mutated?.ToJsonString() ?? "null");
                    if (r.Status >= 500 || (r.Status >= 400 && r.Response.Content.Headers.ContentType?.MediaType != "application/problem+json"))
                    {
                        failures.Add($"{r.Status} {method} {path} {pointer} = {mutation?.ToJsonString() ?? "null"}");
                    }
                }
            }
        }

        Assert.Empty(failures);
    }

    private static async Task<Dictionary<string, HttpClient>> Parties(TestServer server) => new(StringComparer.Ordinal)
    {
        ["blue"] = await server.AddPartyAsync("blue"),
        ["red"] = await server.AddPartyAsync("red"),
        [Admin] = server.Admin,
    };

    /// <summary>Blue's and red's operations over the same square: one conflict between them.</summary>
    private static async Task<string> Conflict(Dictionary<string, HttpClient> parties)
    {
        await parties["blue"].Post("v1/operations", Bodies.Operation(Bodies.Square(35, 38)));
        var red = await parties["red"].Post("v1/operations", Bodies.Operation(Bodies.Square(35, 38)));
        return red.Body!["conflicts"]![0]!["id"]!.GetValue<string>();
    }

    private static string With(JsonObject body, string member, JsonNode value)
    {
        var copy = body.DeepClone().AsObject();
        copy[member] = value;
        return copy.ToJsonString();
    }

    private static IEnumerable<string> Pointers(JsonNode? node, string at)
    {
        yield return at;
        var children = node switch
        {
            JsonObject o => o.Select(kv => (Name: kv.Key, Child: kv.Value)).ToList(),
            JsonArray a => a.Select((c, i) => (Name: i.ToString(CultureInfo.InvariantCulture), Child: c)).ToList(),
            _ => [],
        };
        foreach (var (name, child) in children)
        {
            foreach (var p in Pointers(child, at + "/" + name))
            {
                yield return p;
            }
        }
    }

    private static JsonNode? Replace(JsonNode template, string pointer, JsonNode? value)
    {
        if (pointer.Length == 0)
        {
            return value?.DeepClone();
        }

        var copy = template.DeepClone();
        var parts = pointer[1..].Split('/');
        var parent = copy;
        foreach (var part in parts[..^1])
        {
            parent = parent is JsonArray a ? a[int.Parse(part, CultureInfo.InvariantCulture)]! : parent[part]!;
        }

        if (parent is JsonArray array)
        {
            array[int.Parse(parts[^1], CultureInfo.InvariantCulture)] = value?.DeepClone();
        }
        else
        {
            parent[parts[^1]] = value?.DeepClone();
        }

        return copy;
    }
}
