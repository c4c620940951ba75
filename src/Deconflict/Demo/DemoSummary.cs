using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Deconflict.Cli;

namespace Deconflict.Demo;

/// <summary>One conflict as both sides' streams told it: <paramref name="Between"/> is, for each party that saw it, its two sides as that party may name them.</summary>
public sealed record ConflictStory(string Id, IReadOnlyDictionary<string, string> Between, IReadOnlyList<string> SeenBy, IReadOnlyList<string> AcknowledgedBy, string State);

/// <summary>One line message: who sent it, how far it escalated (and on whose streams), who acknowledged it.</summary>
public sealed record MessageStory(string Id, string From, string To, string Kind, string Subject, int EscalationLevel, IReadOnlyList<string> OverdueSeenBy, IReadOnlyList<string> AcknowledgedBy);

/// <summary>One alert: each side's own aircraft in it (by callsign), the levels each side saw, in order, who acknowledged it at which level, whether it cleared and why (the API's cleared_reason, when it gives one).</summary>
public sealed record AlertStory(string Id, IReadOnlyDictionary<string, string> Aircraft, IReadOnlyDictionary<string, IReadOnlyList<string>> LevelsSeen, IReadOnlyDictionary<string, IReadOnlyList<string>> AcknowledgedAt, bool Cleared, string? ClearedReason = null);

/// <summary>
/// What happened in a scenario, from the events the parties received on their own streams (so it
/// says what each side was told, not what the server holds): the conflicts, the line messages and
/// their escalations, the alerts and their acknowledgements. Where it names an operation, it names
/// it as each party may: an operation's name is its owner's private detail, so each side's account
/// names its own and shows the other's as "an operation of ...".
/// </summary>
public sealed record DemoSummary(IReadOnlyList<ConflictStory> Conflicts, IReadOnlyList<MessageStory> Messages, IReadOnlyList<AlertStory> Alerts, int Operations, int Zones)
{
    /// <summary>How long the run was (for "not reached within").</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>The scenario's scripted moments the run ended before.</summary>
    public IReadOnlyList<ScriptedEvent> NotReached { get; init; } = [];

    /// <param name="names">Each party's names for the operations and zones it declared (its private details), by party then id.</param>
    public static DemoSummary From(IEnumerable<ReceivedEvent> events, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>? names = null)
    {
        var all = events.ToList();

        // A zone's name is public (its events carry it); an operation's only its owner knows.
        var zoneNames = all.Where(e => e.Type == "zone").Select(e => e.Data["zone"]!).Where(z => z["name"] is not null)
            .GroupBy(z => z["id"]!.GetValue<string>()).ToDictionary(g => g.Key, g => g.Last()["name"]!.GetValue<string>(), StringComparer.Ordinal);
        string Ref(string viewer, JsonNode? r)
        {
            if (r is null)
            {
                return "?";
            }

            var (id, owner, kind) = (r["id"]!.GetValue<string>(), r["party"]!.GetValue<string>(), r["kind"]!.GetValue<string>());
            var name = owner == viewer ? names?.GetValueOrDefault(viewer)?.GetValueOrDefault(id) : null;
            name ??= zoneNames.GetValueOrDefault(id);
            return name is null ? $"{(kind == "operation" ? "an" : "a")} {kind} of {owner}" : $"{name} of {owner}";
        }
        var conflicts = all.Where(e => e.Type == "conflict").GroupBy(e => e.Data["conflict"]!["id"]!.GetValue<string>()).Select(g =>
        {
            var last = g.Last().Data["conflict"]!;
            var acked = g.SelectMany(e => e.Data["conflict"]!["acknowledged_by"]?.AsObject().Select(kv => kv.Key) ?? []).Distinct().Order(StringComparer.Ordinal).ToList();
            var between = g.GroupBy(e => e.Party).ToDictionary(s => s.Key, s => $"{Ref(s.Key, last["a"])} / {Ref(s.Key, last["b"])}", StringComparer.Ordinal);
            return new ConflictStory(g.Key, between, [.. g.Where(e => e.Data["action"]?.GetValue<string>() == "opened").Select(e => e.Party).Distinct().Order(StringComparer.Ordinal)], acked, g.Last().Data["conflict"]!["state"]!.GetValue<string>());
        }).ToList();

        var messages = all.Where(e => e.Type == "line-message").GroupBy(e => e.Data["message"]!["id"]!.GetValue<string>()).Select(g =>
        {
            var m = g.First().Data["message"]!;
            var overdue = all.Where(e => e.Type == "line-overdue" && e.Data["message_id"]?.GetValue<string>() == g.Key).ToList();
            var acked = all.Where(e => e.Type == "line-receipt" && e.Data["message_id"]?.GetValue<string>() == g.Key && e.Data["action"]?.GetValue<string>() == "acknowledged")
                .Select(e => e.Data["party"]!.GetValue<string>()).Distinct().Order(StringComparer.Ordinal).ToList();
            return new MessageStory(g.Key, m["from"]!.GetValue<string>(), string.Join(", ", m["to"]!.AsArray().Select(t => t!.GetValue<string>())), m["kind"]?.GetValue<string>() ?? "free-text",
                m["subject"]!.GetValue<string>(), overdue.Count == 0 ? 0 : overdue.Max(e => e.Data["escalation_level"]!.GetValue<int>()),
                [.. overdue.Select(e => e.Party).Distinct().Order(StringComparer.Ordinal)], acked);
        }).ToList();

        var alerts = all.Where(e => e.Type == "track-alert").GroupBy(e => e.Data["alert"]!["id"]!.GetValue<string>()).Select(g =>
        {
            var levels = g.GroupBy(e => e.Party).ToDictionary(
                s => s.Key,
                s => (IReadOnlyList<string>)Collapse(s.Where(e => e.Data["action"]?.GetValue<string>() is "raised" or "level-changed").Select(e => e.Data["alert"]!["level"]!.GetValue<string>())),
                StringComparer.Ordinal);
            var acks = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            foreach (var e in g.Where(e => e.Data["action"]?.GetValue<string>() == "acknowledged"))
            {
                var level = e.Data["alert"]!["level"]!.GetValue<string>();
                foreach (var by in e.Data["alert"]!["acknowledged_by"]?.AsObject().Select(kv => kv.Key) ?? [])
                {
                    var list = acks.TryGetValue(by, out var l) ? l : acks[by] = [];
                    if (!list.Contains(level))
                    {
                        list.Add(level);
                    }
                }
            }

            // Each side sees its own aircraft's callsign, never the other's.
            var aircraft = g.GroupBy(e => e.Party).ToDictionary(
                s => s.Key,
                s => new[] { s.First().Data["alert"]!["a"]!, s.First().Data["alert"]!["b"]! }.FirstOrDefault(x => x["own"]?.GetValue<bool>() == true)?["callsign"]?.GetValue<string>() ?? "?",
                StringComparer.Ordinal);
            var cleared = g.FirstOrDefault(e => e.Data["action"]?.GetValue<string>() == "cleared");
            return new AlertStory(g.Key, aircraft, levels, acks.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)kv.Value, StringComparer.Ordinal), cleared is not null, cleared?.Data["alert"]?["cleared_reason"]?.GetValue<string>());
        }).ToList();

        var operations = all.Where(e => e.Type == "operation").Select(e => e.Data["operation"]!["id"]!.GetValue<string>()).Distinct().Count();
        var zones = all.Where(e => e.Type == "zone").Select(e => e.Data["zone"]!["id"]!.GetValue<string>()).Distinct().Count();
        return new DemoSummary(conflicts, messages, alerts, operations, zones);
    }

    /// <summary>The story in a few lines for the terminal.</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"  Declared: {Zones} zone(s) and {Operations} operation(s).");
        foreach (var c in Conflicts)
        {
            var seen = string.Join("; ", c.Between.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} saw {kv.Value}"));
            text.AppendLine(CultureInfo.InvariantCulture, $"  Conflict {c.Id} ({seen}): opened on the streams of {Names(c.SeenBy)}, acknowledged by {Names(c.AcknowledgedBy)}, {c.State}.");
        }

        foreach (var m in Messages)
        {
            var escalation = m.EscalationLevel > 0 ? $", escalated to level {m.EscalationLevel} (line-overdue on the streams of {Names(m.OverdueSeenBy)})" : string.Empty;
            var acked = m.AcknowledgedBy.Count > 0 ? $", acknowledged by {Names(m.AcknowledgedBy)}" : ", not acknowledged";
            text.AppendLine(CultureInfo.InvariantCulture, $"  Line {m.Kind} {m.From} -> {m.To} \"{TerminalText.Safe(m.Subject)}\"{escalation}{acked}.");
        }

        foreach (var a in Alerts)
        {
            var levels = string.Join("; ", a.LevelsSeen.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} saw {string.Join(" -> ", kv.Value)}"));
            var acks = string.Join("; ", a.AcknowledgedAt.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} acknowledged at {string.Join(", ", kv.Value)}"));
            var between = string.Join(" and ", a.Aircraft.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Value} ({kv.Key})"));
            text.AppendLine(CultureInfo.InvariantCulture, $"  Alert {a.Id} between {between}: {levels}; {(acks.Length > 0 ? acks : "not acknowledged")}; {(a.Cleared ? (a.ClearedReason is { } why ? $"cleared ({why})" : "cleared") : "still active")}.");
        }

        if (Conflicts.Count + Messages.Count + Alerts.Count == 0)
        {
            text.AppendLine("  Nothing happened: was the duration long enough?");
        }

        if (NotReached.Count > 0)
        {
            var within = Duration is { } d ? $" within {Compact(d)}" : string.Empty;
            text.AppendLine(CultureInfo.InvariantCulture, $"  Not reached{within}: {string.Join(", ", NotReached.Select(e => $"{e.What} ({SyriaScenario.Offset(e.At)})"))}.");
        }

        // Names, subjects and callsigns come from the parties.
        return TerminalText.Safe(text.ToString(), multiline: true);
    }

    /// <summary>A duration as --duration takes it: 20m, 1h30m, 90s.</summary>
    private static string Compact(TimeSpan d)
    {
        var text = new StringBuilder();
        if (d.TotalHours >= 1)
        {
            text.Append(CultureInfo.InvariantCulture, $"{(int)d.TotalHours}h");
        }

        if (d.Minutes > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"{d.Minutes}m");
        }

        if (d.Seconds > 0 || text.Length == 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"{d.Seconds}s");
        }

        return text.ToString();
    }

    private static string Names(IReadOnlyList<string> parties) => parties.Count == 0 ? "nobody" : string.Join(" and ", parties);

    /// <summary>Levels in order, a repeat of the same level shown once.</summary>
    private static List<string> Collapse(IEnumerable<string> levels)
    {
        var list = new List<string>();
        foreach (var l in levels)
        {
            if (list.Count == 0 || list[^1] != l)
            {
                list.Add(l);
            }
        }

        return list;
    }
}
