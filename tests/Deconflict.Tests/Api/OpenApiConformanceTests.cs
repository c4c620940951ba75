using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Deconflict.Tests.Infrastructure;

namespace Deconflict.Tests.Api;

/// <summary>
/// The served OpenAPI document describes what the server really answers: for real requests, valid
/// and refused, on every endpoint, the status is among the operation's documented responses, the
/// media type is the documented one, and a JSON body validates against the documented schema.
/// </summary>
public sealed class OpenApiConformanceTests
{
    [Fact]
    public async Task Every_answer_to_real_requests_is_a_documented_response_of_its_operation()
    {
        await using var server = await TestServer.StartAsync();
        var anonymous = server.Client(null);
        var contract = new OpenApiContract((await anonymous.Get("openapi/v1.json")).Body!.AsObject());
        var admin = server.Admin;
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");
        var failures = new List<string>();
        var answered = new HashSet<string>(StringComparer.Ordinal);

        async Task<(int Status, JsonNode? Body)> Call(HttpClient client, string method, string path, object? body = null, string? ifMatch = null, string contentType = "application/json", (string Name, string Value)? header = null, int? expect = null)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (body is not null)
            {
                request.Content = new StringContent(body as string ?? (body is JsonNode n ? n.ToJsonString() : System.Text.Json.JsonSerializer.Serialize(body)), Encoding.UTF8);
                request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
            }

            if (ifMatch is not null)
            {
                request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
            }

            if (header is { } h)
            {
                request.Headers.TryAddWithoutValidation(h.Name, h.Value);
            }

            using var response = await client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            var status = (int)response.StatusCode;
            failures.AddRange(contract.Check(method, path, status, response.Content.Headers.ContentType?.MediaType, text));
            answered.Add($"{method} {contract.Operation(method, path).Template} {status}");
            if (expect is { } e && e != status)
            {
                failures.Add($"{method} {path}: expected {e} for this test's premise, got {status}: {text}");
            }

            return (status, text.Length > 0 && response.Content.Headers.ContentType?.MediaType?.Contains("json", StringComparison.Ordinal) == true ? JsonNode.Parse(text) : null);
        }

        // Service
        await Call(anonymous, "GET", "healthz", expect: 200);
        await Call(blue, "GET", "v1/config", expect: 200);
        await Call(anonymous, "GET", "v1/config", expect: 401);
        await Call(blue, "GET", "v1/me", expect: 200);
        await Call(anonymous, "GET", "v1/me", expect: 401);
        await Call(admin, "GET", "metrics", expect: 200);
        await Call(blue, "GET", "metrics", expect: 403);
        await Call(blue, "GET", "v1/operations?x=" + new string('a', 9000), expect: 414);

        // Parties and tokens
        var green = await Call(admin, "POST", "v1/parties", new { id = "green", name = "GREEN" }, expect: 201);
        await Call(admin, "POST", "v1/parties", new { id = "green", name = "GREEN" }, expect: 409);
        await Call(blue, "POST", "v1/parties", new { id = "grey", name = "GREY" }, expect: 403);
        await Call(admin, "POST", "v1/parties", new { id = "Grey!", name = "GREY" }, expect: 400);
        await Call(blue, "GET", "v1/parties", expect: 200);
        var issued = await Call(admin, "POST", "v1/parties/green/tokens", expect: 201);
        await Call(admin, "POST", "v1/parties/nobody/tokens", expect: 404);
        await Call(admin, "DELETE", $"v1/parties/green/tokens/{issued.Body!["token_id"]}", expect: 204);
        await Call(admin, "DELETE", "v1/parties/green/tokens/tok-none", expect: 404);
        await Call(admin, "DELETE", "v1/parties/green/tokens", expect: 200);
        Assert.NotNull(green.Body);

        // Operations and zones
        var op = await Call(blue, "POST", "v1/operations", Bodies.Operation(Bodies.Square(35.4, 35.9)), expect: 201);
        var id = op.Body!["operation"]!["id"]!.GetValue<string>();
        var other = await Call(red, "POST", "v1/operations", Bodies.Operation(Bodies.Square(35.4, 35.9)), expect: 201);
        var conflictId = other.Body!["conflicts"]![0]!["id"]!.GetValue<string>();
        await Call(red, "POST", "v1/operations/check", Bodies.Operation(Bodies.Square(35.4, 35.9)), expect: 200);
        await Call(blue, "POST", "v1/operations", "{\"volumes\": [", expect: 400);
        await Call(blue, "POST", "v1/operations", "{\"volumes\": [], \"volumes\": []}", expect: 400);
        await Call(blue, "POST", "v1/operations", "volumes", contentType: "text/plain", expect: 415);
        await Call(blue, "POST", "v1/operations", Bodies.Operation(Bodies.Polygon([[35.0, 35.0], [35.1, 35.1]])), expect: 400);
        await Call(admin, "POST", "v1/operations", Bodies.Operation(Bodies.Square(35.4, 35.9)), expect: 403);
        await Call(blue, "GET", "v1/operations?bbox=35,35,36,36&state=planned&limit=10", expect: 200);
        await Call(blue, "GET", "v1/operations?limit=0", expect: 400);
        await Call(blue, "GET", "v1/operations?state=flying", expect: 400);
        await Call(blue, "GET", $"v1/operations/{id}", expect: 200);
        await Call(red, "GET", $"v1/operations/{id}", expect: 200);
        await Call(blue, "GET", "v1/operations/op-none", expect: 404);
        // Conflicts
        await Call(blue, "GET", "v1/conflicts?state=resolved", expect: 200);
        await Call(red, "GET", $"v1/conflicts/{conflictId}", expect: 200);
        await Call(red, "POST", $"v1/conflicts/{conflictId}/acknowledge", new { note = "seen" }, expect: 200);
        await Call(red, "POST", $"v1/conflicts/{conflictId}/accept", expect: 200);
        await Call(admin, "POST", $"v1/conflicts/{conflictId}/accept", expect: 403);
        await Call(red, "GET", "v1/conflicts/cf-none", expect: 404);
        await Call(red, "GET", "v1/conflicts?state=gone", expect: 400);

        await Call(blue, "PUT", $"v1/operations/{id}", Bodies.Operation(Bodies.Square(35.4, 35.9)), expect: 428);
        await Call(blue, "PUT", $"v1/operations/{id}", Bodies.Operation(Bodies.Square(35.4, 35.9)), ifMatch: "\"9\"", expect: 412);
        await Call(blue, "PUT", $"v1/operations/{id}", Bodies.Operation(Bodies.Square(35.4, 35.9, 0.05)), ifMatch: "\"1\"", expect: 200);
        await Call(blue, "DELETE", $"v1/operations/{id}", ifMatch: "\"2\"", expect: 200);
        var zone = await Call(blue, "POST", "v1/zones", Bodies.Zone("advisory", "Range 4", Bodies.Circle(36.0, 36.0, 5000)), expect: 201);
        await Call(blue, "GET", $"v1/zones/{zone.Body!["zone"]!["id"]}", expect: 200);
        await Call(blue, "GET", "v1/zones", expect: 200);
        var zoneId = zone.Body!["zone"]!["id"]!.GetValue<string>();
        await Call(red, "POST", "v1/zones/check", Bodies.Zone("protected", "Range 5", Bodies.Circle(36.0, 36.0, 5000)), expect: 200);
        await Call(blue, "PUT", $"v1/zones/{zoneId}", Bodies.Zone("advisory", "Range 4", Bodies.Circle(36.0, 36.0, 4000)), ifMatch: "\"1\"", expect: 200);
        await Call(red, "DELETE", $"v1/zones/{zoneId}", ifMatch: "\"2\"", expect: 403);
        await Call(blue, "DELETE", $"v1/zones/{zoneId}", ifMatch: "\"2\"", expect: 200);

        // Tracks and alerts
        var now = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
        await Call(blue, "POST", "v1/tracks", new JsonObject { ["tracks"] = new JsonArray(new JsonObject { ["id"] = "BLUE11", ["time"] = now, ["lat"] = 35.4, ["lng"] = 35.9, ["altitude_m"] = 3000, ["velocity"] = new JsonObject { ["east_mps"] = 100, ["north_mps"] = 0, ["up_mps"] = 0 } }) }, expect: 202);
        await Call(blue, "POST", "v1/tracks", new JsonObject { ["tracks"] = new JsonArray(new JsonObject { ["id"] = "BLUE11", ["time"] = "yesterday" }) }, expect: 400);
        await Call(admin, "POST", "v1/tracks", new JsonObject { ["tracks"] = new JsonArray() }, expect: 403);
        await Call(blue, "GET", "v1/tracks?bbox=35,35,36,36", expect: 200);
        await Call(blue, "GET", "v1/tracks?bbox=35,35", expect: 400);
        await Call(blue, "GET", "v1/alerts?state=active", expect: 200);
        await Call(blue, "GET", "v1/alerts/al-none", expect: 404);
        await Call(blue, "POST", "v1/alerts/al-none/acknowledge", expect: 404);
        await Call(admin, "GET", "v1/alerts/status", expect: 200);
        await Call(blue, "GET", "v1/alerts/status", expect: 403);

        // The deconfliction line
        var message = new { to = new[] { "red" }, subject = "Range 4", body = "Live firing 0900-1100Z.", requires_ack = true };
        var sent = await Call(blue, "POST", "v1/line/messages", message, header: ("Idempotency-Key", "k-1"), expect: 201);
        await Call(blue, "POST", "v1/line/messages", message, header: ("Idempotency-Key", "k-1"), expect: 200);
        await Call(blue, "POST", "v1/line/messages", "{\"to\": [\"nobody\"], \"subject\": \"x\", \"body\": \"y\"}", expect: 400);
        var messageId = sent.Body!["id"]!.GetValue<string>();
        await Call(blue, "GET", "v1/line/messages?box=sent", expect: 200);
        await Call(red, "GET", "v1/line/messages?state=pending", expect: 200);
        await Call(red, "GET", "v1/line/messages?box=outbox", expect: 400);
        await Call(red, "GET", $"v1/line/messages/{messageId}", expect: 200);
        await Call(red, "POST", $"v1/line/messages/{messageId}/read", expect: 200);
        await Call(blue, "POST", $"v1/line/messages/{messageId}/read", expect: 403);
        await Call(red, "POST", $"v1/line/messages/{messageId}/acknowledge", new { by = "Duty officer Ahmed" }, expect: 200);
        await Call(red, "POST", $"v1/line/messages/{messageId}/acknowledge", new { by = "" }, expect: 400);
        await Call(red, "GET", "v1/line/messages/msg-none", expect: 404);
        await Call(blue, "PUT", "v1/parties/blue/escalation", new { contacts = Array.Empty<object>() }, expect: 200);
        await Call(blue, "GET", "v1/parties/blue/escalation", expect: 200);
        await Call(red, "GET", "v1/parties/blue/escalation", expect: 403);
        await Call(blue, "GET", "v1/line/webhook-key", expect: 200);

        // The record
        await Call(admin, "POST", "v1/record/head", expect: 200);
        await Call(blue, "GET", "v1/record/head", expect: 200);
        await Call(blue, "GET", "v1/record/checkpoint", expect: 200);
        await Call(blue, "GET", "v1/record/key", expect: 200);
        await Call(blue, "GET", "v1/record/entries?start=0&end=3", expect: 200);
        await Call(blue, "GET", "v1/record/entries?start=x", expect: 400);
        await Call(blue, "GET", "v1/record/proofs/inclusion?index=0&size=2", expect: 200);
        await Call(blue, "GET", "v1/record/proofs/inclusion", expect: 400);
        await Call(blue, "GET", "v1/record/proofs/consistency?from=1&to=2", expect: 200);
        await Call(blue, "GET", "v1/record/proofs/consistency?from=3&to=2", expect: 400);
        await Call(admin, "POST", "v1/record/entries/0/reveal", expect: 200);
        await Call(blue, "POST", "v1/record/entries/x/reveal", expect: 400);
        await Call(blue, "POST", "v1/record/cosignatures", new { size = 1, root_hash = new string('0', 64), timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds(), signature = Convert.ToBase64String(new byte[64]) }, expect: 409);
        await Call(admin, "POST", "v1/record/cosignatures", new { size = 1 }, expect: 403);
        await Call(blue, "PUT", "v1/parties/blue/key", new { public_key = Convert.ToBase64String(new byte[32]) }, expect: 200);
        await Call(blue, "PUT", "v1/parties/blue/key", new { public_key = "AAAA" }, expect: 400);

        // Events: a bad Last-Event-ID is refused; a good one opens the stream (only its head is read).
        await Call(blue, "GET", "v1/events", header: ("Last-Event-ID", "yesterday"), expect: 400);
        using (var request = new HttpRequestMessage(HttpMethod.Get, "v1/events"))
        {
            request.Headers.Add("Last-Event-ID", "-1");
            using var response = await blue.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            failures.AddRange(contract.Check("GET", "v1/events", (int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, string.Empty));
            Assert.Equal(200, (int)response.StatusCode);
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));

        // Every operation of the document was reached at least once by the requests above.
        var reached = answered.Select(a => string.Join(' ', a.Split(' ')[..2])).ToHashSet(StringComparer.Ordinal);
        reached.Add("GET /v1/events");
        var documented = contract.Document["paths"]!.AsObject()
            .SelectMany(p => p.Value!.AsObject().Select(m => $"{m.Key.ToUpperInvariant()} {p.Key}"))
            .ToList();
        var unreached = documented.Where(d => !reached.Contains(d)).ToList();
        Assert.True(unreached.Count == 0, "Not reached: " + string.Join(", ", unreached));
    }

    [Fact]
    public async Task The_document_lists_the_parameters_statuses_and_security_API_md_names()
    {
        await using var server = await TestServer.StartAsync();
        var doc = (await server.Client(null).Get("openapi/v1.json")).Body!.AsObject();
        var operations = doc["paths"]!.AsObject()
            .SelectMany(p => p.Value!.AsObject().Select(m => m.Value!.AsObject()))
            .ToDictionary(o => o["operationId"]!.GetValue<string>(), StringComparer.Ordinal);

        string Parameters(string operationId) => string.Join(",", (operations[operationId]["parameters"] as JsonArray ?? [])
            .Select(p => $"{p!["in"]}:{p["name"]}{(p["required"]?.GetValue<bool>() == true ? "!" : "")}").Order(StringComparer.Ordinal));
        string Statuses(string operationId) => string.Join(",", operations[operationId]["responses"]!.AsObject().Select(r => r.Key).Where(k => k[0] == '2'));

        Assert.Equal("query:bbox,query:cursor,query:end,query:limit,query:party,query:start,query:state", Parameters("listOperations"));
        Assert.Equal("header:If-Match!,path:id!", Parameters("updateOperation"));
        Assert.Equal("header:If-Match!,path:id!", Parameters("cancelZone"));
        Assert.Equal("query:cursor,query:limit,query:state", Parameters("listConflicts"));
        Assert.Equal("header:Idempotency-Key", Parameters("sendMessage"));
        Assert.Equal("query:box,query:cursor,query:limit,query:state", Parameters("listMessages"));
        Assert.Equal("header:Last-Event-ID,query:after", Parameters("streamEvents"));
        Assert.Equal("query:end,query:start", Parameters("listRecordEntries"));
        Assert.Equal("query:index!,query:size", Parameters("getInclusionProof"));
        Assert.Equal("query:from!,query:to", Parameters("getConsistencyProof"));
        Assert.Equal("201", Statuses("createOperation"));
        Assert.Equal("200", Statuses("checkOperation"));
        Assert.Equal("201", Statuses("createParty"));
        Assert.Equal("204", Statuses("revokeToken"));
        Assert.Equal("202", Statuses("reportTracks"));
        Assert.Equal("201,200", Statuses("sendMessage"));
        Assert.Equal("201", Statuses("cosignRecordHead"));

        var bearer = doc["components"]!["securitySchemes"]!["bearer"]!;
        Assert.Equal("http", bearer["type"]!.GetValue<string>());
        Assert.Equal("bearer", bearer["scheme"]!.GetValue<string>());
        Assert.Equal("[{}]", operations["getHealth"]["security"]!.ToJsonString());
        Assert.All(operations.Where(o => o.Key != "getHealth"), o => Assert.Equal("[{\"bearer\":[]}]", o.Value["security"]!.ToJsonString()));
        Assert.All(operations.Where(o => o.Key != "getHealth"), o => Assert.NotNull(o.Value["responses"]!["401"]));
        Assert.All(doc["tags"]!.AsArray(), t => Assert.False(string.IsNullOrWhiteSpace(t!["description"]?.GetValue<string>())));
        Assert.Equal("Deconflict", doc["info"]!["title"]!.GetValue<string>());
    }

    [Fact]
    public void The_contract_check_finds_an_undocumented_status_a_missing_member_a_wrong_type_and_an_undocumented_code()
    {
        var contract = new OpenApiContract(JsonNode.Parse("""
            { "paths": { "/v1/things/{id}": { "get": { "operationId": "getThing", "responses": {
                "200": { "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Thing" } } } },
                "404": { "content": { "application/problem+json": { "schema": { "allOf": [
                    { "$ref": "#/components/schemas/Problem" },
                    { "type": "object", "properties": { "code": { "type": "string", "enum": [ "not-found" ] } } } ] } } } } } } } },
              "components": { "schemas": {
                "Thing": { "type": "object", "required": [ "id", "version" ], "properties": { "id": { "type": "string" }, "version": { "type": "integer" } } },
                "Problem": { "type": "object", "required": [ "code" ], "properties": { "code": { "type": "string" } } } } } }
            """)!.AsObject());

        Assert.Empty(contract.Check("GET", "v1/things/a", 200, "application/json", """{"id":"a","version":1}"""));
        Assert.Empty(contract.Check("GET", "v1/things/a", 404, "application/problem+json", """{"code":"not-found"}"""));
        Assert.Contains("not among its documented responses", Assert.Single(contract.Check("GET", "v1/things/a", 201, "application/json", "{}")), StringComparison.Ordinal);
        Assert.Contains("/version is required", Assert.Single(contract.Check("GET", "v1/things/a", 200, "application/json", """{"id":"a"}""")), StringComparison.Ordinal);
        Assert.Contains("/version is number", Assert.Single(contract.Check("GET", "v1/things/a", 200, "application/json", """{"id":"a","version":1.5}""")), StringComparison.Ordinal);
        Assert.Contains("not one of the documented values", Assert.Single(contract.Check("GET", "v1/things/a", 404, "application/problem+json", """{"code":"forbidden"}""")), StringComparison.Ordinal);
        Assert.Contains("documents application/json", Assert.Single(contract.Check("GET", "v1/things/a", 200, "text/plain", "a")), StringComparison.Ordinal);
    }
}
