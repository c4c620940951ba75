using System.Globalization;
using System.Text.Json.Nodes;
using Deconflict.Demo;
using Microsoft.Extensions.Time.Testing;
using Spectre.Console.Rendering;
using Spectre.Console.Testing;

namespace Deconflict.Tests.Demo;

/// <summary>
/// Issue 16, the demo's live view: it fits the terminal it is drawn in (header always there, no
/// line wider or frame taller than the terminal), its countdowns tick with the server's clock, and
/// each party's panel names only what that party was told.
/// </summary>
public sealed class DemoViewTests
{
    private const string Coalition = "coalition";
    private const string Vks = "vks";
    private static readonly DateTimeOffset T0 = new(2015, 10, 20, 6, 0, 0, TimeSpan.Zero);
    private static readonly (string, string)[] Parties = [(Coalition, "Coalition CAOC"), (Vks, "VKS Hmeimim")];

    [Theory]
    [InlineData(80, 24)]
    [InlineData(120, 40)]
    [InlineData(200, 60)]
    public void A_busy_frame_fits_the_terminal_with_the_header_first(int width, int height)
    {
        // 12:30 into the scenario, a record of 1,234 entries, and far more than fits in 80x24.
        var time = new FakeTimeProvider(T0.AddMinutes(12.5));
        var view = Busy(time);

        var lines = Draw(view, width, height);

        Assert.True(lines.Count <= height, $"{lines.Count} lines in a terminal {height} high");
        Assert.All(lines, l => Assert.True(Cells(l) <= width, $"{Cells(l)} cells in a terminal {width} wide: {l}"));
        Assert.Contains("server clock 06:12:30Z", lines[0], StringComparison.Ordinal);
        Assert.Contains("record 1,234 entries", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("T+12:30 / 45:00 [", lines[1], StringComparison.Ordinal);
        // The most important section of each party is there; in a small terminal, what does not fit says how much more there is.
        Assert.Equal(2, lines.Sum(l => l.Split("WARNING").Length - 1));
        Assert.Equal(height < 60, lines.Any(l => l.Contains(" more", StringComparison.Ordinal)));
    }

    [Fact]
    public void A_large_terminal_shows_the_parties_side_by_side_and_more_rows_than_a_small_one()
    {
        var view = Busy(new FakeTimeProvider(T0.AddMinutes(12.5)));

        var small = Draw(view, 80, 24);
        var large = Draw(view, 200, 60);

        Assert.Contains(large, l => l.Contains("── coalition", StringComparison.Ordinal) && l.Contains("── vks", StringComparison.Ordinal));
        Assert.DoesNotContain(small, l => l.Contains("── coalition", StringComparison.Ordinal) && l.Contains("── vks", StringComparison.Ordinal));
        Assert.True(Count(large, "\"Message ") > Count(small, "\"Message "), $"{Count(large, "\"Message ")} line rows at 200x60, {Count(small, "\"Message ")} at 80x24");
    }

    [Fact]
    public void Time_to_loss_and_the_acknowledgement_clock_count_down_with_the_servers_clock()
    {
        // Predicted at T+20:00 with 120 s to loss; a message due 180 s after T+20:00.
        var predicted = T0.AddMinutes(20);
        var time = new FakeTimeProvider(predicted);
        var view = new DemoView(time, T0, Parties, null);
        view.Observe(Alert(Coalition, predicted, "active", "caution", 120, reason: null));
        view.Observe(Message(Coalition, "msg-1", Vks, Coalition, "Deir ez-Zor", predicted.AddSeconds(180)));

        var first = string.Join('\n', Draw(view, 200, 60));
        time.Advance(TimeSpan.FromSeconds(24));
        var second = string.Join('\n', Draw(view, 200, 60));
        time.Advance(TimeSpan.FromSeconds(176));
        var third = string.Join('\n', Draw(view, 200, 60));

        Assert.Contains("loss in 120 s", first, StringComparison.Ordinal);
        Assert.Contains("due in 3:00", first, StringComparison.Ordinal);
        Assert.Contains("loss in 96 s", second, StringComparison.Ordinal);
        Assert.Contains("due in 2:36", second, StringComparison.Ordinal);
        Assert.Contains("T+20:24 / 45:00", second, StringComparison.Ordinal);
        Assert.Contains("server clock 06:20:24Z", second, StringComparison.Ordinal);
        // 200 s after the prediction: the loss is due (never negative) and the message 20 s overdue.
        Assert.Contains("loss in 0 s", third, StringComparison.Ordinal);
        Assert.Contains("overdue by 0:20", third, StringComparison.Ordinal);
    }

    [Fact]
    public void A_cleared_alert_says_why_and_only_cleared_when_the_api_gives_no_reason()
    {
        var view = new DemoView(new FakeTimeProvider(T0.AddMinutes(25)), T0, Parties, null);
        view.Observe(Alert(Coalition, T0.AddMinutes(23), "cleared", "warning", 60, reason: "passed", id: "alert-1"));
        view.Observe(Alert(Vks, T0.AddMinutes(23), "cleared", "warning", 60, reason: null, id: "alert-1"));

        var lines = Draw(view, 200, 60);

        Assert.Contains(lines, l => Left(l).Contains("cleared (passed)  VIPER 11 / vks aircraft", StringComparison.Ordinal));
        Assert.Contains(lines, l => Right(l).Contains("cleared  SOKOL 21 / coalition aircraft", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("loss in", StringComparison.Ordinal));
    }

    [Fact]
    public void Each_partys_panel_never_names_what_that_party_was_not_told()
    {
        // vks named its TABQA STRIKE; the coalition's stream carried the operation without its
        // details (owner only), so the coalition must see it only by id.
        var plain = new StringWriter();
        var time = new FakeTimeProvider(T0.AddMinutes(3));
        var live = new DemoView(time, T0, Parties, null);
        var transcript = new DemoView(time, T0, Parties, plain);
        var events = Knowledge();
        foreach (var view in new[] { live, transcript })
        {
            view.Name(Vks, "op-tabqa-0000000000000001", "TABQA STRIKE");
            view.Name(Coalition, "op-raqqa-0000000000000002", "RAQQA ISR ORBIT");
            foreach (var e in events)
            {
                view.Observe(e);
            }
        }

        // Side by side: the coalition's column on the left, vks's on the right.
        var wide = Draw(live, 200, 60);
        Assert.DoesNotContain(wide, l => Left(l).Contains("TABQA", StringComparison.Ordinal));
        Assert.Contains(wide, l => Left(l).Contains("operation op-tabqa-0000000… (vks) / RAQQA ISR ORBIT (coalition)", StringComparison.Ordinal));
        Assert.Contains(wide, l => Right(l).Contains("TABQA STRIKE (vks) / operation op-raqqa-0000000… (coalition)", StringComparison.Ordinal));
        Assert.DoesNotContain(wide, l => Right(l).Contains("RAQQA ISR", StringComparison.Ordinal));

        // Stacked: the coalition's section, then vks's.
        var narrow = Draw(live, 80, 24);
        var vksStarts = narrow.FindIndex(l => l.StartsWith("── vks", StringComparison.Ordinal));
        Assert.True(vksStarts > 0, string.Join('\n', narrow));
        Assert.DoesNotContain(narrow.Take(vksStarts), l => l.Contains("TABQA", StringComparison.Ordinal));
        Assert.Contains(narrow.Skip(vksStarts), l => l.Contains("TABQA STRIKE", StringComparison.Ordinal));
        Assert.DoesNotContain(narrow.Skip(vksStarts), l => l.Contains("RAQQA ISR", StringComparison.Ordinal));

        // The transcript: each party's lines name only its own operation; zones' names are public.
        var coalitionLines = plain.ToString().Split('\n').Where(l => l.Contains(" coalition <- ", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(coalitionLines);
        Assert.DoesNotContain(coalitionLines, l => l.Contains("TABQA", StringComparison.Ordinal));
        Assert.Contains(coalitionLines, l => l.Contains("EUPHRATES WEST (vks)", StringComparison.Ordinal));
        Assert.DoesNotContain(plain.ToString().Split('\n').Where(l => l.Contains(" vks <- ", StringComparison.Ordinal)), l => l.Contains("RAQQA ISR", StringComparison.Ordinal));

        // The summary, per party.
        var summary = DemoSummary.From(events, live.Names).Describe();
        Assert.Contains("(coalition saw an operation of vks / RAQQA ISR ORBIT of coalition; vks saw TABQA STRIKE of vks / an operation of coalition)", summary, StringComparison.Ordinal);
    }

    /// <summary>A frame as a terminal of that size shows it.</summary>
    private static List<string> Draw(DemoView view, int width, int height)
    {
        var console = new TestConsole();
        console.Profile.Width = width;
        console.Profile.Height = height;
        console.Write(view.Render(width, height));
        var lines = console.Output.Replace("\r", string.Empty, StringComparison.Ordinal).Split('\n').ToList();
        if (lines.Count > 0 && lines[^1].Length == 0)
        {
            lines.RemoveAt(lines.Count - 1);
        }

        return lines;
    }

    private static int Cells(string line) => new Segment(line).CellCount();

    private static int Count(List<string> lines, string text) => lines.Count(l => l.Contains(text, StringComparison.Ordinal));

    private static string Left(string line) => line.Split(" │ ")[0];

    private static string Right(string line) => line.Contains(" │ ", StringComparison.Ordinal) ? line.Split(" │ ")[1] : string.Empty;

    /// <summary>A view with a warning, a dozen conflicts and line messages, and as many operations on both sides.</summary>
    private static DemoView Busy(TimeProvider time)
    {
        var view = new DemoView(time, T0, Parties, null);
        view.Observe(new ReceivedEvent(Coalition, T0, "record-head", new JsonObject { ["size"] = 1234L, ["root_hash"] = "1dd4c0ffee0000000000000000000000" }));
        foreach (var party in new[] { Coalition, Vks })
        {
            view.Observe(Alert(party, T0.AddMinutes(12), "active", "warning", 60, reason: null));
            for (var i = 0; i < 12; i++)
            {
                var own = string.Create(CultureInfo.InvariantCulture, $"op-{party}-{i:00}");
                view.Name(party, own, string.Create(CultureInfo.InvariantCulture, $"{party.ToUpperInvariant()} OPERATION {i}"));
                view.Observe(Declared(party, "operation", own, party, null));
                view.Observe(Conflict(party, string.Create(CultureInfo.InvariantCulture, $"cf-{i:00}"), ("operation", string.Create(CultureInfo.InvariantCulture, $"op-vks-{i:00}"), Vks), ("operation", string.Create(CultureInfo.InvariantCulture, $"op-coalition-{i:00}"), Coalition)));
                view.Observe(Message(party, string.Create(CultureInfo.InvariantCulture, $"msg-{i:00}"), Coalition, Vks, string.Create(CultureInfo.InvariantCulture, $"Message {i}"), T0.AddMinutes(14)));
            }
        }

        return view;
    }

    /// <summary>What each side received in the opening of the scenario: zones, operations and a conflict between them.</summary>
    private static List<ReceivedEvent> Knowledge()
    {
        var events = new List<ReceivedEvent>();
        foreach (var party in new[] { Coalition, Vks })
        {
            events.Add(Declared(party, "zone", "zone-west", Vks, "EUPHRATES WEST"));
            events.Add(Declared(party, "operation", "op-raqqa-0000000000000002", Coalition, null));
            events.Add(Declared(party, "operation", "op-tabqa-0000000000000001", Vks, null));
            events.Add(Conflict(party, "cf-1", ("operation", "op-tabqa-0000000000000001", Vks), ("operation", "op-raqqa-0000000000000002", Coalition)));
        }

        return events;
    }

    private static ReceivedEvent Declared(string to, string kind, string id, string owner, string? name)
    {
        var d = new JsonObject { ["id"] = id, ["party"] = owner, ["version"] = 1 };
        if (kind == "zone")
        {
            d["rule"] = "exclusive";
            d["name"] = name;
        }
        else
        {
            d["state"] = "planned";
        }

        return new ReceivedEvent(to, T0.AddMinutes(1), kind, new JsonObject { ["action"] = "created", [kind] = d });
    }

    private static ReceivedEvent Conflict(string to, string id, (string Kind, string Id, string Party) a, (string Kind, string Id, string Party) b) =>
        new(to, T0.AddMinutes(2), "conflict", new JsonObject
        {
            ["action"] = "opened",
            ["conflict"] = new JsonObject
            {
                ["id"] = id,
                ["state"] = "open",
                ["a"] = new JsonObject { ["kind"] = a.Kind, ["id"] = a.Id, ["party"] = a.Party, ["version"] = 1 },
                ["b"] = new JsonObject { ["kind"] = b.Kind, ["id"] = b.Id, ["party"] = b.Party, ["version"] = 1 },
                ["acknowledged_by"] = new JsonObject(),
            },
        });

    private static ReceivedEvent Message(string to, string id, string from, string recipient, string subject, DateTimeOffset due) =>
        new(to, T0.AddMinutes(9), "line-message", new JsonObject
        {
            ["action"] = "sent",
            ["message"] = new JsonObject
            {
                ["id"] = id,
                ["from"] = from,
                ["to"] = new JsonArray(recipient),
                ["kind"] = "free-text",
                ["subject"] = subject,
                ["ack_due_at"] = due.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
                ["receipts"] = new JsonObject { [recipient] = new JsonObject { ["escalation_level"] = 0 } },
            },
        });

    private static ReceivedEvent Alert(string to, DateTimeOffset predicted, string state, string level, double timeToLoss, string? reason, string id = "alert-0")
    {
        static JsonObject Aircraft(string party, bool own, string? callsign) => new()
        {
            ["party"] = party,
            ["own"] = own,
            ["track_id"] = own ? callsign?.Replace(" ", string.Empty, StringComparison.Ordinal) : null,
            ["callsign"] = own ? callsign : null,
            ["position"] = new JsonObject { ["lat"] = 35.25, ["lng"] = 39.95 },
        };

        var at = predicted.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var alert = new JsonObject
        {
            ["id"] = id,
            ["state"] = state,
            ["level"] = level,
            ["a"] = Aircraft(Coalition, to == Coalition, "VIPER 11"),
            ["b"] = Aircraft(Vks, to == Vks, "SOKOL 21"),
            ["time_to_loss_s"] = timeToLoss,
            ["cpa"] = new JsonObject { ["time"] = at, ["horizontal_m"] = 310.0, ["vertical_m"] = 0.0 },
            ["predicted_at"] = at,
            ["raised_at"] = at,
            ["updated_at"] = at,
            ["acknowledged_by"] = new JsonObject(),
        };
        if (reason is not null)
        {
            alert["cleared_reason"] = reason;
        }

        return new ReceivedEvent(to, predicted, "track-alert", new JsonObject { ["action"] = state == "cleared" ? "cleared" : "raised", ["alert"] = alert });
    }
}
