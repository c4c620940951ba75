using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Deconflict.Line;
using Deconflict.Service;
using Deconflict.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Deconflict.Tests.Cli;

/// <summary>
/// `deconflict line send|inbox|sent|show|ack` as the real executable against a real server whose
/// clock the test drives: the acknowledgement clocks are counted on the server's time, so every
/// "in 3m 20s" and "OVERDUE 30s" below is exact.
/// </summary>
public sealed partial class LineCliTests
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 8, 0, 0, TimeSpan.Zero);

    // Ticks far apart: the test escalates with RunOnceAsync at exact times.
    private static readonly DeconflictOptions Options = new()
    {
        Line = new LineOptions(AckWithinS: 300, MinAckWithinS: 5, MaxAckWithinS: 3600, EscalationIntervalS: 120, MaxEscalationLevel: 3),
        LineClockTick = TimeSpan.FromDays(30),
        ExpirySweepInterval = TimeSpan.FromDays(30),
    };

    [Fact]
    public async Task The_inbox_shows_the_clock_and_the_receipt_and_changes_after_an_acknowledgement()
    {
        var clock = new FakeTimeProvider(T0);
        await using var server = await TestServer.StartAsync(Options, clock);
        var (blue, blueToken) = await Party(server, "blue");
        var (red, redToken) = await Party(server, "red");
        var op = await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(35, 39, start: T0.AddHours(1), end: T0.AddHours(2))));
        var opId = op.Body!["operation"]!["id"]!.GetValue<string>();

        // Sent at 08:00:00, due 08:05:00; the body from a file, with a reference.
        var file = Path.Combine(server.Directory, "notice.txt");
        await File.WriteAllTextAsync(file, "Moving the tanker track 20 NM north at 0900Z.\nCallsign SHELL 71.");
        var first = await CliTests.Run(server, blueToken, "line", "send", "--to", "red", "--kind", "operation-notice", "--ref", $"operation:{opId}", "--subject", "Tanker track", "--body-file", file, "--ack-within", "5m");
        Assert.True(first.Exit == 0, first.Err);
        var id1 = MessageId().Match(first.Out).Value;
        Assert.Equal($"Message {id1} sent to red, acknowledgement due by 2030-01-01T08:05:00Z.", first.Out.Trim());

        // Sent at 08:00:10, due 08:01:10 (60 s), the body from standard input; escalated at 08:01:40.
        clock.Advance(TimeSpan.FromSeconds(10));
        var second = await RunWithInput(server, blueToken, "Confirm your CAP will stay east of the river.", "line", "send", "--to", "red", "--subject", "Request", "--body", "-", "--ack-within", "60", "--json");
        Assert.True(second.Exit == 0, second.Err);
        var id2 = JsonNode.Parse(second.Out)!["id"]!.GetValue<string>();
        clock.Advance(TimeSpan.FromSeconds(90));
        Assert.Equal(1, await server.Get<LineClockService>().RunOnceAsync());

        var before = await CliTests.Run(server, redToken, "line", "inbox");
        Assert.Equal(0, before.Exit);
        AssertTable(before.Out,
            ["ID", "FROM", "KIND", "SUBJECT", "SENT", "ACK DUE", "STATE"],
            [id1, "blue", "operation-notice", "Tanker track", "2030-01-01T08:00:00Z", "in 3m 20s", "unread"],
            [id2, "blue", "free-text", "Request", "2030-01-01T08:00:10Z", "OVERDUE 30s", "overdue level 1"]);

        var ack = await CliTests.Run(server, redToken, "line", "ack", id1, "--by", "Maj. Volkov", "--note", "understood");
        Assert.Equal($"Message {id1} acknowledged by Maj. Volkov.", ack.Out.Trim());

        var after = await CliTests.Run(server, redToken, "line", "inbox");
        AssertTable(after.Out,
            ["ID", "FROM", "KIND", "SUBJECT", "SENT", "ACK DUE", "STATE"],
            [id1, "blue", "operation-notice", "Tanker track", "2030-01-01T08:00:00Z", "-", "acknowledged by Maj. Volkov"],
            [id2, "blue", "free-text", "Request", "2030-01-01T08:00:10Z", "OVERDUE 30s", "overdue level 1"]);
        var pending = await CliTests.Run(server, redToken, "line", "inbox", "--state", "pending");
        AssertTable(pending.Out,
            ["ID", "FROM", "KIND", "SUBJECT", "SENT", "ACK DUE", "STATE"],
            [id2, "blue", "free-text", "Request", "2030-01-01T08:00:10Z", "OVERDUE 30s", "overdue level 1"]);

        var sent = await CliTests.Run(server, blueToken, "line", "sent");
        Assert.Equal(0, sent.Exit);
        AssertTable(sent.Out,
            ["ID", "TO", "KIND", "SUBJECT", "SENT", "ACK DUE", "RECEIPTS"],
            [id1, "red", "operation-notice", "Tanker track", "2030-01-01T08:00:00Z", "-", "red: acknowledged by Maj. Volkov"],
            [id2, "red", "free-text", "Request", "2030-01-01T08:00:10Z", "OVERDUE 30s", "red: overdue level 1"]);

        // Shown to its recipient, the message is read (at 08:01:40); the body is printed whole.
        var shown = await CliTests.Run(server, redToken, "line", "show", id2);
        Assert.Equal(0, shown.Exit);
        var lines = shown.Out.TrimEnd().Split(Environment.NewLine);
        Assert.Equal(
            [
                $"Message  {id2}", "From     blue", "To       red", "Kind     free-text (en)", "Subject  Request", "Sent     2030-01-01T08:00:10Z",
                "Refs     none", "Ack due  2030-01-01T08:01:10Z (OVERDUE 30s)", string.Empty,
            ],
            lines[..9]);
        AssertTable(string.Join(Environment.NewLine, lines[9..11]),
            ["RECIPIENT", "STATE", "DELIVERED", "READ", "ACKNOWLEDGED", "BY", "LEVEL", "CLOCK", "NOTE"],
            ["red", "overdue level 1", "2030-01-01T08:01:40Z", "2030-01-01T08:01:40Z", "-", "-", "1", "overdue by 30s, next escalation 2030-01-01T08:03:10Z", "-"]);
        Assert.Equal([string.Empty, "Confirm your CAP will stay east of the river."], lines[11..]);

        var shownFirst = await CliTests.Run(server, blueToken, "line", "show", id1);
        var firstLines = shownFirst.Out.TrimEnd().Split(Environment.NewLine);
        Assert.Contains($"Refs     operation:{opId}", firstLines);
        Assert.Contains("Ack due  2030-01-01T08:05:00Z (acknowledged by every recipient)", firstLines);
        AssertTable(string.Join(Environment.NewLine, firstLines[9..11]),
            ["RECIPIENT", "STATE", "DELIVERED", "READ", "ACKNOWLEDGED", "BY", "LEVEL", "CLOCK", "NOTE"],
            ["red", "acknowledged by Maj. Volkov", "2030-01-01T08:01:40Z", "2030-01-01T08:01:40Z", "2030-01-01T08:01:40Z", "Maj. Volkov", "0", "-", "understood"]);
        Assert.Equal(["Moving the tanker track 20 NM north at 0900Z.", "Callsign SHELL 71."], firstLines[^2..]);

        // --json gives the API's objects as they are.
        Assert.True(JsonNode.DeepEquals((await blue.Get($"v1/line/messages/{id1}")).Body, JsonNode.Parse((await CliTests.Run(server, blueToken, "line", "show", id1, "--json")).Out)));
        Assert.True(JsonNode.DeepEquals((await red.Get("v1/line/messages?box=inbox")).Body, JsonNode.Parse((await CliTests.Run(server, redToken, "line", "inbox", "--json")).Out)));
        Assert.True(JsonNode.DeepEquals((await blue.Get("v1/line/messages?box=sent")).Body, JsonNode.Parse((await CliTests.Run(server, blueToken, "line", "sent", "--json")).Out)));
    }

    [Fact]
    public async Task Following_the_inbox_prints_each_message_receipt_and_overdue_notice_as_it_happens()
    {
        var clock = new FakeTimeProvider(T0);
        await using var server = await TestServer.StartAsync(Options, clock);
        var (blue, blueToken) = await Party(server, "blue");
        var (red, redToken) = await Party(server, "red");
        using var follower = CliFollower.Start(server.BaseAddress, redToken, "line", "inbox", "--follow");
        Assert.Equal("(none)", await follower.LineAsync(_ => true));
        await follower.LineAsync(l => l == "Following the line (Ctrl+C to stop)...");

        var sent = await blue.Post("v1/line/messages", new JsonObject { ["to"] = new JsonArray("red"), ["subject"] = "Request", ["body"] = "Confirm.", ["ack_within_s"] = 60 });
        var id = sent.Body!["id"]!.GetValue<string>();
        var index = sent.Body["record_index"]!.GetValue<long>();
        Assert.Equal($"2030-01-01T08:00:00Z #{index} line-message {id} from blue to red: Request", await follower.LineAsync(l => l.Contains($"#{index} ", StringComparison.Ordinal)));
        Assert.Equal($"2030-01-01T08:00:00Z #{index + 1} line-receipt {id}: red delivered", await follower.LineAsync(l => l.Contains($"#{index + 1} ", StringComparison.Ordinal)));

        clock.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(1, await server.Get<LineClockService>().RunOnceAsync());
        Assert.Equal($"2030-01-01T08:01:00Z #{index + 2} line-overdue {id}: red has not acknowledged \"Request\" from blue, escalation level 1", await follower.LineAsync(l => l.Contains($"#{index + 2} ", StringComparison.Ordinal)));
        Assert.Equal(200, (await red.Post($"v1/line/messages/{id}/acknowledge", new { by = "Maj. Volkov" })).Status);
        Assert.Equal($"2030-01-01T08:01:00Z #{index + 3} line-receipt {id}: red acknowledged by Maj. Volkov", await follower.LineAsync(l => l.Contains($"#{index + 3} ", StringComparison.Ordinal)));
        Assert.Equal(0, await follower.InterruptAsync());
        Assert.Empty(follower.Err);
    }

    [Fact]
    public async Task A_message_to_several_parties_shows_each_recipient_its_own_receipt_and_the_sender_all_of_them()
    {
        var clock = new FakeTimeProvider(T0);
        await using var server = await TestServer.StartAsync(Options, clock);
        var (_, blueToken) = await Party(server, "blue");
        var (_, redToken) = await Party(server, "red");
        var (_, greenToken) = await Party(server, "green");
        var sent = await CliTests.Run(server, blueToken, "line", "send", "--to", "red", "green", "--subject", "Corridor", "--body", "Corridor open 0900-1000Z.", "--requires-ack", "--json");
        Assert.True(sent.Exit == 0, sent.Err);
        var id = JsonNode.Parse(sent.Out)!["id"]!.GetValue<string>();
        Assert.Equal($"Message {id} acknowledged by Capt. Haddad.", (await CliTests.Run(server, greenToken, "line", "ack", id, "--by", "Capt. Haddad")).Out.Trim());

        // Both inboxes hold the one message to red and green: each shows its own receipt (default ack_within_s 300).
        string[] header = ["ID", "FROM", "KIND", "SUBJECT", "SENT", "ACK DUE", "STATE"];
        AssertTable((await CliTests.Run(server, redToken, "line", "inbox")).Out, header, [id, "blue", "free-text", "Corridor", "2030-01-01T08:00:00Z", "in 5m 0s", "unread"]);
        AssertTable((await CliTests.Run(server, greenToken, "line", "inbox")).Out, header, [id, "blue", "free-text", "Corridor", "2030-01-01T08:00:00Z", "-", "acknowledged by Capt. Haddad"]);
        AssertTable(
            (await CliTests.Run(server, blueToken, "line", "sent")).Out,
            ["ID", "TO", "KIND", "SUBJECT", "SENT", "ACK DUE", "RECEIPTS"],
            [id, "green, red", "free-text", "Corridor", "2030-01-01T08:00:00Z", "in 5m 0s", "green: acknowledged by Capt. Haddad; red: not delivered"]);
    }

    [Fact]
    public async Task Each_mistake_gets_one_plain_line_and_changes_nothing()
    {
        var clock = new FakeTimeProvider(T0);
        await using var server = await TestServer.StartAsync(Options, clock);
        var (_, blueToken) = await Party(server, "blue");
        var (red, redToken) = await Party(server, "red");
        var sentBefore = (await red.Get("v1/line/messages?box=inbox")).Body!.ToJsonString();
        var lastBefore = (await server.Admin.Get("healthz")).Body!["last_event"]!.GetValue<long>();

        string[] send = ["line", "send", "--to", "red", "--subject", "s"];
        var mistakes = new (string[] Args, int Exit, string Message)[]
        {
            (["line", "show", "msg-none"], 1, "404 not-found: No message 'msg-none' that you may see."),
            (["line", "ack", "msg-none", "--by", "Maj. Volkov"], 1, "404 not-found: No message 'msg-none' that you may see."),
            (["line", "ack", "msg-none"], 2, "line ack needs --by NAME: the officer who acknowledges, for the record."),
            ([.. send, "--body", "b", "--ack-within", "2"], 1, "--ack-within must be between 5 s and 3600 s (the agreed bounds, GET /v1/config); 2 s is not."),
            ([.. send, "--body", "b", "--ack-within", "soon"], 2, "--ack-within must be a positive time in seconds, or with a unit (90s, 5m, 1h); 'soon' is not one."),
            ([.. send, "--body", "b", "--ref", "conflict"], 2, "--ref must be kind:id with kind operation, zone, conflict, alert, like conflict:cf-123; 'conflict' is not."),
            ([.. send, "--body", "b", "--ref", "ship:x"], 2, "--ref must be kind:id with kind operation, zone, conflict, alert, like conflict:cf-123; 'ship:x' is not."),
            ([.. send, "--body", "b", "--kind", "memo"], 2, "--kind must be free-text, operation-notice, deconflict-request, unsafe-conduct; 'memo' is not one."),
            ([.. send, "--body", "b", "--place", "35,39"], 2, "--place must be LAT,LNG,TIME (degrees, then an RFC 3339 time), like 35.1,38.9,2026-11-26T09:12:00Z; '35,39' is not."),
            (send, 2, "Give the body with --body TEXT or --body-file FILE (one of them; '-' reads standard input)."),
            ([.. send, "--body", "b", "--body-file", "x.txt"], 2, "Give the body with --body TEXT or --body-file FILE (one of them; '-' reads standard input)."),
            ([.. send, "--body-file", Path.Combine(server.Directory, "none.txt")], 1, $"Cannot read the body from {Path.Combine(server.Directory, "none.txt")}: there is no such file."),
            (["line", "inbox", "--state", "open"], 2, "--state must be pending or acknowledged, not 'open'."),
            (["line", "sent", "--state", "unread"], 2, "--state must be pending or acknowledged, not 'unread'."),
        };
        foreach (var (args, exit, message) in mistakes)
        {
            var result = await CliTests.Run(server, args[1] is "ack" or "show" ? redToken : blueToken, args);
            Assert.True(exit == result.Exit, $"{string.Join(' ', args)}: exit {result.Exit}, {result.Err}");
            AssertPlainError(result.Err, message);
            Assert.Equal(string.Empty, result.Out.Trim());
        }

        Assert.Equal(sentBefore, (await red.Get("v1/line/messages?box=inbox")).Body!.ToJsonString());
        Assert.Equal(lastBefore, (await server.Admin.Get("healthz")).Body!["last_event"]!.GetValue<long>());
    }

    /// <summary>Exactly this one line on standard error: no stack trace, no .NET type name.</summary>
    internal static void AssertPlainError(string err, string message)
    {
        Assert.Equal([message], err.TrimEnd().Split(Environment.NewLine));
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", err, StringComparison.Ordinal);
        Assert.DoesNotContain("Deconflict.", err, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", err, StringComparison.Ordinal);
    }

    /// <summary>A table exactly: its header and rows, columns two or more spaces apart.</summary>
    internal static void AssertTable(string text, string[] header, params string[][] rows)
    {
        var lines = text.TrimEnd().Split(Environment.NewLine);
        Assert.Equal([header, .. rows], lines.Select(l => Columns().Split(l.TrimEnd())).ToArray());
    }

    internal static async Task<(HttpClient Client, string Token)> Party(TestServer server, string id)
    {
        var created = await server.Admin.Post("v1/parties", new { id, name = id });
        var token = created.Body!["token"]!.GetValue<string>();
        return (server.Client(token), token);
    }

    /// <summary>Runs the CLI with <paramref name="input"/> on its standard input.</summary>
    private static async Task<(int Exit, string Out, string Err)> RunWithInput(TestServer server, string token, string input, params string[] args)
    {
        var info = CliTests.Command(server.BaseAddress, token, args);
        info.RedirectStandardInput = true;
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.StandardInput.WriteAsync(input);
        p.StandardInput.Close();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (p.ExitCode, await stdout, await stderr);
    }

    [GeneratedRegex("msg-[0-9a-f]{32}")]
    private static partial Regex MessageId();

    [GeneratedRegex(" {2,}")]
    private static partial Regex Columns();
}
