using System.CommandLine;
using System.Text.Json.Nodes;

namespace Deconflict.Cli;

/// <summary>`deconflict line`: the deconfliction line.</summary>
public static partial class CliApp
{
    private static Command LineCommands(ClientOptions o)
    {
        var to = new Option<string[]>("--to") { Description = "Recipient party (repeat for several, or 'all')", Required = true, AllowMultipleArgumentsPerToken = true };
        var subject = new Option<string>("--subject") { Description = "Subject", Required = true };
        var body = new Option<string>("--body") { Description = "Plain-text body", Required = true };
        var kind = new Option<string>("--kind") { Description = "free-text, operation-notice, deconflict-request or unsafe-conduct", DefaultValueFactory = _ => "free-text" };
        var language = new Option<string>("--language") { Description = "Language tag of the body (en, ru, ar, ...)", DefaultValueFactory = _ => "en" };
        var ackWithin = new Option<double?>("--ack-within") { Description = "Require acknowledgement within this many seconds" };
        var refs = new Option<string[]>("--ref") { Description = "A reference kind:id (operation:ID, zone:ID, conflict:ID); repeatable", AllowMultipleArgumentsPerToken = true };
        var key = new Option<string?>("--idempotency-key") { Description = "Retrying with the same key sends one message" };
        var send = new Command("send", "Send a message on the deconfliction line") { to, subject, body, kind, language, ackWithin, refs, key };
        send.SetAction(parse => o.Run(parse, async api =>
        {
            var references = new JsonArray();
            foreach (var r in parse.GetValue(refs) ?? [])
            {
                var parts = r.Split(':', 2);
                if (parts.Length != 2)
                {
                    throw new CliException($"--ref must be kind:id, like conflict:cf-123; '{r}' is not.");
                }

                references.Add(new JsonObject { ["kind"] = parts[0], ["id"] = parts[1] });
            }

            var message = new JsonObject
            {
                ["to"] = new JsonArray([.. parse.GetValue(to)!.Select(t => (JsonNode)JsonValue.Create(t))]),
                ["kind"] = parse.GetValue(kind),
                ["subject"] = parse.GetValue(subject),
                ["body"] = parse.GetValue(body),
                ["language"] = parse.GetValue(language),
                ["refs"] = references,
            };
            if (parse.GetValue(ackWithin) is { } seconds)
            {
                message["requires_ack"] = true;
                message["ack_within_s"] = seconds;
            }

            var (sent, _) = await api.Send(HttpMethod.Post, "v1/line/messages", message, idempotencyKey: parse.GetValue(key));
            var due = sent!["ack_due_at"] is { } d ? $", acknowledgement due by {d}" : string.Empty;
            return (sent, $"Message {sent["id"]} sent to {string.Join(", ", sent["to"]!.AsArray().Select(t => t!.ToString()))}{due}.");
        }));

        var follow = new Option<bool>("--follow") { Description = "Keep printing new messages, receipts and overdue notices" };
        var inbox = new Command("inbox", "Your received messages and their clocks") { follow };
        inbox.SetAction((parse, ct) => o.Run(parse, async api =>
        {
            var (body, _) = await api.Send(HttpMethod.Get, "v1/line/messages?box=inbox");
            var items = body!["items"]!.AsArray();
            var text = Table(items, ("ID", "id"), ("FROM", "from"), ("KIND", "kind"), ("SUBJECT", "subject"), ("SENT", "sent_at"), ("ACK DUE", "ack_due_at"));
            if (!parse.GetValue(follow))
            {
                return (body, text);
            }

            Console.WriteLine(text);
            Console.WriteLine("Following the line (Ctrl+C to stop)...");
            try
            {
                await api.FollowAsync(async (type, data) =>
                {
                    var line = type switch
                    {
                        "line-message" => $"{data["message"]!["sent_at"]} message {data["message"]!["id"]} from {data["message"]!["from"]}: {data["message"]!["subject"]}",
                        "line-receipt" => $"receipt: {data["party"]} {data["action"]} {data["message_id"]}",
                        "line-overdue" => $"OVERDUE: {data["recipient"]} has not acknowledged {data["message_id"]} (due {data["due_at"]}), escalation level {data["escalation_level"]}",
                        _ => null,
                    };
                    if (line is not null)
                    {
                        await Console.Out.WriteLineAsync(TerminalText.Safe(line));
                    }
                }, ct);
            }
            catch (OperationCanceledException)
            {
            }

            return (body, string.Empty);
        }));

        var id = new Argument<string>("id") { Description = "Message id" };
        var by = new Option<string>("--by") { Description = "The officer who acknowledges", Required = true };
        var note = new Option<string?>("--note") { Description = "A note for the record" };
        var ack = new Command("ack", "Acknowledge a message, naming the officer") { id, by, note };
        ack.SetAction(parse => o.Run(parse, async api =>
        {
            var (body, _) = await api.Send(HttpMethod.Post, $"v1/line/messages/{Uri.EscapeDataString(parse.GetValue(id)!)}/acknowledge", new JsonObject { ["by"] = parse.GetValue(by), ["note"] = parse.GetValue(note) });
            return (body, $"Message {body!["id"]} acknowledged by {parse.GetValue(by)}.");
        }));
        return new Command("line", "The deconfliction line") { send, inbox, ack };
    }
}
