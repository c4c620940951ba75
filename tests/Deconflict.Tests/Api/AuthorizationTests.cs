using System.Text.Json.Nodes;
using Deconflict.Tests.Infrastructure;

namespace Deconflict.Tests.Api;

/// <summary>The authorization matrix of API.md: 401 without a valid token, 403 for a token that may not, 404 for another party's private object.</summary>
public sealed partial class AuthorizationTests
{
    public static TheoryData<string, string> Endpoints => new()
    {
        { "GET", "v1/config" },
        { "GET", "v1/parties" },
        { "POST", "v1/parties" },
        { "GET", "v1/operations" },
        { "POST", "v1/operations" },
        { "POST", "v1/operations/check" },
        { "GET", "v1/operations/op-x" },
        { "PUT", "v1/operations/op-x" },
        { "DELETE", "v1/operations/op-x" },
        { "GET", "v1/zones" },
        { "POST", "v1/zones" },
        { "GET", "v1/conflicts" },
        { "GET", "v1/conflicts/cf-x" },
        { "POST", "v1/conflicts/cf-x/acknowledge" },
        { "POST", "v1/conflicts/cf-x/accept" },
        { "GET", "v1/events" },
    };

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Every_v1_endpoint_refuses_a_missing_or_wrong_token_with_401(string method, string path)
    {
        await using var server = await TestServer.StartAsync();
        foreach (var client in new[] { server.Client(null), server.Client("dcf_not-a-token"), server.Client(string.Empty) })
        {
            var r = await client.Send(new HttpMethod(method), path, method is "POST" or "PUT" ? "{}" : null);
            r.AssertProblem(401, "unauthorized");
            Assert.Equal("Bearer", r.Response.Headers.WwwAuthenticate.ToString());
        }
    }

    [Fact]
    public async Task Health_needs_no_token()
    {
        // It also shows the service's clock, which a simulator sets its own by.
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 9, 0, 0, TimeSpan.Zero));
        await using var server = await TestServer.StartAsync(time: clock);
        clock.Advance(TimeSpan.FromMilliseconds(1234.5));
        var r = await server.Client(null).Get("healthz");
        Assert.Equal(200, r.Status);
        Assert.Equal("ok", r.Body!["status"]!.GetValue<string>());
        Assert.Equal("2030-01-01T09:00:01.2345Z", r.Body["time"]!.GetValue<string>());
    }

    [Fact]
    public async Task Only_the_admin_creates_parties_and_issues_or_revokes_tokens()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        (await blue.Post("v1/parties", new { id = "green", name = "Green" })).AssertProblem(403, "forbidden");
        (await blue.Post("v1/parties/blue/tokens", null)).AssertProblem(403, "forbidden");

        var issued = await server.Admin.Post("v1/parties/blue/tokens", null);
        Assert.Equal(201, issued.Status);
        var second = server.Client(issued.Body!["token"]!.GetValue<string>());
        Assert.Equal(200, (await second.Get("v1/operations")).Status);
        Assert.Equal(200, (await blue.Get("v1/operations")).Status);

        (await blue.Send(HttpMethod.Delete, $"v1/parties/blue/tokens/{issued.Body["token_id"]}")).AssertProblem(403, "forbidden");
        var revoke = await server.Admin.Send(HttpMethod.Delete, $"v1/parties/blue/tokens/{issued.Body["token_id"]}");
        Assert.Equal(204, revoke.Status);
        (await second.Get("v1/operations")).AssertProblem(401, "unauthorized");
        Assert.Equal(200, (await blue.Get("v1/operations")).Status);
        (await server.Admin.Send(HttpMethod.Delete, "v1/parties/blue/tokens/tk-none")).AssertProblem(404, "not-found");

        // Every change is recorded for blue (never the secret), the first token (created with blue)
        // too, and not shown to another party.
        var seenByBlue = server.OpenStore().ReadEvents(0, new Core.Model.Caller("blue", Core.Model.PartyRole.Party, "t"), 100)
            .Where(e => e.PayloadJson.Contains("token-", StringComparison.Ordinal)).ToList();
        Assert.Equal(["token-issued", "token-issued", "token-revoked"], seenByBlue.Select(e => System.Text.Json.Nodes.JsonNode.Parse(e.PayloadJson)!["action"]!.GetValue<string>()));
        Assert.All(seenByBlue, e => Assert.DoesNotContain(issued.Body["token"]!.GetValue<string>(), e.PayloadJson, StringComparison.Ordinal));
        Assert.DoesNotContain(server.OpenStore().ReadEvents(0, new Core.Model.Caller("red", Core.Model.PartyRole.Party, "t"), 100), e => e.PayloadJson.Contains("token-", StringComparison.Ordinal));
        (await server.Admin.Post("v1/parties/nobody/tokens", null)).AssertProblem(404, "not-found");
    }

    [Fact]
    public async Task The_admin_and_observers_read_but_may_not_declare_or_acknowledge()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");
        var observer = await server.AddPartyAsync("un-observer", role: "observer");
        await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(35.5, 35.8)));
        var redOp = await red.Post("v1/operations", Bodies.Operation(Bodies.Square(35.55, 35.85)));
        var conflictId = redOp.Body!["conflicts"]![0]!["id"]!.GetValue<string>();

        foreach (var reader in new[] { server.Admin, observer })
        {
            (await reader.Post("v1/operations", Bodies.Operation(Bodies.Square(1, 1)))).AssertProblem(403, "forbidden");
            (await reader.Post("v1/zones", Bodies.Zone("advisory", "x", Bodies.Square(1, 1)))).AssertProblem(403, "forbidden");
            (await reader.Post($"v1/conflicts/{conflictId}/acknowledge", new { })).AssertProblem(403, "forbidden");
            Assert.Equal(conflictId, (await reader.Get($"v1/conflicts/{conflictId}")).Body!["id"]!.GetValue<string>());
            Assert.Single((await reader.Get("v1/conflicts")).Body!["items"]!.AsArray());
        }
    }

    [Fact]
    public async Task A_party_may_not_change_another_partys_operation_nor_see_its_details_or_conflicts()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");
        var green = await server.AddPartyAsync("green");
        var body = Bodies.Operation(Bodies.Square(35.5, 35.8));
        body["details"] = new JsonObject { ["callsigns"] = new JsonArray("VIPER11", "VIPER12"), ["mission"] = "SECRET-STRIKE" };
        var op = await blue.Post("v1/operations", body);
        var id = op.Body!["operation"]!["id"]!.GetValue<string>();
        Assert.Equal("SECRET-STRIKE", op.Body["operation"]!["details"]!["mission"]!.GetValue<string>());
        Assert.Equal("SECRET-STRIKE", (await blue.Get($"v1/operations/{id}")).Body!["details"]!["mission"]!.GetValue<string>());

        var seenByRed = await red.Get($"v1/operations/{id}");
        Assert.Equal(200, seenByRed.Status);
        Assert.Null(seenByRed.Body!["details"]);
        Assert.DoesNotContain("SECRET-STRIKE", (await red.Get("v1/operations")).Body!.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain("VIPER11", (await server.Admin.Get("v1/operations")).Body!.ToJsonString(), StringComparison.Ordinal);

        (await red.Send(HttpMethod.Put, $"v1/operations/{id}", Bodies.Operation(Bodies.Square(1, 1)), ifMatch: "\"1\"")).AssertProblem(403, "forbidden");
        (await red.Send(HttpMethod.Delete, $"v1/operations/{id}", ifMatch: "\"1\"")).AssertProblem(403, "forbidden");
        Assert.Equal(1, (await blue.Get($"v1/operations/{id}")).Body!["version"]!.GetValue<long>());

        var redOp = await red.Post("v1/operations", Bodies.Operation(Bodies.Square(35.55, 35.85)));
        var conflictId = redOp.Body!["conflicts"]![0]!["id"]!.GetValue<string>();
        (await green.Get($"v1/conflicts/{conflictId}")).AssertProblem(404, "not-found");
        (await green.Post($"v1/conflicts/{conflictId}/acknowledge", new { })).AssertProblem(404, "not-found");
        Assert.Empty((await green.Get("v1/conflicts")).Body!["items"]!.AsArray());
    }
}
