using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Deconflict.Core.Model;

namespace Deconflict.Cli;

/// <summary>`deconflict line`: the deconfliction line.</summary>
public static partial class CliApp
{
    private static readonly string[] MessageKinds = ["free-text", "operation-notice", "deconflict-request", "unsafe-conduct"];
    private static readonly string[] RefKinds = ["operation", "zone", "conflict", "alert"];
    private static readonly string[] LineStates = ["pending", "acknowledged"];
    private static readonly string[] LineEventTypes = ["line-message", "line-receipt", "line-overdue"];

    private static Command LineCommands(ClientOptions o)
    {
        var line = new Command("line", "The deconfliction line: messages between parties, each with a receipt per recipient and an acknowledgement clock");
        line.Subcommands.Add(SendCommand(o));
        line.Subcommands.Add(BoxCommand(o, inbox: true));
        line.Subcommands.Add(BoxCommand(o, inbox: false));
        line.Subcommands.Add(ShowMessageCommand(o));
        line.Subcommands.Add(AckMessageCommand(o));
        return line;
    }

    private static Command SendCommand(ClientOptions o)
    {
        var to = new Option<string[]>("--to") { Description = "Recipient party (repeat for several, or 'all' for every other party)", Required = true, AllowMultipleArgumentsPerToken = true, HelpName = "PARTY" };
        var subject = new Option<string>("--subject") { Description = "Subject (at most 200 characters)", Required = true };
        var body = new Option<string?>("--body") { Description = "Plain-text body (at most 8000 characters); '-' reads it from standard input", HelpName = "TEXT" };
        var bodyFile = new Option<string?>("--body-file") { Description = "Read the body from this UTF-8 file ('-': standard input)", HelpName = "FILE" };
        var kind = new Option<string>("--kind") { Description = "free-text, operation-notice (needs an operation --ref), deconflict-request (needs a conflict --ref) or unsafe-conduct (needs an alert --ref or --place)", DefaultValueFactory = _ => "free-text" };
        var language = new Option<string>("--language") { Description = "Language tag of the body (en, ru, ar, ...)", DefaultValueFactory = _ => "en" };
        var requiresAck = new Option<bool>("--requires-ack") { Description = "Require an acknowledgement within the agreed default time (GET /v1/config, line.ack_within_s)" };
        var ackWithin = new Option<string?>("--ack-within") { Description = "Require an acknowledgement within this time: seconds, or with a unit (90s, 5m, 1h), within the agreed bounds", HelpName = "TIME" };
        var refs = new Option<string[]>("--ref") { Description = "A reference kind:id (operation:ID, zone:ID, conflict:ID, alert:ID); repeatable", AllowMultipleArgumentsPerToken = true, HelpName = "KIND:ID" };
        var place = new Option<string?>("--place") { Description = "Where and when something happened: LAT,LNG,TIME (degrees, RFC 3339), e.g. 35.1,38.9,2026-11-26T09:12:00Z", HelpName = "LAT,LNG,TIME" };
        var key = new Option<string?>("--idempotency-key") { Description = "Retrying with the same key sends one message (at most 200 characters)", HelpName = "KEY" };
        var send = new Command("send", "Send a message on the deconfliction line") { to, subject, body, bodyFile, kind, language, requiresAck, ackWithin, refs, place, key };
        send.SetAction(parse =>
        {
            if ((parse.GetValue(body) is null) == (parse.GetValue(bodyFile) is null))
            {
                return Usage("Give the body with --body TEXT or --body-file FILE (one of them; '-' reads standard input).");
            }

            if (parse.GetValue(kind) is { } k && !MessageKinds.Contains(k))
            {
                return Usage($"--kind must be {string.Join(", ", MessageKinds)}; '{k}' is not one.");
            }

            double? within = null;
            if (parse.GetValue(ackWithin) is { } w)
            {
                within = Seconds(w);
                if (within is null)
                {
                    return Usage($"--ack-within must be a positive time in seconds, or with a unit (90s, 5m, 1h); '{w}' is not one.");
                }
            }

            var references = new JsonArray();
            foreach (var r in parse.GetValue(refs) ?? [])
            {
                var parts = r.Split(':', 2);
                if (parts.Length != 2 || parts[1].Length == 0 || !RefKinds.Contains(parts[0]))
                {
                    return Usage($"--ref must be kind:id with kind {string.Join(", ", RefKinds)}, like conflict:cf-123; '{r}' is not.");
                }

                references.Add(new JsonObject { ["kind"] = parts[0], ["id"] = parts[1] });
            }

            JsonObject? where = null;
            if (parse.GetValue(place) is { } p)
            {
                where = Place(p);
                if (where is null)
                {
                    return Usage($"--place must be LAT,LNG,TIME (degrees, then an RFC 3339 time), like 35.1,38.9,2026-11-26T09:12:00Z; '{p}' is not.");
                }
            }

            return o.Run(parse, async api =>
            {
                if (within is { } seconds)
                {
                    // The agreed bounds are the server's (GET /v1/config): refused here in one line, before anything is sent.
                    var (config, _) = await api.Send(HttpMethod.Get, "v1/config");
                    var (min, max) = (config?["line"]?["min_ack_within_s"]?.GetValue<double>(), config?["line"]?["max_ack_within_s"]?.GetValue<double>());
                    if (seconds < min || seconds > max)
                    {
                        throw new CliException(string.Create(CultureInfo.InvariantCulture, $"--ack-within must be between {min} s and {max} s (the agreed bounds, GET /v1/config); {seconds} s is not."));
                    }
                }

                var message = new JsonObject
                {
                    ["to"] = new JsonArray([.. parse.GetValue(to)!.Select(t => (JsonNode)JsonValue.Create(t))]),
                    ["kind"] = parse.GetValue(kind),
                    ["subject"] = parse.GetValue(subject),
                    ["body"] = await ReadBody(parse.GetValue(body), parse.GetValue(bodyFile)),
                    ["language"] = parse.GetValue(language),
                    ["refs"] = references,
                };
                if (within is not null || parse.GetValue(requiresAck))
                {
                    message["requires_ack"] = true;
                    message["ack_within_s"] = within;
                }

                if (where is not null)
                {
                    message["place"] = where;
                }

                var (sent, _) = await api.Send(HttpMethod.Post, "v1/line/messages", message, idempotencyKey: parse.GetValue(key));
                var due = sent!["ack_due_at"] is { } d ? $", acknowledgement due by {d}" : string.Empty;
                return (sent, $"Message {sent["id"]} sent to {string.Join(", ", sent["to"]!.AsArray().Select(t => t!.ToString()))}{due}.");
            });
        });
        return send.WithExamples(
            "deconflict line send --to red --subject \"Tanker track\" --body \"Moving the tanker track 20 NM north at 0900Z.\" --ack-within 5m",
            "deconflict line send --to red --kind deconflict-request --ref conflict:cf-0190f3a2 --subject \"CAP overlap\" --body-file request.txt",
            "echo \"Confirm east of the river\" | deconflict line send --to all --subject Request --body - --requires-ack");
    }

    private static Command BoxCommand(ClientOptions o, bool inbox)
    {
        var state = new Option<string?>("--state") { Description = "Only pending messages (an acknowledgement still owed) or acknowledged ones", HelpName = "pending|acknowledged" };
        var follow = new Option<bool>("--follow") { Description = "After the table, keep printing new messages, receipts and overdue notices (Ctrl+C to stop); with --json, each event's JSON on a line, no table" };
        var box = new Command(
            inbox ? "inbox" : "sent",
            inbox
                ? "The messages sent to you: who from, the acknowledgement clock on the server's time, and your receipt (unread, read, acknowledged by NAME, overdue level N)"
                : "The messages you sent, with each recipient's receipt (not delivered, delivered, read, acknowledged by NAME, overdue level N)")
            { state, follow };
        box.SetAction((parse, ct) =>
        {
            if (parse.GetValue(state) is { } s && !LineStates.Contains(s))
            {
                return Usage($"--state must be pending or acknowledged, not '{s}'.");
            }

            return o.Run(parse, async api =>
            {
                var clock = await ServerClock.ReadAsync(api);
                var (body, _) = await api.Send(HttpMethod.Get, "v1/line/messages" + Query(("box", inbox ? "inbox" : "sent"), ("state", parse.GetValue(state))));
                var items = body!["items"]!.AsArray();
                var now = clock.At;
                string text;
                if (inbox)
                {
                    var me = await Recipient(api, items);
                    text = TextTable(
                        ["ID", "FROM", "KIND", "SUBJECT", "SENT", "ACK DUE", "STATE"],
                        items.Select(m => new[]
                        {
                            m!["id"]!.ToString(), m["from"]!.ToString(), m["kind"]!.ToString(), m["subject"]!.ToString(), m["sent_at"]!.ToString(),
                            AckDue(m, now, me), me is null ? Receipts(m, now, inbox: true) : ReceiptState(m, m["receipts"]?[me], now, inbox: true),
                        }));
                }
                else
                {
                    text = TextTable(
                        ["ID", "TO", "KIND", "SUBJECT", "SENT", "ACK DUE", "RECEIPTS"],
                        items.Select(m => new[]
                        {
                            m!["id"]!.ToString(), string.Join(", ", m["to"]!.AsArray()), m["kind"]!.ToString(), m["subject"]!.ToString(), m["sent_at"]!.ToString(),
                            AckDue(m, now, null), Receipts(m, now, inbox: false),
                        }));
                }

                if (!parse.GetValue(follow))
                {
                    return (body, text);
                }

                var json = parse.GetValue(o.Json);
                if (!json)
                {
                    Console.WriteLine(text);
                }

                return await FollowEvents(api, json, clock.LastIndex, "the line", e => LineEventTypes.Contains(e.Type) ? EventLine(e) : null, ct);
            });
        });
        return inbox
            ? box.WithExamples("deconflict line inbox", "deconflict line inbox --state pending --follow")
            : box.WithExamples("deconflict line sent", "deconflict line sent --state pending --json");
    }

    private static Command ShowMessageCommand(ClientOptions o)
    {
        var id = new Argument<string>("id") { Description = "Message id (msg-...)" };
        var show = new Command("show", "One message with its body, references and every recipient's receipt (delivered, read, acknowledged, by whom, escalation level, the clock); shown to a recipient, it is marked read") { id };
        show.SetAction(parse => o.Run(parse, async api =>
        {
            var clock = await ServerClock.ReadAsync(api);
            var path = $"v1/line/messages/{Uri.EscapeDataString(parse.GetValue(id)!)}";
            JsonNode? m;
            try
            {
                // A recipient who shows the message has read it; the sender (403 here) only looks.
                (m, _) = await api.Send(HttpMethod.Post, path + "/read");
            }
            catch (CliException e) when (e.Message.StartsWith("403 ", StringComparison.Ordinal))
            {
                (m, _) = await api.Send(HttpMethod.Get, path);
            }

            return (m, MessageDetail(m!, clock.At));
        }));
        return show.WithExamples("deconflict line show msg-0190f3a2c4e87b1d9e2f6a7b8c9d0e1f", "deconflict line show msg-0190f3a2c4e87b1d9e2f6a7b8c9d0e1f --json");
    }

    private static Command AckMessageCommand(ClientOptions o)
    {
        var id = new Argument<string>("id") { Description = "Message id (msg-...)" };
        var by = new Option<string?>("--by") { Description = "The officer who acknowledges, by name (required; recorded)", HelpName = "NAME" };
        var note = new Option<string?>("--note") { Description = "A note for the record (at most 2000 characters)" };
        var ack = new Command("ack", "Acknowledge a message sent to you, naming the officer: its clock stops") { id, by, note };
        ack.SetAction(parse =>
        {
            if (string.IsNullOrWhiteSpace(parse.GetValue(by)))
            {
                return Usage("line ack needs --by NAME: the officer who acknowledges, for the record.");
            }

            return o.Run(parse, async api =>
            {
                var (body, _) = await api.Send(HttpMethod.Post, $"v1/line/messages/{Uri.EscapeDataString(parse.GetValue(id)!)}/acknowledge", new JsonObject { ["by"] = parse.GetValue(by), ["note"] = parse.GetValue(note) });
                return (body, $"Message {body!["id"]} acknowledged by {parse.GetValue(by)}.");
            });
        });
        return ack.WithExamples("deconflict line ack msg-0190f3a2c4e87b1d9e2f6a7b8c9d0e1f --by \"Maj. Volkov\" --note \"Understood, holding east\"");
    }

    /// <summary>The body from --body (or standard input for '-') or from --body-file (a path, or '-').</summary>
    private static async Task<string> ReadBody(string? body, string? file)
    {
        if (body is not null && body != "-")
        {
            return body;
        }

        if (body == "-" || file == "-")
        {
            return await Console.In.ReadToEndAsync();
        }

        try
        {
            return await File.ReadAllTextAsync(file!);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"Cannot read the body from {file}: {(e is FileNotFoundException or DirectoryNotFoundException ? "there is no such file" : e.Message)}.");
        }
    }

    /// <summary>A time of at least a second as seconds: 300, 300s, 5m, 1h; null when it is not one.</summary>
    private static double? Seconds(string text)
    {
        var t = text.Trim().ToLowerInvariant();
        var (digits, factor) = t.EndsWith('h') ? (t[..^1], 3600) : t.EndsWith('m') ? (t[..^1], 60) : t.EndsWith('s') ? (t[..^1], 1) : (t, 1);
        return double.TryParse(digits, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) && value > 0 ? value * factor : null;
    }

    /// <summary>LAT,LNG,TIME as the API's place, or null when it is not one.</summary>
    private static JsonObject? Place(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        return parts.Length == 3
            && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var lat) && lat is >= -90 and <= 90
            && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var lng) && lng is >= -180 and <= 180
            && Rfc3339.TryParse(parts[2], out _)
            ? new JsonObject { ["lat"] = lat, ["lng"] = lng, ["time"] = parts[2] }
            : null;
    }

    /// <summary>
    /// Which recipient the caller is, for its receipt in the inbox: the one party every message
    /// of the inbox was sent to; when several are (messages to the same parties), the one of them
    /// whose escalation contacts the caller may read (only a party itself, or the admin, may).
    /// Null for an empty inbox or the admin's, which lists every message.
    /// </summary>
    private static async Task<string?> Recipient(ApiClient api, JsonArray inbox)
    {
        HashSet<string>? common = null;
        foreach (var m in inbox)
        {
            var to = m!["to"]!.AsArray().Select(t => t!.ToString()).ToHashSet(StringComparer.Ordinal);
            common = common is null ? to : [.. common.Intersect(to)];
        }

        if (common is not { Count: > 0 })
        {
            return null;
        }

        if (common.Count == 1)
        {
            return common.Single();
        }

        foreach (var party in common.Order(StringComparer.Ordinal))
        {
            try
            {
                await api.Send(HttpMethod.Get, $"v1/parties/{Uri.EscapeDataString(party)}/escalation");
                return party;
            }
            catch (CliException)
            {
            }
        }

        return null;
    }

    /// <summary>
    /// The acknowledgement clock of a message on the server's time: "in 4m 10s", "OVERDUE 2m 5s";
    /// "-" when none is asked for or it has stopped (acknowledged: by <paramref name="recipient"/>,
    /// or by every recipient when that is null).
    /// </summary>
    private static string AckDue(JsonNode m, DateTimeOffset now, string? recipient)
    {
        if (ServerClock.Time(m["ack_due_at"]) is not { } due)
        {
            return "-";
        }

        var receipts = m["receipts"]?.AsObject().Where(kv => recipient is null || kv.Key == recipient).Select(kv => kv.Value).ToList() ?? [];
        return receipts.Count > 0 && receipts.All(r => r?["acknowledged_at"] is not null) ? "-" : Until(due, now);
    }

    private static string Until(DateTimeOffset due, DateTimeOffset now) =>
        due >= now ? "in " + ServerClock.Span(due - now) : "OVERDUE " + ServerClock.Span(now - due);

    /// <summary>Every recipient's receipt state: "red: read; green: overdue level 1".</summary>
    private static string Receipts(JsonNode m, DateTimeOffset now, bool inbox) =>
        string.Join("; ", m["receipts"]?.AsObject().OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}: {ReceiptState(m, kv.Value, now, inbox)}") ?? []);

    /// <summary>
    /// A receipt in a word or three: acknowledged by NAME; overdue level N (escalated; "overdue"
    /// once due and not yet escalated); read; delivered; not delivered (in the inbox, both "unread").
    /// </summary>
    private static string ReceiptState(JsonNode m, JsonNode? r, DateTimeOffset now, bool inbox)
    {
        if (r is null)
        {
            return "-";
        }

        if (r["acknowledged_at"] is not null)
        {
            return $"acknowledged by {r["acknowledged_by"]}";
        }

        var level = r["escalation_level"]?.GetValue<int>() ?? 0;
        if (level > 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"overdue level {level}");
        }

        if (ServerClock.Time(m["ack_due_at"]) is { } due && due <= now)
        {
            return "overdue";
        }

        return r["read_at"] is not null ? "read" : inbox ? "unread" : r["delivered_at"] is not null ? "delivered" : "not delivered";
    }

    /// <summary>A message in full for `line show`: its header, references, clock, every receipt, then its body.</summary>
    private static string MessageDetail(JsonNode m, DateTimeOffset now)
    {
        var refs = m["refs"]?.AsArray().Select(r => $"{r!["kind"]}:{r["id"]}").ToList() ?? [];
        var lines = new List<string>
        {
            $"Message  {m["id"]}",
            $"From     {m["from"]}",
            $"To       {string.Join(", ", m["to"]!.AsArray())}",
            $"Kind     {m["kind"]} ({m["language"]})",
            $"Subject  {TerminalText.Safe(m["subject"]?.ToString())}",
            $"Sent     {m["sent_at"]}",
            $"Refs     {(refs.Count == 0 ? "none" : string.Join(", ", refs))}",
        };
        if (m["place"] is { } place)
        {
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"Place    {place["lat"]},{place["lng"]} at {place["time"]}"));
        }

        var due = ServerClock.Time(m["ack_due_at"]);
        lines.Add(due is { } d ? $"Ack due  {m["ack_due_at"]} ({AckDue(m, now, null) switch { "-" => "acknowledged by every recipient", var c => c }})" : "Ack due  no acknowledgement asked");
        lines.Add(string.Empty);
        lines.Add(TextTable(
            ["RECIPIENT", "STATE", "DELIVERED", "READ", "ACKNOWLEDGED", "BY", "LEVEL", "CLOCK", "NOTE"],
            m["receipts"]!.AsObject().OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv =>
            {
                var r = kv.Value!;
                var clock = r["acknowledged_at"] is not null || due is null ? "-"
                    : due >= now ? $"due at {m["ack_due_at"]}, in {ServerClock.Span(due.Value - now)}"
                    : $"overdue by {ServerClock.Span(now - due.Value)}" + (r["due_at"] is { } next ? $", next escalation {next}" : string.Empty);
                return new[]
                {
                    kv.Key, ReceiptState(m, r, now, inbox: false), Text(r["delivered_at"]), Text(r["read_at"]), Text(r["acknowledged_at"]), Text(r["acknowledged_by"]),
                    r["escalation_level"]?.ToString() ?? "0", clock, Text(r["note"]),
                };
            })));
        lines.Add(string.Empty);
        lines.Add(m["body"]?.ToString() ?? string.Empty);
        return string.Join(Environment.NewLine, lines);

        static string Text(JsonNode? n) => n?.ToString() ?? "-";
    }

    /// <summary>A table of computed cells, columns two spaces apart; each cell on one line (a newline or escape sequence in it shown escaped).</summary>
    internal static string TextTable(string[] headers, IEnumerable<string[]> cells)
    {
        var rows = cells.Select(r => r.Select(c => TerminalText.Safe(c)).ToArray()).ToList();
        if (rows.Count == 0)
        {
            return "(none)";
        }

        var widths = headers.Select((h, i) => Math.Max(h.Length, rows.Max(r => r[i].Length))).ToArray();
        var lines = new List<string> { string.Join("  ", headers.Select((h, i) => h.PadRight(widths[i]))).TrimEnd() };
        lines.AddRange(rows.Select(r => string.Join("  ", r.Select((v, i) => v.PadRight(widths[i]))).TrimEnd()));
        return string.Join(Environment.NewLine, lines);
    }
}
