using System.Text.Json.Nodes;
using Deconflict.Service;
using Deconflict.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Deconflict.Tests.Cli;

/// <summary>`deconflict events follow`, as the real executable against a real server.</summary>
public sealed class EventsCliTests
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Each_change_is_one_line_with_its_time_index_and_summary_and_ctrl_c_ends_it_with_exit_0()
    {
        var clock = new FakeTimeProvider(T0);
        await using var server = await TestServer.StartAsync(new DeconflictOptions { LineClockTick = TimeSpan.FromDays(30), ExpirySweepInterval = TimeSpan.FromDays(30) }, clock);
        var (blue, blueToken) = await LineCliTests.Party(server, "blue");
        var (red, _) = await LineCliTests.Party(server, "red");

        using var follower = CliFollower.Start(server.BaseAddress, blueToken, "events", "follow");
        await follower.LineAsync(l => l == "Following the event stream (Ctrl+C to stop)...");

        var op = await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(35, 39, start: T0.AddHours(1), end: T0.AddHours(2))));
        var opId = op.Body!["operation"]!["id"]!.GetValue<string>();
        var opIndex = op.Body["operation"]!["record_index"]!.GetValue<long>();
        var redOp = await red.Post("v1/operations", Bodies.Operation(Bodies.Square(35, 39, start: T0.AddHours(1), end: T0.AddHours(2))));
        var conflict = redOp.Body!["conflicts"]![0]!;
        var message = await red.Post("v1/line/messages", new JsonObject { ["to"] = new JsonArray("blue"), ["subject"] = "Tanker track", ["body"] = "Moving north." });
        var messageId = message.Body!["id"]!.GetValue<string>();
        var messageIndex = message.Body["record_index"]!.GetValue<long>();

        Assert.Equal($"2030-01-01T08:00:00Z #{opIndex} operation {opId} v1 planned (blue) created", await follower.LineAsync(l => l.Contains($"#{opIndex} ", StringComparison.Ordinal)));
        var conflictIndex = conflict["record_index"]!.GetValue<long>();
        Assert.Equal(
            $"2030-01-01T08:00:00Z #{conflictIndex} conflict {conflict["id"]} open: {conflict["a"]!["id"]} ({conflict["a"]!["party"]}) x {conflict["b"]!["id"]} ({conflict["b"]!["party"]}), opened by red",
            await follower.LineAsync(l => l.Contains($"#{conflictIndex} ", StringComparison.Ordinal)));
        Assert.Equal($"2030-01-01T08:00:00Z #{messageIndex} line-message {messageId} from red to blue: Tanker track", await follower.LineAsync(l => l.Contains($"#{messageIndex} ", StringComparison.Ordinal)));
        Assert.Equal($"2030-01-01T08:00:00Z #{messageIndex + 1} line-receipt {messageId}: blue delivered", await follower.LineAsync(l => l.Contains($"#{messageIndex + 1} ", StringComparison.Ordinal)));
        Assert.Equal(0, await follower.InterruptAsync());
        Assert.Empty(follower.Err);

        // From an index, of some types, as NDJSON: each line is the event's JSON as the stream sent it.
        using var json = CliFollower.Start(server.BaseAddress, blueToken, "events", "follow", "--from", "0", "--types", "operation,line-message", "--json");
        var last = JsonNode.Parse(await json.LineAsync(l => l.Contains($"\"id\":{messageIndex},", StringComparison.Ordinal)))!;
        Assert.Equal(0, await json.InterruptAsync());
        var events = json.Out.Where(l => l.Length > 0).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal([opIndex, redOp.Body["operation"]!["record_index"]!.GetValue<long>(), messageIndex], events.Select(e => e["id"]!.GetValue<long>()));
        Assert.Equal(["operation", "operation", "line-message"], events.Select(e => e["type"]!.GetValue<string>()));
        Assert.Equal(messageId, last["data"]!["message"]!["id"]!.GetValue<string>());
        Assert.Equal(["Following the event stream (Ctrl+C to stop)..."], json.Err);
    }

    [Fact]
    public async Task A_follower_resumes_after_the_server_restarts_and_prints_every_event_once_in_order()
    {
        var directory = Path.Combine(Path.GetTempPath(), "deconflict-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var db = Path.Combine(directory, "deconflict.db");
        try
        {
            using var server = await ServerProcess.StartAsync(db, TestServer.AdminSecret);
            var address = server.BaseAddress;
            string blueToken;
            string redToken;
            using (var admin = Client(address, TestServer.AdminSecret))
            {
                blueToken = (await admin.Post("v1/parties", new { id = "blue", name = "blue" })).Body!["token"]!.GetValue<string>();
                redToken = (await admin.Post("v1/parties", new { id = "red", name = "red" })).Body!["token"]!.GetValue<string>();
            }

            using var follower = CliFollower.Start(address, blueToken, "events", "follow", "--json");
            await follower.LineAsync(l => l == "Following the event stream (Ctrl+C to stop)...", error: true);
            var before = await Changes(address, blueToken, redToken, "before");
            await follower.LineAsync(l => l.Contains($"\"id\":{before},", StringComparison.Ordinal));

            // The server goes away without a word (SIGKILL), and comes back on the same database and port.
            server.Kill();
            using var restarted = await ServerProcess.StartAsync(db, TestServer.AdminSecret, address.Port);
            var after = await Changes(address, blueToken, redToken, "after");
            await follower.LineAsync(l => l.Contains($"\"id\":{after},", StringComparison.Ordinal));
            var resumed = await follower.LineAsync(l => l.StartsWith("reconnected, resuming after ", StringComparison.Ordinal), error: true);
            Assert.Equal(0, await follower.InterruptAsync());

            var seen = follower.Out.Where(l => l.Length > 0).Select(l => JsonNode.Parse(l)!["id"]).Where(id => id is not null).Select(id => id!.GetValue<long>()).ToList();
            Assert.Equal(seen.Distinct().Order(), seen);
            Assert.Contains(long.Parse(resumed["reconnected, resuming after ".Length..], System.Globalization.CultureInfo.InvariantCulture), seen);

            // Exactly the events an uninterrupted reader gets, from the first the follower saw to its last.
            using var whole = CliFollower.Start(address, blueToken, "events", "follow", "--from", seen[0].ToString(System.Globalization.CultureInfo.InvariantCulture), "--json");
            await whole.LineAsync(l => l.Contains($"\"id\":{seen[^1]},", StringComparison.Ordinal));
            Assert.Equal(0, await whole.InterruptAsync());
            var all = whole.Out.Where(l => l.Length > 0).Select(l => JsonNode.Parse(l)!["id"]).Where(id => id is not null).Select(id => id!.GetValue<long>()).ToList();
            Assert.Equal(all.TakeWhile(i => i <= seen[^1]), seen);
        }
        finally
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>Blue declares an operation and red sends blue a line message; returns the message's record index.</summary>
    private static async Task<long> Changes(Uri address, string blueToken, string redToken, string label)
    {
        using var blue = Client(address, blueToken);
        using var red = Client(address, redToken);
        var start = DateTimeOffset.UtcNow.AddHours(1);
        Assert.Equal(201, (await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(35, 39, start: start, end: start.AddHours(1))))).Status);
        var sent = await red.Post("v1/line/messages", new JsonObject { ["to"] = new JsonArray("blue"), ["subject"] = label, ["body"] = label });
        Assert.Equal(201, sent.Status);
        return sent.Body!["record_index"]!.GetValue<long>();
    }

    private static HttpClient Client(Uri address, string token)
    {
        var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}
