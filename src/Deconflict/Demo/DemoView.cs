using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Deconflict.Cli;
using Deconflict.Core.Model;
using Spectre.Console;

namespace Deconflict.Demo;

/// <summary>
/// What the terminal shows while a scenario plays. Live (a Spectre.Console view redrawn a few
/// times a second): parties, operations, open conflicts, active alerts with time to loss, line
/// messages with their acknowledgement clocks, the record's size and latest signed head, and the
/// latest actions. Plain (output redirected, or --no-live): one line per event and action, so test
/// and CI logs read as a transcript.
/// </summary>
public sealed class DemoView
{
    private readonly object _gate = new();
    private readonly TimeProvider _time;
    private readonly DateTimeOffset _origin;
    private readonly TextWriter? _plain;
    private readonly IReadOnlyList<(string Id, string Name)> _parties;
    private readonly Dictionary<string, (string Party, string Name, string State, string Kind)> _declarations = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, JsonNode> _conflicts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, JsonNode> _alerts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, JsonNode> _messages = new(StringComparer.Ordinal);
    private readonly Queue<string> _recent = new();
    private (long Size, string Root) _head = (0, string.Empty);

    /// <param name="plain">Where plain lines go; null for the live view.</param>
    public DemoView(TimeProvider time, DateTimeOffset origin, IReadOnlyList<(string Id, string Name)> parties, TextWriter? plain)
    {
        _time = time;
        _origin = origin;
        _parties = parties;
        _plain = plain;
        Log = new LineWriter(Recent);
    }

    /// <summary>Where the simulators write what they do.</summary>
    public TextWriter Log { get; }

    public (long Size, string Root) Head
    {
        get
        {
            lock (_gate)
            {
                return _head;
            }
        }
    }

    /// <summary>The names the sides gave the objects they declared, by id.</summary>
    public IReadOnlyDictionary<string, string> Names
    {
        get
        {
            lock (_gate)
            {
                return new Dictionary<string, string>(_names, StringComparer.Ordinal);
            }
        }
    }

    /// <summary>The name a side gave an object it declared (an operation's name is its owner's private detail).</summary>
    public void Name(string id, string name)
    {
        lock (_gate)
        {
            _names[id] = name;
            if (_declarations.TryGetValue(id, out var d))
            {
                _declarations[id] = d with { Name = name };
            }
        }
    }

    /// <summary>Takes in one event a side received.</summary>
    public void Observe(ReceivedEvent e)
    {
        string? line = null;
        lock (_gate)
        {
            switch (e.Type)
            {
                case "operation" or "zone":
                    var d = e.Data[e.Type]!;
                    var id = d["id"]!.GetValue<string>();
                    var name = d["name"]?.GetValue<string>() ?? _names.GetValueOrDefault(id) ?? id;
                    var state = (e.Type == "zone" ? d["rule"] : d["state"])?.GetValue<string>() ?? string.Empty;
                    _declarations[id] = (d["party"]!.GetValue<string>(), name, state, e.Type);

                    line = $"{e.Type} {e.Data["action"]} {name} ({d["party"]}, {state})";
                    break;
                case "conflict":
                    var c = e.Data["conflict"]!;
                    _conflicts[c["id"]!.GetValue<string>()] = c;
                    line = $"conflict {e.Data["action"]} {c["id"]}: {Side(c["a"])} / {Side(c["b"])}, {c["state"]}{By(c)}";
                    break;
                case "track-alert":
                    var a = e.Data["alert"]!;
                    _alerts[a["id"]!.GetValue<string>()] = a;
                    line = $"alert {e.Data["action"]} {a["id"]}: {a["level"]!.GetValue<string>().ToUpperInvariant()}, loss of separation in {Number(a["time_to_loss_s"], "0")} s, closest {Number(a["cpa"]?["horizontal_m"], "0")} m{By(a)}";
                    break;
                case "line-message":
                    var m = e.Data["message"]!;
                    _messages[m["id"]!.GetValue<string>()] = m;
                    line = $"line {m["kind"]} {m["from"]} -> {string.Join(", ", m["to"]!.AsArray())}: \"{m["subject"]}\"{(m["ack_due_at"] is { } due ? $", acknowledgement due {Clock(due)}" : string.Empty)}";
                    break;
                case "line-receipt":
                    if (_messages.TryGetValue(e.Data["message_id"]!.GetValue<string>(), out var msg) && e.Data["receipt"] is { } receipt)
                    {
                        msg["receipts"]![e.Data["party"]!.GetValue<string>()] = receipt.DeepClone();
                    }

                    line = $"line receipt: {e.Data["party"]} {e.Data["action"]} {e.Data["message_id"]}";
                    break;
                case "line-overdue":
                    if (_messages.TryGetValue(e.Data["message_id"]!.GetValue<string>(), out var overdue) && overdue["receipts"]?[e.Data["recipient"]!.GetValue<string>()] is JsonObject r)
                    {
                        r["escalation_level"] = e.Data["escalation_level"]!.GetValue<int>();
                        r["due_at"] = e.Data["next_due_at"]?.DeepClone();
                    }

                    line = $"LINE OVERDUE: {e.Data["recipient"]} has not acknowledged \"{e.Data["subject"]}\": escalation level {e.Data["escalation_level"]}";
                    break;
                case "record-head":
                    _head = (e.Data["size"]!.GetValue<long>(), e.Data["root_hash"]!.GetValue<string>());
                    break;
            }
        }

        if (line is not null)
        {
            Recent($"{SyriaScenario.Offset(e.At - _origin)} {e.Party} <- {line}");
        }
    }

    /// <summary>Redraws the live view until <paramref name="ct"/> is cancelled.</summary>
    public async Task RunLiveAsync(CancellationToken ct)
    {
        if (_plain is not null)
        {
            return;
        }

        await AnsiConsole.Live(Render()).AutoClear(false).StartAsync(async ctx =>
        {
            while (!ct.IsCancellationRequested)
            {
                ctx.UpdateTarget(Render());
                try
                {
                    await Task.Delay(250, ct);
                }
                catch (OperationCanceledException)
                {
                }
            }

            ctx.UpdateTarget(Render());
        });
    }

    private void Recent(string line)
    {
        // Names, subjects and ids come from the parties: one safe line, whatever they hold.
        line = TerminalText.Safe(line);
        if (_plain is not null)
        {
            lock (_plain)
            {
                _plain.WriteLine(line);
                _plain.Flush();
            }

            return;
        }

        lock (_gate)
        {
            _recent.Enqueue(line);
            while (_recent.Count > 8)
            {
                _recent.Dequeue();
            }
        }
    }

    private Rows Render()
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var header = new Markup(TerminalText.Markup(string.Create(CultureInfo.InvariantCulture,
                $"Deconflict demo: Syria 2015   {SyriaScenario.Offset(now - _origin)} ({now:HH:mm:ss}Z)   record {_head.Size:N0} entries, head {Short(_head.Root)}")));

            var parties = new Table().Title("Parties").AddColumns("id", "name", "operations", "zones");
            foreach (var (id, name) in _parties)
            {
                parties.AddRow(TerminalText.Markup(id), TerminalText.Markup(name), _declarations.Values.Count(d => d.Party == id && d.Kind == "operation" && d.State is not ("cancelled" or "ended")).ToString(CultureInfo.InvariantCulture),
                    _declarations.Values.Count(d => d.Party == id && d.Kind == "zone").ToString(CultureInfo.InvariantCulture));
            }

            var operations = new Table().Title("Operations").AddColumns("party", "name", "state");
            foreach (var d in _declarations.Values.Where(d => d.Kind == "operation"))
            {
                operations.AddRow(TerminalText.Markup(d.Party), TerminalText.Markup(d.Name), TerminalText.Markup(d.State));
            }

            // Open conflicts and active alerts, and the last few that were resolved or cleared.
            var conflicts = new Table().Title("Conflicts").AddColumns("id", "between", "state", "acknowledged by");
            foreach (var c in _conflicts.Values.OrderBy(c => c["state"]!.GetValue<string>() is "resolved" or "accepted").TakeLast(6))
            {
                var state = c["state"]!.GetValue<string>();
                conflicts.AddRow(TerminalText.Markup(Short(c["id"]!.GetValue<string>())), TerminalText.Markup($"{Side(c["a"])} / {Side(c["b"])}"), state is "open" ? "[yellow]open[/]" : TerminalText.Markup(state), Acked(c));
            }

            var alerts = new Table().Title("Alerts").AddColumns("id", "level", "state", "time to loss", "closest", "acknowledged by");
            foreach (var a in _alerts.Values.OrderBy(a => a["state"]!.GetValue<string>() == "cleared").TakeLast(4))
            {
                var level = a["level"]!.GetValue<string>();
                var active = a["state"]!.GetValue<string>() == "active";
                var colour = !active ? "grey" : level switch { "loss" or "warning" => "red", "caution" => "yellow", _ => "blue" };
                alerts.AddRow(TerminalText.Markup(Short(a["id"]!.GetValue<string>())), $"[{colour}]{TerminalText.Markup(level)}[/]", TerminalText.Markup(a["state"]!.GetValue<string>()), active ? Number(a["time_to_loss_s"], "0") + " s" : "-", Number(a["cpa"]?["horizontal_m"], "0") + " m", Acked(a));
            }

            var line = new Table().Title("Line").AddColumns("from -> to", "subject", "acknowledgement", "escalation");
            foreach (var m in _messages.Values.TakeLast(6))
            {
                foreach (var (to, receipt) in m["receipts"]?.AsObject() ?? [])
                {
                    var acked = receipt?["acknowledged_at"] is { } at ? $"[green]acknowledged {Clock(at)}[/]" : m["ack_due_at"] is null ? "not required" : $"due {Clock(receipt?["due_at"] ?? m["ack_due_at"])}";
                    var level = receipt?["escalation_level"]?.GetValue<int>() ?? 0;
                    line.AddRow(TerminalText.Markup($"{m["from"]} -> {to}"), TerminalText.Markup(m["subject"]!.GetValue<string>()), acked, level > 0 ? $"[red]level {level}[/]" : "-");
                }
            }

            var recent = new Panel(new Markup(TerminalText.Markup(string.Join(Environment.NewLine, _recent)))).Header("Latest").Expand();
            return new Rows(header, new Columns(parties, operations), conflicts, alerts, line, recent);
        }
    }

    private string Side(JsonNode? r) => r is null ? "?" : $"{r["kind"]} {_names.GetValueOrDefault(r["id"]!.GetValue<string>()) ?? Short(r["id"]!.GetValue<string>())} ({r["party"]})";

    private string Clock(JsonNode? at) =>
        at is not null && Rfc3339.TryParse(at.GetValue<string>(), out var t) ? SyriaScenario.Offset(t - _origin) : "?";

    private static string By(JsonNode n) => n["acknowledged_by"]?.AsObject().Count > 0 ? $", acknowledged by {string.Join(", ", n["acknowledged_by"]!.AsObject().Select(kv => kv.Key))}" : string.Empty;

    private static string Acked(JsonNode n) => TerminalText.Markup(string.Join(", ", n["acknowledged_by"]?.AsObject().Select(kv => kv.Key) ?? []));

    private static string Number(JsonNode? n, string format) => n is null ? "?" : n.GetValue<double>().ToString(format, CultureInfo.InvariantCulture);

    private static string Short(string id) => id.Length > 16 ? id[..16] + "…" : id;

    /// <summary>A writer that hands each whole line to a callback.</summary>
    private sealed class LineWriter(Action<string> line) : TextWriter
    {
        private readonly StringBuilder _buffer = new();

        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value)
        {
            lock (_buffer)
            {
                if (value == '\n')
                {
                    line(_buffer.ToString().TrimEnd('\r'));
                    _buffer.Clear();
                }
                else
                {
                    _buffer.Append(value);
                }
            }
        }
    }
}
