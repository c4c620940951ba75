using Deconflict.Tests.Infrastructure;

namespace Deconflict.Tests.Api;

/// <summary>Server-sent events: both sides are told, nobody else is, and a reconnect loses nothing.</summary>
public sealed class EventStreamTests
{
    [Fact]
    public async Task Both_sides_streams_receive_the_conflict_and_a_third_party_only_the_public_operations()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");
        var green = await server.AddPartyAsync("green");
        await using var blueStream = await SseClient.ConnectAsync(blue);
        await using var redStream = await SseClient.ConnectAsync(red);
        await using var greenStream = await SseClient.ConnectAsync(green);

        await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(35.5, 35.8)));
        var redOp = await red.Post("v1/operations", Bodies.Operation(Bodies.Square(35.55, 35.85)));
        var conflictId = redOp.Body!["conflicts"]![0]!["id"]!.GetValue<string>();

        foreach (var stream in new[] { blueStream, redStream })
        {
            var events = await stream.UntilAsync(e => e.Type == "conflict");
            var conflict = events[^1];
            Assert.Equal("opened", conflict.Data["action"]!.GetValue<string>());
            Assert.Equal(conflictId, conflict.Data["conflict"]!["id"]!.GetValue<string>());
            Assert.Equal(2, events.Count(e => e.Type == "operation"));
            Assert.True(events.Zip(events.Skip(1)).All(p => p.First.Id < p.Second.Id), "ids increase");
        }

        // Green sees the two operations (volumes are shared) and then its own later event, never the conflict.
        await green.Post("v1/operations", Bodies.Operation(Bodies.Square(10, 10)));
        var greenEvents = await greenStream.UntilAsync(e => e.Type == "operation" && e.Data["operation"]!["party"]!.GetValue<string>() == "green");
        Assert.DoesNotContain(greenEvents, e => e.Type == "conflict");
        Assert.Equal(3, greenEvents.Count(e => e.Type == "operation"));
    }

    [Fact]
    public async Task Events_never_carry_another_partys_private_details()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");
        await using var redStream = await SseClient.ConnectAsync(red);
        var body = Bodies.Operation(Bodies.Square(35.5, 35.8));
        body["details"] = new System.Text.Json.Nodes.JsonObject { ["mission"] = "SECRET-STRIKE" };
        await blue.Post("v1/operations", body);
        var e = await redStream.NextAsync();
        Assert.Equal("operation", e.Type);
        Assert.DoesNotContain("SECRET-STRIKE", e.Data.ToJsonString(), StringComparison.Ordinal);
        Assert.Null(e.Data["operation"]!["details"]);
    }

    [Fact]
    public async Task Reconnecting_with_Last_Event_ID_resumes_after_it_with_nothing_lost_or_repeated()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");

        // Ten operations by each side at the same place: many events, several conflicts.
        var firstHalf = new List<SseEvent>();
        // -1: from the first event (ids are record indexes, from 0).
        await using (var stream = await SseClient.ConnectAsync(red, "-1"))
        {
            for (var i = 0; i < 5; i++)
            {
                await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(35.5, 35.8 + (i * 0.001))));
                await red.Post("v1/operations", Bodies.Operation(Bodies.Square(35.5, 35.8 + (i * 0.001))));
            }

            for (var i = 0; i < 6; i++)
            {
                firstHalf.Add(await stream.NextAsync());
            }
        }

        for (var i = 0; i < 5; i++)
        {
            await red.Post("v1/operations", Bodies.Operation(Bodies.Square(35.5, 35.9)));
        }

        var expected = server.OpenStore().ReadEvents(0, new Core.Model.Caller("red", Core.Model.PartyRole.Party, "t"), 10_000);
        await using var resumed = await SseClient.ConnectAsync(red, firstHalf[^1].Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var rest = new List<SseEvent>();
        while (firstHalf.Count + rest.Count < expected.Count)
        {
            rest.Add(await resumed.NextAsync());
        }

        Assert.Equal(expected.Select(e => e.Sequence - 1), firstHalf.Concat(rest).Select(e => e.Id));
        Assert.Equal(expected.Select(e => e.Type), firstHalf.Concat(rest).Select(e => e.Type));
        // 15 operations (public). Interleaved, red's i-th meets blue's 0..i (1+2+3+4+5) and blue's
        // i-th meets red's 0..i-1 (0+1+2+3+4); red's last five meet all five of blue's: 15 + 10 + 25.
        Assert.Equal(15, expected.Count(e => e.Type == "operation"));
        Assert.Equal(50, expected.Count(e => e.Type == "conflict"));
    }

    [Fact]
    public async Task A_bad_Last_Event_ID_is_refused()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        var request = new HttpRequestMessage(HttpMethod.Get, "v1/events");
        request.Headers.TryAddWithoutValidation("Last-Event-ID", "yesterday");
        var response = await blue.SendAsync(request);
        Assert.Equal(400, (int)response.StatusCode);
        Assert.Contains("invalid-parameter", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
