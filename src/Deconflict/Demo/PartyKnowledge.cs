using System.Globalization;
using System.Text.Json.Nodes;
using Deconflict.Core.Model;

namespace Deconflict.Demo;

/// <summary>
/// What one party has been told, and nothing else: the events on its own stream and the names of
/// the objects it declared itself (its own API calls). An operation's name is its owner's private
/// detail (no stream carries it, and a GET shows it only to the owner), so the other side's
/// operations appear by kind and id; a zone's name is public and comes with its event. Not
/// thread-safe: <see cref="DemoView"/> holds its lock around every use.
/// </summary>
internal sealed class PartyKnowledge(string id, string name)
{
    private const int RecentLines = 8;

    public string Id => id;

    public string Name => name;

    /// <summary>Names the party gave the objects it declared, by id.</summary>
    public Dictionary<string, string> Names { get; } = new(StringComparer.Ordinal);

    /// <summary>Operations and zones from its stream: owner, kind, public name (zones), state or rule.</summary>
    public Dictionary<string, (string Party, string Kind, string? Name, string State)> Declarations { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, JsonNode> Conflicts { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, JsonNode> Alerts { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, JsonNode> Messages { get; } = new(StringComparer.Ordinal);

    public Queue<string> Recent { get; } = new();

    public void Remember(string line)
    {
        Recent.Enqueue(line);
        while (Recent.Count > RecentLines)
        {
            Recent.Dequeue();
        }
    }

    /// <summary>An operation or zone as this party knows it: its own name for its own, a zone's public name, else kind and id; with its owner.</summary>
    public string Label(JsonNode? r)
    {
        if (r is null)
        {
            return "?";
        }

        var objectId = r["id"]!.GetValue<string>();
        var owner = r["party"]?.GetValue<string>() ?? "?";
        var known = owner == id ? Names.GetValueOrDefault(objectId) : null;
        known ??= Declarations.TryGetValue(objectId, out var d) ? d.Name : null;
        return $"{known ?? $"{r["kind"]} {Short(objectId)}"} ({owner})";
    }

    /// <summary>This party's panel at <paramref name="now"/>, its rows shaped for a column <paramref name="width"/> cells wide.</summary>
    public PartyPanel Panel(DateTimeOffset now, DateTimeOffset origin, int width)
    {
        var wide = width >= 90;
        var heading = new FrameLine($"── {id}", "bold underline").Add($" ({name}): what it was told ", "bold");
        heading.Add(new string('─', Math.Max(0, width - heading.Width)), "grey");
        return new PartyPanel(heading, [
            new FrameSection("Alerts", 0, AlertRows(now, wide)),
            new FrameSection("Conflicts", 1, ConflictRows(origin, wide)),
            new FrameSection("Line", 2, LineRows(now, origin, wide)),
            new FrameSection("Operations and zones", 3, DeclarationRows()),
            new FrameSection("Latest", 4, [.. Recent.Reverse().Select(l => new FrameLine(l, "grey"))]),
        ]);
    }

    /// <summary>
    /// Seconds until the predicted loss of separation at <paramref name="now"/>: the alert's
    /// time_to_loss_s counted down from its predicted_at, never below zero.
    /// </summary>
    public static double TimeToLoss(JsonNode alert, DateTimeOffset now)
    {
        var stated = alert["time_to_loss_s"]?.GetValue<double>() ?? 0;
        var at = alert["predicted_at"] ?? alert["raised_at"];
        var since = at is not null && Rfc3339.TryParse(at.GetValue<string>(), out var predicted) ? (now - predicted).TotalSeconds : 0;
        return Math.Max(0, stated - since);
    }

    private List<FrameLine> AlertRows(DateTimeOffset now, bool wide)
    {
        var rows = new List<FrameLine>();
        var ordered = Alerts.Values
            .OrderBy(a => a["state"]?.GetValue<string>() == "active" ? 0 : 1)
            .ThenByDescending(a => Severity(a["level"]?.GetValue<string>()))
            .ThenByDescending(a => a["updated_at"]?.GetValue<string>(), StringComparer.Ordinal);
        foreach (var a in ordered)
        {
            var level = a["level"]?.GetValue<string>() ?? "?";
            var active = a["state"]?.GetValue<string>() == "active";
            var own = new[] { a["a"], a["b"] }.FirstOrDefault(x => x?["own"]?.GetValue<bool>() == true);
            var other = new[] { a["a"], a["b"] }.FirstOrDefault(x => !ReferenceEquals(x, own));
            var between = $"{own?["callsign"]?.GetValue<string>() ?? own?["track_id"]?.GetValue<string>() ?? "?"} / {other?["party"]?.GetValue<string>() ?? "?"} aircraft";
            var closest = string.Create(CultureInfo.InvariantCulture, $"closest {a["cpa"]?["horizontal_m"]?.GetValue<double>() ?? 0:N0} m");
            var row = new FrameLine();
            if (active)
            {
                var colour = level switch { "loss" or "warning" => "red bold", "caution" => "yellow", _ => "blue" };
                row.Add(level.ToUpperInvariant().PadRight(8), colour).Add(" ").Add(between)
                    .Add(string.Create(CultureInfo.InvariantCulture, $"  loss in {Math.Ceiling(TimeToLoss(a, now)):0} s"), colour)
                    .Add($"  {closest}");
            }
            else
            {
                var reason = a["cleared_reason"]?.GetValue<string>();
                row.Add(reason is null ? "cleared" : $"cleared ({reason})", "green").Add($"  {between}  was {level}, {closest}", "grey");
            }

            if (wide && a["cpa"]?["vertical_m"] is { } vertical)
            {
                row.Add(string.Create(CultureInfo.InvariantCulture, $", {vertical.GetValue<double>():N0} m vertical"), active ? null : "grey");
            }

            row.Add($"  ack: {Acknowledged(a)}", active ? null : "grey");
            rows.Add(row);
        }

        return rows;
    }

    private List<FrameLine> ConflictRows(DateTimeOffset origin, bool wide)
    {
        var rows = new List<FrameLine>();
        foreach (var c in Conflicts.Values.OrderBy(c => c["state"]?.GetValue<string>() switch { "open" => 0, "acknowledged" => 1, _ => 2 }))
        {
            var state = c["state"]?.GetValue<string>() ?? "?";
            var row = new FrameLine(state.PadRight(12), state switch { "open" => "yellow", "acknowledged" => "blue", _ => "green" })
                .Add($" {Label(c["a"])} / {Label(c["b"])}");
            if (wide && c["overlap"] is { } overlap)
            {
                row.Add(string.Create(CultureInfo.InvariantCulture,
                    $"  {Clock(overlap["time_start"], origin)}-{Clock(overlap["time_end"], origin)}, {overlap["altitude_lower_m"]?.GetValue<double>() ?? 0:N0}-{overlap["altitude_upper_m"]?.GetValue<double>() ?? 0:N0} m"), "grey");
            }

            rows.Add(row.Add($"  ack: {Acknowledged(c)}"));
        }

        return rows;
    }

    private List<FrameLine> LineRows(DateTimeOffset now, DateTimeOffset origin, bool wide)
    {
        var rows = new List<(int Order, FrameLine Row)>();
        foreach (var m in Messages.Values)
        {
            foreach (var (to, receipt) in m["receipts"]?.AsObject() ?? [])
            {
                var row = new FrameLine($"{m["from"]} -> {to} ");
                if (wide)
                {
                    row.Add($"{m["kind"]} ", "grey");
                }

                row.Add($"\"{m["subject"]}\"  ");
                var level = receipt?["escalation_level"]?.GetValue<int>() ?? 0;
                int order;
                if (receipt?["acknowledged_at"] is { } at)
                {
                    row.Add($"acknowledged {Clock(at, origin)}", "green");
                    order = 2;
                }
                else if (m["ack_due_at"] is { } due && Rfc3339.TryParse(due.GetValue<string>(), out var dueAt))
                {
                    var left = dueAt - now;
                    row.Add(left > TimeSpan.Zero ? $"due in {Span(left)}" : $"overdue by {Span(-left)}", left > TimeSpan.Zero ? "yellow" : "red");
                    order = 0;
                }
                else
                {
                    row.Add("no acknowledgement required", "grey");
                    order = 1;
                }

                if (level > 0)
                {
                    row.Add(string.Create(CultureInfo.InvariantCulture, $", level {level}"), "red");
                }

                rows.Add((order, row));
            }
        }

        return [.. rows.OrderBy(r => r.Order).Select(r => r.Row)];
    }

    private List<FrameLine> DeclarationRows() =>
    [
        .. Declarations.OrderBy(d => d.Value.Party == id ? 0 : 1).ThenBy(d => d.Value.Kind, StringComparer.Ordinal).Select(d =>
        {
            var (party, kind, _, state) = d.Value;
            var label = Label(new JsonObject { ["id"] = d.Key, ["party"] = party, ["kind"] = kind });
            return new FrameLine(label).Add($"  {(kind == "zone" ? $"{state} zone" : state)}", state is "cancelled" or "ended" ? "grey" : null);
        }),
    ];

    private static int Severity(string? level) => level switch { "loss" => 3, "warning" => 2, "caution" => 1, _ => 0 };

    private static string Acknowledged(JsonNode n) => n["acknowledged_by"]?.AsObject().Count > 0 ? string.Join(", ", n["acknowledged_by"]!.AsObject().Select(kv => kv.Key)) : "-";

    /// <summary>A span as m:ss (or h:mm:ss).</summary>
    public static string Span(TimeSpan t) => t.TotalHours >= 1
        ? string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours}:{t.Minutes:00}:{t.Seconds:00}")
        : string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalMinutes}:{t.Seconds:00}");

    public static string Clock(JsonNode? at, DateTimeOffset origin) =>
        at is not null && Rfc3339.TryParse(at.GetValue<string>(), out var t) ? SyriaScenario.Offset(t - origin) : "?";

    public static string Short(string objectId) => objectId.Length > 16 ? objectId[..16] + "…" : objectId;
}
