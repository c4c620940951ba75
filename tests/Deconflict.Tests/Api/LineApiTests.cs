using System.Text.Json.Nodes;
using Deconflict.Line;
using Deconflict.Service;
using Deconflict.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Deconflict.Tests.Api;

/// <summary>
/// The deconfliction line on a real server with a fake clock: acknowledgement clocks and their
/// escalation, both sides' streams, a restart with pending clocks, references the sender may not
/// see, and idempotent retries.
/// </summary>
public sealed class LineApiTests
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 8, 0, 0, TimeSpan.Zero);

    // Ticks far apart: the tests drive the clock with RunOnceAsync at exact times.
    private static readonly DeconflictOptions Options = new()
    {
        Line = new LineOptions(AckWithinS: 300, MinAckWithinS: 5, MaxAckWithinS: 3600, EscalationIntervalS: 120, MaxEscalationLevel: 3),
        LineClockTick = TimeSpan.FromDays(30),
        ExpirySweepInterval = TimeSpan.FromDays(30),
    };

    [Fact]
    public async Task An_acknowledgement_in_time_stops_the_clock_and_a_missed_one_escalates_to_the_maximum_on_both_streams()
    {
        var clock = new FakeTimeProvider(T0);
        await using var server = await TestServer.StartAsync(Options, clock);
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");
        await using var blueStream = await SseClient.ConnectAsync(blue);
        await using var redStream = await SseClient.ConnectAsync(red);
        var line = server.Get<LineClockService>();

        var inTime = await Send(blue, new JsonObject { ["to"] = new JsonArray("red"), ["subject"] = "Tanker track", ["body"] = "Moving the tanker track 20 NM north at 0900Z.", ["language"] = "en", ["requires_ack"] = true, ["ack_within_s"] = 60 });
        Assert.Equal(201, inTime.Status);
        var inTimeId = inTime.Body!["id"]!.GetValue<string>();
        Assert.Equal("2030-01-01T08:01:00Z", inTime.Body["ack_due_at"]!.GetValue<string>());
        Assert.Equal(0, inTime.Body["receipts"]!["red"]!["escalation_level"]!.GetValue<int>());

        clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(0, await line.RunOnceAsync());
        var ack = await red.Post($"v1/line/messages/{inTimeId}/acknowledge", new { by = "Maj. Volkov", note = "understood" });
        Assert.Equal(200, ack.Status);
        Assert.Equal("Maj. Volkov", ack.Body!["receipts"]!["red"]!["acknowledged_by"]!.GetValue<string>());
        Assert.Equal("2030-01-01T08:00:59Z", ack.Body["receipts"]!["red"]!["acknowledged_at"]!.GetValue<string>());
        clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(0, await line.RunOnceAsync());

        // Sent at 09:00:59; due at 09:01:59 (60 s), then every 120 s up to level 3.
        var missed = await Send(blue, new JsonObject { ["to"] = new JsonArray("red"), ["subject"] = "Request", ["body"] = "Confirm your CAP will stay east of the river.", ["requires_ack"] = true, ["ack_within_s"] = 60 });
        var missedId = missed.Body!["id"]!.GetValue<string>();
        var sentAt = clock.GetUtcNow();
        clock.Advance(TimeSpan.FromSeconds(59.999));
        Assert.Equal(0, await line.RunOnceAsync());
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, await line.RunOnceAsync());
        clock.Advance(TimeSpan.FromSeconds(120));
        Assert.Equal(1, await line.RunOnceAsync());
        clock.Advance(TimeSpan.FromSeconds(120));
        Assert.Equal(1, await line.RunOnceAsync());
        clock.Advance(TimeSpan.FromHours(5));
        Assert.Equal(0, await line.RunOnceAsync());

        var late = await red.Post($"v1/line/messages/{missedId}/acknowledge", new { by = "Lt. Col. Orlov" });
        var receipt = late.Body!["receipts"]!["red"]!;
        Assert.True(DateTimeOffset.Parse(receipt["delivered_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) < DateTimeOffset.Parse(receipt["acknowledged_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture), "delivered by the stream push, before the acknowledgement");
        Assert.Equal(3, receipt["escalation_level"]!.GetValue<int>());
        Assert.Null(receipt["due_at"]);
        Assert.NotNull(receipt["acknowledged_at"]);

        foreach (var stream in new[] { blueStream, redStream })
        {
            var events = await stream.UntilAsync(e => e.Type == "line-receipt" && e.Data["message_id"]!.GetValue<string>() == missedId && e.Data["action"]!.GetValue<string>() == "acknowledged");
            var overdue = events.Where(e => e.Type == "line-overdue").ToList();
            Assert.Equal([1, 2, 3], overdue.Select(e => e.Data["escalation_level"]!.GetValue<int>()));
            Assert.Equal(
                [sentAt.AddSeconds(60), sentAt.AddSeconds(180), sentAt.AddSeconds(300)],
                overdue.Select(e => DateTimeOffset.Parse(e.Data["due_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture)));
            // Pushing a message to red's stream delivers it: a delivered receipt, recorded as the
            // stream writes, so its place among the other events depends on timing.
            Assert.Contains(events, e => e.Type == "line-receipt" && e.Data["action"]!.GetValue<string>() == "delivered" && e.Data["message_id"]!.GetValue<string>() == missedId);
            var steps = events.Where(e => !(e.Type == "line-receipt" && e.Data["action"]!.GetValue<string>() == "delivered")).Select(e => e.Type);
            Assert.Equal(["line-message", "line-receipt", "line-message", "line-overdue", "line-overdue", "line-overdue", "line-receipt"], steps);
            Assert.True(events.Zip(events.Skip(1)).All(p => p.First.Id < p.Second.Id), "in record order");
        }
    }

    [Fact]
    public async Task Pending_clocks_survive_a_restart_and_fire_at_their_own_due_times()
    {
        var directory = Path.Combine(Path.GetTempPath(), "deconflict-tests", Guid.NewGuid().ToString("N"));
        var clock = new FakeTimeProvider(T0);
        string id;
        string redToken;
        var first = await TestServer.StartAsync(Options, clock, directory);
        try
        {
            var blue = await first.AddPartyAsync("blue");
            var created = await first.Admin.Post("v1/parties", new { id = "red", name = "Red" });
            redToken = created.Body!["token"]!.GetValue<string>();
            var sent = await Send(blue, new JsonObject { ["to"] = new JsonArray("red"), ["subject"] = "s", ["body"] = "b", ["requires_ack"] = true, ["ack_within_s"] = 60 });
            id = sent.Body!["id"]!.GetValue<string>();
            clock.Advance(TimeSpan.FromSeconds(61));
            Assert.Equal(1, await first.Get<LineClockService>().RunOnceAsync());
        }
        finally
        {
            await first.DisposeAsyncKeepFiles();
        }

        // Down for ten minutes: levels 2 (due T0+180 s) and 3 (T0+300 s) were missed meanwhile.
        clock.Advance(TimeSpan.FromMinutes(10));
        await using var second = await TestServer.StartAsync(Options, clock, directory);
        // The clock service runs once at start-up, which fires both; running it again finds nothing more.
        await second.Get<LineClockService>().RunOnceAsync();
        Assert.Equal(0, await second.Get<LineClockService>().RunOnceAsync());
        var red = second.Client(redToken);
        var message = (await red.Get($"v1/line/messages/{id}")).Body!;
        Assert.Equal(3, message["receipts"]!["red"]!["escalation_level"]!.GetValue<int>());
        Assert.Equal("b", message["body"]!.GetValue<string>());
        var overdue = second.OpenStore().ReadEvents(0, new Core.Model.Caller(null, null, "admin"), 1000).Where(e => e.Type == "line-overdue").ToList();
        Assert.Equal(
            ["2030-01-01T08:01:00Z", "2030-01-01T08:03:00Z", "2030-01-01T08:05:00Z"],
            overdue.Select(e => JsonNode.Parse(e.PayloadJson)!["due_at"]!.GetValue<string>()));
    }

    [Fact]
    public async Task References_the_sender_may_not_see_and_bad_messages_are_refused_and_a_retry_creates_one_message()
    {
        await using var server = await TestServer.StartAsync(Options);
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");
        var green = await server.AddPartyAsync("green");
        await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(35.5, 35.8)));
        var redOp = await red.Post("v1/operations", Bodies.Operation(Bodies.Square(35.55, 35.85)));
        var conflictId = redOp.Body!["conflicts"]![0]!["id"]!.GetValue<string>();
        var opId = redOp.Body["operation"]!["id"]!.GetValue<string>();

        // Green is not a side of the blue/red conflict: as if it did not exist.
        var hidden = await Send(green, new JsonObject { ["to"] = new JsonArray("blue"), ["kind"] = "deconflict-request", ["subject"] = "s", ["body"] = "b", ["refs"] = new JsonArray(new JsonObject { ["kind"] = "conflict", ["id"] = conflictId }) });
        Assert.Equal("/refs/0", hidden.AssertProblem(400, "invalid-reference")["pointer"]!.GetValue<string>());
        (await Send(blue, new JsonObject { ["to"] = new JsonArray("red"), ["kind"] = "operation-notice", ["subject"] = "s", ["body"] = "b", ["refs"] = new JsonArray(new JsonObject { ["kind"] = "operation", ["id"] = "op-none" }) })).AssertProblem(400, "invalid-reference");
        (await Send(blue, new JsonObject { ["to"] = new JsonArray("red"), ["kind"] = "deconflict-request", ["subject"] = "s", ["body"] = "b" })).AssertProblem(400, "invalid-request");
        (await Send(blue, new JsonObject { ["to"] = new JsonArray("red"), ["kind"] = "unsafe-conduct", ["subject"] = "s", ["body"] = "b" })).AssertProblem(400, "invalid-request");
        (await Send(blue, new JsonObject { ["to"] = new JsonArray("blue"), ["subject"] = "s", ["body"] = "b" })).AssertProblem(400, "invalid-request");
        (await Send(blue, new JsonObject { ["to"] = new JsonArray("nobody"), ["subject"] = "s", ["body"] = "b" })).AssertProblem(400, "invalid-request");
        Assert.Equal("/ack_within_s", (await Send(blue, new JsonObject { ["to"] = new JsonArray("red"), ["subject"] = "s", ["body"] = "b", ["requires_ack"] = true, ["ack_within_s"] = 1 })).AssertProblem(400, "invalid-request")["pointer"]!.GetValue<string>());
        (await Send(blue, new JsonObject { ["to"] = new JsonArray("red"), ["subject"] = "s", ["body"] = "b", ["language"] = "english!" })).AssertProblem(400, "invalid-request");
        (await Send(blue, new JsonObject { ["to"] = new JsonArray("red"), ["subject"] = "s", ["body"] = new string('x', LineEndpoints.MaxBodyLength + 1) })).AssertProblem(413, "payload-too-large");
        Assert.Empty(server.OpenStore().ListMessages(null, true, 100, null).Items);

        // Valid references; an idempotent retry returns the same message.
        var request = new JsonObject
        {
            ["to"] = new JsonArray("red"),
            ["kind"] = "deconflict-request",
            ["subject"] = "Overlap at FL250",
            ["body"] = "Our CAP overlaps yours; can you move 10 NM east?",
            ["language"] = "en",
            ["refs"] = new JsonArray(new JsonObject { ["kind"] = "conflict", ["id"] = conflictId }, new JsonObject { ["kind"] = "operation", ["id"] = opId }),
        };
        var first = await Send(blue, request, "retry-1");
        var again = await Send(blue, request, "retry-1");
        Assert.Equal(201, first.Status);
        Assert.Equal(200, again.Status);
        Assert.Equal("true", again.Response.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(first.Body!["id"]!.GetValue<string>(), again.Body!["id"]!.GetValue<string>());
        Assert.Single(server.OpenStore().ListMessages(null, true, 100, null).Items);

        // Only the sender and the recipient see it; the recipient's first read marks it delivered.
        var id = first.Body["id"]!.GetValue<string>();
        (await green.Get($"v1/line/messages/{id}")).AssertProblem(404, "not-found");
        var read = await red.Get($"v1/line/messages/{id}");
        Assert.NotNull(read.Body!["receipts"]!["red"]!["delivered_at"]);
        Assert.Single((await red.Get("v1/line/messages?box=inbox")).Body!["items"]!.AsArray());
        Assert.Empty((await red.Get("v1/line/messages?box=sent")).Body!["items"]!.AsArray());
        Assert.Single((await blue.Get("v1/line/messages?box=sent")).Body!["items"]!.AsArray());
        var marked = await red.Post($"v1/line/messages/{id}/read", null);
        Assert.NotNull(marked.Body!["receipts"]!["red"]!["read_at"]);
        Assert.Null(marked.Body["receipts"]!["red"]!["acknowledged_at"]);
        (await blue.Post($"v1/line/messages/{id}/read", null)).AssertProblem(403, "forbidden");
        (await blue.Post($"v1/line/messages/{id}/acknowledge", new { by = "x" })).AssertProblem(403, "forbidden");
        (await red.Post($"v1/line/messages/{id}/acknowledge", new { by = "" })).AssertProblem(400, "invalid-request");
    }

    [Fact]
    public async Task A_new_conflict_sends_a_notice_and_acknowledging_either_acknowledges_both()
    {
        await using var server = await TestServer.StartAsync(Options with { Line = Options.Line with { ConflictNotices = true } });
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");
        await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(35.5, 35.8)));
        var first = (await red.Post("v1/operations", Bodies.Operation(Bodies.Square(35.55, 35.85)))).Body!["conflicts"]![0]!["id"]!.GetValue<string>();

        // Red's write opened the conflict: blue, the other side, gets the notice.
        var inbox = (await blue.Get("v1/line/messages?box=inbox")).Body!["items"]!.AsArray();
        var notice = Assert.Single(inbox)!;
        Assert.Equal(first, notice["notice_for"]!.GetValue<string>());
        Assert.Equal("red", notice["from"]!.GetValue<string>());
        Assert.Equal("deconflict-request", notice["kind"]!.GetValue<string>());
        Assert.True(notice["requires_ack"]!.GetValue<bool>());
        Assert.True((await red.Get("v1/config")).Body!["line"]!["conflict_notices"]!.GetValue<bool>());

        // Acknowledging the notice acknowledges the conflict for blue.
        await blue.Post($"v1/line/messages/{notice["id"]!.GetValue<string>()}/acknowledge", new { by = "Capt. Hale" });
        var conflict = (await blue.Get($"v1/conflicts/{first}")).Body!;
        Assert.NotNull(conflict["acknowledged_by"]!["blue"]);
        Assert.Null(conflict["acknowledged_by"]!["red"]);

        // And acknowledging a conflict acknowledges its notice.
        await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(35.6, 35.9)));
        var second = (await red.Get("v1/conflicts?state=open")).Body!["items"]!.AsArray().Select(c => c!["id"]!.GetValue<string>()).Single(id => id != first);
        var secondNotice = (await red.Get("v1/line/messages?box=inbox")).Body!["items"]!.AsArray().Single(m => m!["notice_for"]!.GetValue<string>() == second)!;
        Assert.Equal("blue", secondNotice["from"]!.GetValue<string>());
        await red.Post($"v1/conflicts/{second}/acknowledge", new { note = "seen" });
        var receipt = (await red.Get($"v1/line/messages/{secondNotice["id"]!.GetValue<string>()}")).Body!["receipts"]!["red"]!;
        Assert.NotNull(receipt["acknowledged_at"]);
        Assert.Equal("seen", receipt["note"]!.GetValue<string>());
    }

    [Fact]
    public async Task Escalation_webhooks_are_signed_retried_with_backoff_and_every_attempt_is_recorded()
    {
        // A local receiver: the first call fails with 500, later ones succeed.
        var received = new System.Collections.Concurrent.ConcurrentQueue<(string Body, string Signature)>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        await using var receiver = builder.Build();
        receiver.MapPost("/hook", async (HttpContext http) =>
        {
            using var reader = new StreamReader(http.Request.Body);
            received.Enqueue((await reader.ReadToEndAsync(), http.Request.Headers["Deconflict-Signature"].ToString()));
            return received.Count == 1 ? Results.StatusCode(500) : Results.Ok();
        });
        await receiver.StartAsync();
        var hook = receiver.Urls.First() + "/hook";

        var clock = new FakeTimeProvider(T0);
        // The admin allows http to this machine's receiver: targets are https and public otherwise (WebhookSecurityTests).
        var webhooks = new WebhookOptions { AllowHttp = true, Allow = ["127.0.0.1"] };
        await using var server = await TestServer.StartAsync(Options with { WebhookAttempts = 3, WebhookFirstRetry = TimeSpan.FromSeconds(1), Webhooks = webhooks }, clock);
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");
        Assert.Equal(200, (await red.Send(HttpMethod.Put, "v1/parties/red/escalation", new { contacts = new[] { new { level = 1, url = hook } } })).Status);
        Assert.Equal(200, (await blue.Send(HttpMethod.Put, "v1/parties/blue/escalation", new { contacts = new[] { new { level = 1, url = "http://127.0.0.1:1/closed" } } })).Status);
        (await blue.Send(HttpMethod.Put, "v1/parties/red/escalation", new { contacts = Array.Empty<object>() })).AssertProblem(403, "forbidden");
        (await red.Send(HttpMethod.Put, "v1/parties/red/escalation", new { contacts = new[] { new { level = 9, url = hook } } })).AssertProblem(400, "invalid-request");
        (await red.Send(HttpMethod.Put, "v1/parties/red/escalation", new { contacts = new[] { new { level = 1, url = "ftp://x" } } })).AssertProblem(400, "invalid-webhook");

        var sent = await Send(blue, new JsonObject { ["to"] = new JsonArray("red"), ["subject"] = "s", ["body"] = "b", ["requires_ack"] = true, ["ack_within_s"] = 60 });
        clock.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(1, await server.Get<LineClockService>().RunOnceAsync());

        // Drive the fake clock through the backoff until red's hook succeeded and blue's gave up.
        var store = server.OpenStore();
        var admin = new Core.Model.Caller(null, null, "admin");
        List<JsonNode> calls = [];
        for (var i = 0; i < 600 && calls.Count < 5; i++)
        {
            await Task.Delay(50);
            clock.Advance(TimeSpan.FromSeconds(1));
            calls = [.. store.ReadEvents(0, admin, 1000).Where(e => e.Type == "line-escalation-call").Select(e => JsonNode.Parse(e.PayloadJson)!)];
        }

        var redCalls = calls.Where(c => c["party"]!.GetValue<string>() == "red").ToList();
        var blueCalls = calls.Where(c => c["party"]!.GetValue<string>() == "blue").ToList();
        Assert.Equal([(1, false, "http-status", 500), (2, true, "delivered", 200)], redCalls.Select(c => (c["attempt"]!.GetValue<int>(), c["ok"]!.GetValue<bool>(), c["outcome"]!.GetValue<string>(), c["status"]!.GetValue<int>())));
        Assert.Equal([(1, "connect-failed"), (2, "connect-failed"), (3, "connect-failed")], blueCalls.Select(c => (c["attempt"]!.GetValue<int>(), c["outcome"]!.GetValue<string>())));
        Assert.All(blueCalls, c => Assert.False(c["ok"]!.GetValue<bool>()));
        Assert.Equal(sent.Body!["id"]!.GetValue<string>(), redCalls[0]["escalation"]!["message_id"]!.GetValue<string>());

        // Each delivery is signed with the webhook key over the exact body.
        var (_, publicKey) = Core.Record.SignedNote.ParseVerifierKey(await (await server.Admin.GetAsync("v1/line/webhook-key")).Content.ReadAsStringAsync())!.Value;
        Assert.Equal(2, received.Count);
        foreach (var (body, signature) in received)
        {
            var parts = signature.Split(',').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
            Assert.True(Core.Record.SignedNote.Verify(publicKey, System.Text.Encoding.UTF8.GetBytes(body), Convert.FromBase64String(parts["ed25519"])));
            Assert.Equal(1, JsonNode.Parse(body)!["escalation_level"]!.GetValue<int>());
        }
    }

    private static async Task<(int Status, JsonNode? Body, HttpResponseMessage Response)> Send(HttpClient client, JsonObject body, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/line/messages") { Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json") };
        if (idempotencyKey is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        }

        var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text), response);
    }
}
