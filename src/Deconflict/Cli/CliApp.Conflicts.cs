using System.CommandLine;
using System.Text.Json.Nodes;

namespace Deconflict.Cli;

/// <summary>`deconflict conflicts`: strategic conflicts.</summary>
public static partial class CliApp
{
    private static Command ConflictCommands(ClientOptions o)
    {
        var state = new Option<string?>("--state") { Description = "open, acknowledged, resolved or accepted" };
        var list = new Command("list", "List the conflicts your party is a side of") { state };
        list.SetAction(parse => o.Run(parse, async api =>
        {
            var (body, _) = await api.Send(HttpMethod.Get, "v1/conflicts" + Query(("state", parse.GetValue(state))));
            return (body, ConflictTable(body!["items"]!.AsArray()));
        }));
        var id = new Argument<string>("id") { Description = "Conflict id" };
        var note = new Option<string?>("--note") { Description = "A note for the record" };
        var ack = new Command("ack", "Acknowledge a conflict for your side") { id, note };
        ack.SetAction(parse => o.Run(parse, async api =>
        {
            var (body, _) = await api.Send(HttpMethod.Post, $"v1/conflicts/{Uri.EscapeDataString(parse.GetValue(id)!)}/acknowledge", new JsonObject { ["note"] = parse.GetValue(note) });
            return (body, $"Conflict {body!["id"]} is {body["state"]}; acknowledged by {string.Join(", ", body["acknowledged_by"]!.AsObject().Select(kv => kv.Key))}.");
        }));
        var accept = new Command("accept", "Accept a conflict for your side") { new Argument<string>("id") { Description = "Conflict id" }, note };
        accept.SetAction(parse => o.Run(parse, async api =>
        {
            var cid = parse.GetValue<string>("id")!;
            var (body, _) = await api.Send(HttpMethod.Post, $"v1/conflicts/{Uri.EscapeDataString(cid)}/accept", new JsonObject { ["note"] = parse.GetValue(note) });
            return (body, $"Conflict {body!["id"]} is {body["state"]}.");
        }));
        return new Command("conflicts", "Conflicts") { list, ack, accept };
    }

    private static string ConflictTable(JsonArray items) =>
        Table(items, ("ID", "id"), ("STATE", "state"), ("A", "a.id"), ("A PARTY", "a.party"), ("B", "b.id"), ("B PARTY", "b.party"), ("FROM", "overlap.time_start"), ("TO", "overlap.time_end"));
}
