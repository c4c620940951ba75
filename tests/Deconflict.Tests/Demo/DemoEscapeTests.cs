using System.Text.Json.Nodes;
using Deconflict.Demo;

namespace Deconflict.Tests.Demo;

/// <summary>Issue 15, finding 9: the demo shows another party's text with its control characters escaped.</summary>
public sealed class DemoEscapeTests
{
    private static readonly DateTimeOffset T0 = new(2015, 10, 20, 6, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_subject_with_an_escape_sequence_and_a_bidi_override_is_shown_escaped_in_the_log_and_the_summary()
    {
        // ESC [2J clears the screen; U+202E reverses what follows; "[red]" would be Spectre markup.
        var data = new JsonObject
        {
            ["action"] = "sent",
            ["message"] = new JsonObject
            {
                ["id"] = "msg-1",
                ["from"] = "vks",
                ["to"] = new JsonArray("coalition"),
                ["kind"] = "free-text",
                ["subject"] = "Tanker\u001b[2J[red]\u202eok",
                ["receipts"] = new JsonObject(),
            },
        };
        var received = new ReceivedEvent("coalition", T0.AddMinutes(1), "line-message", data);
        var plain = new StringWriter();
        var view = new DemoView(TimeProvider.System, T0, [("coalition", "Coalition CAOC")], plain);

        view.Observe(received);
        var summary = DemoSummary.From([received]).Describe();

        Assert.Contains("line free-text vks -> coalition: \"Tanker\\u001B[2J[red]\\u202Eok\"", plain.ToString(), StringComparison.Ordinal);
        Assert.Contains("  Line free-text vks -> coalition \"Tanker\\u001B[2J[red]\\u202Eok\", not acknowledged.", summary, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', plain.ToString());
        Assert.DoesNotContain('\u202e', summary);
    }
}
