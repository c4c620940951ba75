using System.Text.Json.Nodes;
using Deconflict.Service;
using Deconflict.Tests.Infrastructure;

namespace Deconflict.Tests.Api;

/// <summary>Every refusal is RFC 9457 problem+json with a stable code, and changes nothing.</summary>
public sealed class ErrorTests
{
    public static TheoryData<string, string, string, string> BadOperations => new()
    {
        // name, body, expected code, expected pointer
        { "two vertices", """{"volumes":[{"volume":{"outline_polygon":{"vertices":[{"lat":1,"lng":1},{"lat":2,"lng":2}]},"altitude_lower":{"value":0,"reference":"W84","units":"M"},"altitude_upper":{"value":10,"reference":"W84","units":"M"}},"time_start":{"value":"2030-01-01T00:00:00Z","format":"RFC3339"},"time_end":{"value":"2030-01-01T01:00:00Z","format":"RFC3339"}}]}""", "invalid-volume", "/volumes/0/volume/outline_polygon" },
        { "missing units", """{"volumes":[{"volume":{"outline_circle":{"center":{"lat":1,"lng":1},"radius":{"value":100,"units":"M"}},"altitude_lower":{"value":0,"reference":"W84"},"altitude_upper":{"value":10,"reference":"W84","units":"M"}},"time_start":{"value":"2030-01-01T00:00:00Z","format":"RFC3339"},"time_end":{"value":"2030-01-01T01:00:00Z","format":"RFC3339"}}]}""", "unknown-units", "/volumes/0/volume/altitude_lower/units" },
        { "statute miles", """{"volumes":[{"volume":{"outline_circle":{"center":{"lat":1,"lng":1},"radius":{"value":3,"units":"MI"}},"altitude_lower":{"value":0,"reference":"W84","units":"M"},"altitude_upper":{"value":10,"reference":"W84","units":"M"}},"time_start":{"value":"2030-01-01T00:00:00Z","format":"RFC3339"},"time_end":{"value":"2030-01-01T01:00:00Z","format":"RFC3339"}}]}""", "unknown-units", "/volumes/0/volume/outline_circle/radius/units" },
        { "zero-length window", """{"volumes":[{"volume":{"outline_circle":{"center":{"lat":1,"lng":1},"radius":{"value":100,"units":"M"}},"altitude_lower":{"value":0,"reference":"W84","units":"M"},"altitude_upper":{"value":10,"reference":"W84","units":"M"}},"time_start":{"value":"2030-01-01T00:00:00Z","format":"RFC3339"},"time_end":{"value":"2030-01-01T00:00:00Z","format":"RFC3339"}}]}""", "invalid-volume", "/volumes/0/time_end" },
        { "no volumes", """{"volumes":[]}""", "invalid-volume", "/volumes" },
    };

    [Theory]
    [MemberData(nameof(BadOperations))]
    public async Task Bad_volumes_are_refused_with_their_code_and_pointer_and_nothing_is_stored(string name, string body, string code, string pointer)
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        var before = server.OpenStore().LastEventSequence();
        var problem = (await blue.Post("v1/operations", body)).AssertProblem(400, code);
        Assert.True(problem["pointer"]!.GetValue<string>().StartsWith(pointer, StringComparison.Ordinal), $"{name}: pointer {problem["pointer"]} should start with {pointer}");
        Assert.Equal(before, server.OpenStore().LastEventSequence());
        Assert.Empty((await blue.Get("v1/operations")).Body!["items"]!.AsArray());
    }

    [Theory]
    [InlineData("{not json", "invalid-request")]
    [InlineData("null", "invalid-request")]
    [InlineData("""{"volumes":[],"colour":"red"}""", "invalid-request")]
    [InlineData("""{"volumes":"none"}""", "invalid-request")]
    [InlineData("""{"priority":"high"}""", "invalid-request")]
    public async Task Malformed_bodies_get_invalid_request(string body, string code)
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        (await blue.Post("v1/operations", body)).AssertProblem(400, code);
    }

    [Fact]
    public async Task Bad_fields_beside_the_volumes_are_refused_with_their_pointer()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        var body = Bodies.Operation(Bodies.Square(1, 1));
        body["priority"] = -1;
        Assert.Equal("/priority", (await blue.Post("v1/operations", body)).AssertProblem(400, "invalid-request")["pointer"]!.GetValue<string>());
        body["priority"] = 0;
        body["state"] = "cancelled";
        Assert.Equal("/state", (await blue.Post("v1/operations", body)).AssertProblem(400, "invalid-request")["pointer"]!.GetValue<string>());
        body["state"] = "planned";
        body["details"] = new JsonArray(1, 2);
        Assert.Equal("/details", (await blue.Post("v1/operations", body)).AssertProblem(400, "invalid-request")["pointer"]!.GetValue<string>());
        body.Remove("details");
        body["known"] = new JsonArray(new JsonObject { ["id"] = "op-1" });
        Assert.Equal("/known/0", (await blue.Post("v1/operations", body)).AssertProblem(400, "invalid-request")["pointer"]!.GetValue<string>());

        var zone = Bodies.Zone("forbidden", "x", Bodies.Square(1, 1));
        (await blue.Post("v1/zones", zone)).AssertProblem(400, "invalid-request");
        var unnamed = Bodies.Zone("advisory", " ", Bodies.Square(1, 1));
        Assert.Equal("/name", (await blue.Post("v1/zones", unnamed)).AssertProblem(400, "invalid-request")["pointer"]!.GetValue<string>());
        var noRule = Bodies.Operation(Bodies.Square(1, 1));
        noRule["name"] = "z";
        Assert.Equal("/rule", (await blue.Post("v1/zones", noRule)).AssertProblem(400, "invalid-request")["pointer"]!.GetValue<string>());
        Assert.Empty((await blue.Get("v1/operations")).Body!["items"]!.AsArray());
        Assert.Empty((await blue.Get("v1/zones")).Body!["items"]!.AsArray());
    }

    [Fact]
    public async Task Other_media_types_get_415()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        (await blue.Send(HttpMethod.Post, "v1/operations", Bodies.Operation(Bodies.Square(1, 1)).ToJsonString(), contentType: "text/plain")).AssertProblem(415, "unsupported-media-type");
    }

    [Fact]
    public async Task A_body_over_the_limit_gets_413_payload_too_large()
    {
        await using var server = await TestServer.StartAsync(new DeconflictOptions { MaxRequestBytes = 4096 });
        var blue = await server.AddPartyAsync("blue");
        var body = Bodies.Operation(Bodies.Square(1, 1));
        body["details"] = new JsonObject { ["padding"] = new string('x', 10_000) };
        (await blue.Post("v1/operations", body)).AssertProblem(413, "payload-too-large");
        Assert.Empty((await blue.Get("v1/operations")).Body!["items"]!.AsArray());
    }

    [Fact]
    public async Task Versions_are_enforced_with_If_Match()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        var id = (await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(1, 1)))).Body!["operation"]!["id"]!.GetValue<string>();
        var update = Bodies.Operation(Bodies.Square(1, 1.1));

        (await blue.Send(HttpMethod.Put, $"v1/operations/{id}", update)).AssertProblem(428, "precondition-required");
        (await blue.Send(HttpMethod.Delete, $"v1/operations/{id}")).AssertProblem(428, "precondition-required");
        var stale = (await blue.Send(HttpMethod.Put, $"v1/operations/{id}", update, ifMatch: "\"7\"")).AssertProblem(412, "version-mismatch");
        Assert.Equal(1, stale["current_version"]!.GetValue<long>());
        (await blue.Send(HttpMethod.Put, $"v1/operations/{id}", update, ifMatch: "banana")).AssertProblem(400, "invalid-request");
        Assert.Equal(1, (await blue.Get($"v1/operations/{id}")).Body!["version"]!.GetValue<long>());

        Assert.Equal(200, (await blue.Send(HttpMethod.Put, $"v1/operations/{id}", update, ifMatch: "\"1\"")).Status);
        (await blue.Send(HttpMethod.Put, $"v1/operations/{id}", update, ifMatch: "\"1\"")).AssertProblem(412, "version-mismatch");
        (await blue.Send(HttpMethod.Put, "v1/operations/op-missing", update, ifMatch: "\"1\"")).AssertProblem(404, "not-found");
        (await blue.Get("v1/operations/op-missing")).AssertProblem(404, "not-found");
        (await blue.Get("v1/zones/" + id)).AssertProblem(404, "not-found");
    }

    [Theory]
    [InlineData("v1/operations?limit=0", "limit")]
    [InlineData("v1/operations?limit=10001", "limit")]
    [InlineData("v1/operations?limit=ten", "limit")]
    [InlineData("v1/operations?cursor=abc", "cursor")]
    [InlineData("v1/operations?state=flying", "state")]
    [InlineData("v1/operations?bbox=1,2,3", "bbox")]
    [InlineData("v1/operations?bbox=1,95,3,96", "bbox")]
    [InlineData("v1/operations?start=2030-01-01T00:00:00", "start")]
    [InlineData("v1/conflicts?state=closed", "state")]
    [InlineData("v1/conflicts?limit=-5", "limit")]
    public async Task Bad_query_parameters_get_invalid_parameter_naming_the_parameter(string path, string parameter)
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        var problem = (await blue.Get(path)).AssertProblem(400, "invalid-parameter");
        Assert.Equal(parameter, problem["parameter"]!.GetValue<string>());
    }

    [Fact]
    public async Task Party_creation_refuses_bad_ids_and_duplicates()
    {
        await using var server = await TestServer.StartAsync();
        (await server.Admin.Post("v1/parties", new { id = "Blue Force", name = "Blue" })).AssertProblem(400, "invalid-request");
        (await server.Admin.Post("v1/parties", new { id = "blue", name = "" })).AssertProblem(400, "invalid-request");
        Assert.Equal(201, (await server.Admin.Post("v1/parties", new { id = "blue", name = "Blue" })).Status);
        (await server.Admin.Post("v1/parties", new { id = "blue", name = "Blue again" })).AssertProblem(409, "already-exists");
        var parties = await server.Admin.Get("v1/parties");
        Assert.Equal("Blue", Assert.Single(parties.Body!["items"]!.AsArray())!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Unknown_routes_and_methods_are_problems_too()
    {
        await using var server = await TestServer.StartAsync();
        (await server.Admin.Get("v1/nothing-here")).AssertProblem(404, "not-found");
        (await server.Admin.Send(HttpMethod.Patch, "v1/operations", "{}")).AssertProblem(405, "method-not-allowed");
    }

    [Fact]
    public async Task The_config_shows_the_agreed_parameters_in_force()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        var config = (await blue.Get("v1/config")).Body!;
        Assert.Equal("notify", config["policy"]!.GetValue<string>());
        Assert.Equal(5556.0, config["strategic_buffer"]!["horizontal_m"]!.GetValue<double>(), 9);
        Assert.Equal(304.8, config["strategic_buffer"]!["vertical_m"]!.GetValue<double>(), 9);
        Assert.Equal(5556.0, config["separation"]!["horizontal_m"]!.GetValue<double>(), 9);
        Assert.Equal(120.0, config["separation"]!["lookahead_s"]!.GetValue<double>(), 9);
        Assert.Equal(300.0, config["line"]!["ack_within_s"]!.GetValue<double>(), 9);
    }

    [Fact]
    public async Task The_openapi_document_and_the_reference_page_are_served()
    {
        await using var server = await TestServer.StartAsync();
        var doc = await server.Client(null).Get("openapi/v1.json");
        Assert.Equal(200, doc.Status);
        var paths = doc.Body!["paths"]!.AsObject();
        foreach (var p in new[] { "/v1/operations", "/v1/operations/{id}", "/v1/operations/check", "/v1/zones", "/v1/conflicts", "/v1/conflicts/{id}/acknowledge", "/v1/parties", "/v1/events", "/v1/config", "/v1/tracks", "/v1/alerts", "/v1/alerts/{id}", "/v1/alerts/{id}/acknowledge", "/v1/line/messages", "/v1/record/head" })
        {
            Assert.True(paths.ContainsKey(p), $"OpenAPI lacks {p}");
        }

        var docs = await server.Client(null).GetAsync("docs");
        Assert.Equal(200, (int)docs.StatusCode);
        Assert.Contains("text/html", docs.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
    }
}
