using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Deconflict.Cli;

/// <summary>`deconflict conflicts`: strategic conflicts between operations and zones.</summary>
public static partial class CliApp
{
    private static readonly string[] ConflictStates = ["open", "acknowledged", "resolved", "accepted"];

    private static Command ConflictCommands(ClientOptions o)
    {
        var state = new Option<string?>("--state") { Description = "Only those in this state: open, acknowledged, resolved or accepted" };
        var list = new Command("list", "List the conflicts your party is a side of: both sides with their names where you may see them, the overlap, who acknowledged and accepted") { state }
            .WithExamples("deconflict conflicts list", "deconflict conflicts list --state open");
        Act(list, o, async (parse, api) =>
        {
            var query = Query(("state", parse.GetValue(state) is { } s ? OneOf("--state", s, ConflictStates) : null));
            var (body, _) = await api.Send(HttpMethod.Get, "v1/conflicts" + query);
            return (body, () => ConflictTable(api, body!["items"]!.AsArray()));
        });

        var id = new Argument<string>("id") { Description = "The conflict's id (cf-...)" };
        var show = new Command("show", "Everything about a conflict: both sides, the overlap, acknowledgements and acceptances with their times") { id }
            .WithExamples("deconflict conflicts show cf-0193...");
        Act(show, o, async (parse, api) =>
        {
            var (body, _) = await api.Send(HttpMethod.Get, $"v1/conflicts/{Uri.EscapeDataString(parse.GetValue(id)!)}");
            return (body, async () => ConflictDetail(body!, await SideNames(api, [body!])));
        });

        var note = new Option<string?>("--note") { Description = "A note kept with this step in the record (e.g. what you will do about it)" };
        var ack = new Command("ack", "Acknowledge a conflict for your side: you have seen it") { id, note }
            .WithExamples("deconflict conflicts ack cf-0193... --note \"seen, climbing to FL300\"");
        Act(ack, o, async (parse, api) =>
        {
            var (body, _) = await api.Send(HttpMethod.Post, $"v1/conflicts/{Uri.EscapeDataString(parse.GetValue(id)!)}/acknowledge", new JsonObject { ["note"] = parse.GetValue(note) });
            return (body, () => Task.FromResult(Progress(body!, "acknowledged_by", "acknowledged")));
        });

        var accept = new Command("accept", "Accept a conflict for your side: it may stand as it is; when both sides accept, it is accepted") { id, note }
            .WithExamples("deconflict conflicts accept cf-0193... --note \"agreed: blue stays above FL200\"");
        Act(accept, o, async (parse, api) =>
        {
            var (body, _) = await api.Send(HttpMethod.Post, $"v1/conflicts/{Uri.EscapeDataString(parse.GetValue(id)!)}/accept", new JsonObject { ["note"] = parse.GetValue(note) });
            return (body, () => Task.FromResult(Progress(body!, "accepted_by", "accepted")));
        });
        return new Command("conflicts", "Conflicts between your operations and zones and another party's") { list, show, ack, accept };
    }

    /// <summary>
    /// "Conflict cf-… accepted by blue at …; waiting for red (open)." or "… accepted by both (…): accepted."
    /// Who is waited for is each side not yet in <paramref name="member"/>.
    /// </summary>
    private static string Progress(JsonNode c, string member, string verb)
    {
        var done = c[member] as JsonObject ?? [];
        var sides = new[] { FileJson.Text(c["a"]?["party"]), FileJson.Text(c["b"]?["party"]) }.OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        var waiting = sides.Where(p => !done.ContainsKey(p)).ToList();
        var who = string.Join(", ", done.Select(kv => $"{TerminalText.Safe(kv.Key)} at {DeclarationText.Clock(kv.Value)}"));
        return waiting.Count == 0
            ? $"Conflict {Cell(c["id"])} {verb} by both ({who}): {Cell(c["state"])}."
            : $"Conflict {Cell(c["id"])} {verb} by {who}; waiting for {string.Join(", ", waiting.Select(p => TerminalText.Safe(p)))} (state {Cell(c["state"])}).";
    }

    /// <summary>
    /// The names of the operations and zones the conflicts refer to, as the caller may see them: a
    /// zone's name, an operation's details.name (the API gives details to their owner only). Each
    /// is read once with GET; one the caller may not read has no name here.
    /// </summary>
    private static async Task<Dictionary<string, string>> SideNames(ApiClient api, IEnumerable<JsonNode?> conflicts)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        var refs = conflicts.SelectMany(c => new[] { c?["a"], c?["b"] })
            .Select(r => (Kind: FileJson.Text(r?["kind"]), Id: FileJson.Text(r?["id"])))
            .Where(r => r.Id is not null && r.Kind is "operation" or "zone")
            .Distinct();
        foreach (var (kind, refId) in refs)
        {
            try
            {
                var (d, _) = await api.Send(HttpMethod.Get, Item(kind == "zone" ? "v1/zones" : "v1/operations", refId!));
                if (DeclarationText.Name(d) is { } name)
                {
                    names[refId!] = name;
                }
            }
            catch (CliException)
            {
                // Not visible to the caller: no name.
            }
        }

        return names;
    }

    /// <summary>A side for a table: "blue: Raqqa CAP", "red: zone Tabqa", or the id when the name is not the caller's to see.</summary>
    private static string Side(JsonNode? r, Dictionary<string, string> names, string? self = null)
    {
        var refId = FileJson.Text(r?["id"]);
        var zone = FileJson.Text(r?["kind"]) == "zone" ? "zone " : string.Empty;
        var what = refId is null ? $"(this {self})" : names.TryGetValue(refId, out var name) ? zone + name : refId;
        return TerminalText.Safe($"{FileJson.Text(r?["party"])}: {what}");
    }

    private static async Task<string> ConflictTable(ApiClient api, JsonArray items)
    {
        var names = await SideNames(api, items);
        TableColumn[] columns =
        [
            new("ID"), new("STATE"),
            new("A", Rank: 1, MaxWidth: 30, MinWidth: 12), new("B", Rank: 1, MaxWidth: 30, MinWidth: 12),
            new("OVERLAP (UTC)", Rank: 2), new("ALTITUDES", Rank: 3),
            new("ACKNOWLEDGED", Rank: 4, MaxWidth: 40, MinWidth: 12), new("ACCEPTED", Rank: 4, MaxWidth: 40, MinWidth: 12),
        ];
        var rows = items.Select(c => new[]
        {
            Cell(c?["id"]), Cell(c?["state"]), Side(c?["a"], names), Side(c?["b"], names), Overlap(c), Band(c), Who(c?["acknowledged_by"]), Who(c?["accepted_by"]),
        }).ToList();
        return TableFormat.Render(columns, rows);
    }

    /// <summary>The conflicts a trial (`check`) found: nothing is stored, so they have no id or state.</summary>
    private static async Task<string> ProspectiveTable(ApiClient api, JsonArray items, string noun)
    {
        var names = await SideNames(api, items);
        TableColumn[] columns =
        [
            new("A", MaxWidth: 30, MinWidth: 12), new("B", MaxWidth: 30, MinWidth: 12), new("OVERLAP (UTC)", Rank: 1), new("ALTITUDES", Rank: 2),
        ];
        var rows = items.Select(c => new[] { Side(c?["a"], names, noun), Side(c?["b"], names, noun), Overlap(c), Band(c) }).ToList();
        return TableFormat.Render(columns, rows);
    }

    /// <summary>After a write: the conflicts it has (or changed), or "No conflicts."</summary>
    private static async Task<string> ConflictsText(ApiClient api, JsonArray? conflicts, string heading = "")
    {
        if (conflicts is null || conflicts.Count == 0)
        {
            return " No conflicts.";
        }

        return $"{Environment.NewLine}{conflicts.Count} conflict(s){heading}:{Environment.NewLine}{await ConflictTable(api, conflicts)}";
    }

    private static string ConflictDetail(JsonNode c, Dictionary<string, string> names)
    {
        var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $"Conflict {Cell(c["id"])}").AppendLine();
        void Field(string label, string value) => text.Append(CultureInfo.InvariantCulture, $"  {label + ":",-13} {value}").AppendLine();
        string Ref(JsonNode? r)
        {
            var refId = FileJson.Text(r?["id"]);
            var name = refId is not null && names.TryGetValue(refId, out var n) ? $" \"{n}\"" : string.Empty;
            return TerminalText.Safe($"{FileJson.Text(r?["kind"])} {refId}{name} of {FileJson.Text(r?["party"])}, version {r?["version"]}");
        }

        Field("State", $"{Cell(c["state"])} (version {Cell(c["version"])})");
        Field("A", Ref(c["a"]));
        Field("B", Ref(c["b"]));
        Field("Overlap", Overlap(c) + " UTC");
        if (DeclarationText.Number(c["overlap"]?["altitude_lower_m"]) is { } lower && DeclarationText.Number(c["overlap"]?["altitude_upper_m"]) is { } upper)
        {
            Field("Altitudes", $"{DeclarationText.Altitude(lower)} to {DeclarationText.Altitude(upper)}");
        }

        Field("Acknowledged", Who(c["acknowledged_by"], full: true));
        Field("Accepted", Who(c["accepted_by"], full: true));
        Field("Created", DeclarationText.Clock(c["created_at"]) + (c["updated_at"] is { } updated ? $", updated {DeclarationText.Clock(updated)}" : string.Empty)
            + (c["resolved_at"] is { } resolved ? $", resolved {DeclarationText.Clock(resolved)}" : string.Empty));
        return text.ToString().TrimEnd();
    }

    private static string Overlap(JsonNode? c) =>
        DeclarationText.Time(c?["overlap"]?["time_start"]) is { } s && DeclarationText.Time(c?["overlap"]?["time_end"]) is { } e ? DeclarationText.WindowText(s, e) : "?";

    private static string Band(JsonNode? c) =>
        DeclarationText.Number(c?["overlap"]?["altitude_lower_m"]) is { } lower && DeclarationText.Number(c?["overlap"]?["altitude_upper_m"]) is { } upper
            ? DeclarationText.BandText(lower, upper)
            : "?";

    /// <summary>"blue 12-01 17:20, red 12-01 17:22" (UTC), or "-" for nobody; <paramref name="full"/> gives whole times.</summary>
    private static string Who(JsonNode? by, bool full = false) =>
        by is JsonObject { Count: > 0 } o
            ? string.Join(", ", o.Select(kv => $"{TerminalText.Safe(kv.Key)}{(full ? " at " : " ")}{(full ? DeclarationText.Clock(kv.Value) : DeclarationText.ShortClock(kv.Value))}"))
            : full ? "nobody yet" : "-";
}
