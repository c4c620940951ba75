using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;

namespace Deconflict.Cli;

/// <summary>
/// `deconflict events follow`: the caller's event stream, one line an event; and the one follower
/// (<see cref="FollowEvents"/>) behind it, `alerts follow` and `line inbox|sent --follow`.
/// </summary>
public static partial class CliApp
{
    /// <summary>The event types the service sends (API.md "Events", plus the record's and the parties' own).</summary>
    internal static readonly string[] EventTypeNames =
    [
        "operation", "zone", "conflict", "track-alert", "line-message", "line-receipt", "line-overdue", "line-escalation-call",
        "party", "admin-token", "record-head", "record-cosignature", "record-reveal",
    ];

    private static Command EventCommands(ClientOptions o)
    {
        var from = new Option<long?>("--from") { Description = "Start at this event index (a record index; 0 is the first event) instead of now", HelpName = "INDEX" };
        var types = new Option<string?>("--types") { Description = $"Only these event types, comma-separated: {string.Join(", ", EventTypeNames)}", HelpName = "a,b" };
        var follow = new Command("follow", "Print every event you may see as it happens, one line each: time, index, type and what changed (Ctrl+C to stop); with --json, each event's JSON on a line ({\"id\", \"type\", \"data\"}). After a disconnect it resumes by itself with Last-Event-ID, losing nothing")
            { from, types };
        follow.SetAction((parse, ct) =>
        {
            if (parse.GetValue(from) is < 0)
            {
                return Usage($"--from must be an event index, 0 or more; '{parse.GetValue(from)}' is not.");
            }

            var wanted = (parse.GetValue(types) ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
            if (wanted.FirstOrDefault(t => !EventTypeNames.Contains(t)) is { } unknown)
            {
                return Usage($"--types: there is no event type '{unknown}'; the types are {string.Join(", ", EventTypeNames)}.");
            }

            return o.Run(parse, async api =>
            {
                var after = parse.GetValue(from) is { } index ? index - 1 : (await ServerClock.ReadAsync(api)).LastIndex;
                return await FollowEvents(api, parse.GetValue(o.Json), after, "the event stream", e => wanted.Count == 0 || wanted.Contains(e.Type) ? EventLine(e) : null, ct);
            });
        });
        follow.WithExamples(
            "deconflict events follow",
            "deconflict events follow --types conflict,line-message,line-overdue",
            "deconflict events follow --from 0 --json > events.ndjson");
        return new Command("events", "The event stream (GET /v1/events): everything you may see, in record order") { follow };
    }

    /// <summary>A usage mistake: one line on standard error and exit code 2, nothing sent.</summary>
    private static Task<int> Usage(string message)
    {
        Console.Error.WriteLine(message);
        return Task.FromResult(2);
    }

    /// <summary>
    /// Follows the event stream after record index <paramref name="after"/> until Ctrl+C: each
    /// event <paramref name="describe"/> gives a line for is printed, as that line, or with
    /// <paramref name="json"/> as the event's JSON on one line (NDJSON, for scripts). Status lines
    /// ("Following ...", "reconnected, resuming after N") go to standard output for a person and
    /// to standard error under --json, so that the output stays one event a line.
    /// </summary>
    private static async Task<(JsonNode? Body, string Text)> FollowEvents(ApiClient api, bool json, long? after, string what, Func<StreamEvent, string?> describe, CancellationToken ct)
    {
        var status = json ? Console.Error : Console.Out;
        try
        {
            await api.FollowAsync(
                async e =>
                {
                    if (Describe(e, describe) is { } line)
                    {
                        await Console.Out.WriteLineAsync(json ? e.ToJsonLine() : line);
                    }
                },
                after,
                ct,
                () => status.WriteLine($"Following {what} (Ctrl+C to stop)..."),
                index => status.WriteLine(index is null
                    ? "reconnected, from now: events while disconnected may be missing (the server did not say where the stream began)"
                    : string.Create(CultureInfo.InvariantCulture, $"reconnected, resuming after {index}")));
        }
        catch (Exception e) when (ct.IsCancellationRequested && e is OperationCanceledException or HttpRequestException or IOException)
        {
            // Ctrl+C, also in the middle of a reconnection attempt: the end the person asked for.
        }

        return (null, string.Empty);
    }

    /// <summary>
    /// The line for an event, or null to skip it; an event of a shape the line does not expect
    /// (a newer server's) is still shown, as its time-less index and type, never as a stack trace.
    /// </summary>
    private static string? Describe(StreamEvent e, Func<StreamEvent, string?> describe)
    {
        try
        {
            return describe(e);
        }
        catch (Exception x) when (x is InvalidOperationException or FormatException or NullReferenceException or KeyNotFoundException)
        {
            return e.Id is { } id ? string.Create(CultureInfo.InvariantCulture, $"- #{id} {e.Type}") : $"- {e.Type}";
        }
    }

    /// <summary>
    /// One line for an event: when it happened (the server's time in the event, "-" where it
    /// carries none), its index, its type and what changed, e.g.
    /// <c>2030-01-01T09:00:00Z #12 operation op-… v2 active (blue) updated</c>.
    /// </summary>
    internal static string EventLine(StreamEvent e)
    {
        var d = e.Data;
        var action = At(d, "action")?.ToString();
        var (time, summary) = e.Type switch
        {
            "operation" or "zone" when At(d, e.Type) is JsonObject x =>
                (x["updated_at"], $"{e.Type} {x["id"]} v{x["version"]} {x["state"]} ({x["party"]}){(x["name"] is { } name ? $" \"{name}\"" : string.Empty)} {action}"),
            "conflict" when At(d, "conflict") is JsonObject c =>
                (c["updated_at"], $"conflict {c["id"]} {c["state"]}: {Side(c["a"])} x {Side(c["b"])}, {action}{(At(d, "by") is { } by ? $" by {by}" : string.Empty)}"),
            "track-alert" when At(d, "alert") is JsonObject a => (a["updated_at"], $"track-alert {action}: {AlertLine(a)}"),
            "line-message" when At(d, "message") is JsonObject m =>
                (m["sent_at"], $"line-message {m["id"]} from {m["from"]} to {(m["to"] is JsonArray to ? string.Join(", ", to) : string.Empty)}: {m["subject"]}"),
            "line-receipt" => (At(At(d, "receipt"), $"{action}_at"),
                $"line-receipt {At(d, "message_id")}: {At(d, "party")} {action}{(action == "acknowledged" && At(At(d, "receipt"), "acknowledged_by") is { } officer ? $" by {officer}" : string.Empty)}"),
            "line-overdue" => (At(d, "due_at"), $"line-overdue {At(d, "message_id")}: {At(d, "recipient")} has not acknowledged \"{At(d, "subject")}\" from {At(d, "from")}, escalation level {At(d, "escalation_level")}"),
            "record-head" => (At(d, "timestamp"), $"record-head size {At(d, "size")}"),
            "party" => (null, $"party {At(At(d, "party"), "id") ?? At(d, "party")} {action}"),
            _ => (null, $"{e.Type} {action}".TrimEnd()),
        };
        var index = e.Id is { } id ? string.Create(CultureInfo.InvariantCulture, $"#{id} ") : string.Empty;
        return $"{time?.ToString() ?? "-"} {index}{summary}";
    }

    /// <summary>A member of an object in an event's data; null when the node is not an object or has no such member (events differ in shape).</summary>
    private static JsonNode? At(JsonNode? node, string name) => node is JsonObject o ? o[name] : null;

    /// <summary>A side of a conflict: its id and party (a declaration the caller may not name shows as its kind).</summary>
    private static string Side(JsonNode? r) => $"{At(r, "id") ?? At(r, "kind")} ({At(r, "party")})";
}
