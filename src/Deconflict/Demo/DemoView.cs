using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Deconflict.Cli;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Deconflict.Demo;

/// <summary>
/// What the terminal shows while a scenario plays. Live (a Spectre.Console view redrawn four
/// times a second to the terminal's size at that moment): a header with the server's clock, the
/// record's size and signed head, and the progress through the scenario; then each party's own
/// knowledge, what it received on its stream and learnt from its own API calls (alerts with time
/// to loss counting down, conflicts, line messages with their acknowledgement clocks, operations
/// and zones, its latest actions), side by side when the terminal is wide enough. A party is never
/// shown a name it was not told. Plain (output redirected, or --no-live): one line per event and
/// action, so test and CI logs read as a transcript.
/// </summary>
public sealed class DemoView
{
    private readonly object _gate = new();
    private readonly TimeProvider _time;
    private readonly DateTimeOffset _origin;
    private readonly TextWriter? _plain;
    private readonly TimeSpan _duration;
    private readonly IReadOnlyList<ScriptedEvent> _script;
    private readonly List<PartyKnowledge> _parties;
    private (long Size, string Root) _head = (0, string.Empty);

    /// <param name="time">The server's clock (the demo's accelerated one): the header, T+ and every countdown read it.</param>
    /// <param name="plain">Where plain lines go; null for the live view.</param>
    /// <param name="duration">How long the run lasts (the progress line's end); the scenario's full length when not given.</param>
    /// <param name="script">The scenario's scripted moments: those past <paramref name="duration"/> are named as not reached.</param>
    public DemoView(TimeProvider time, DateTimeOffset origin, IReadOnlyList<(string Id, string Name)> parties, TextWriter? plain, TimeSpan? duration = null, IReadOnlyList<ScriptedEvent>? script = null)
    {
        _time = time;
        _origin = origin;
        _plain = plain;
        _duration = duration ?? SyriaScenario.DefaultDuration;
        _script = script ?? [];
        _parties = [.. parties.Select(p => new PartyKnowledge(p.Id, p.Name))];
    }

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

    /// <summary>Each party's names for the objects it declared, by party then id: the names each side may be shown.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Names
    {
        get
        {
            lock (_gate)
            {
                return _parties.ToDictionary(p => p.Id, p => (IReadOnlyDictionary<string, string>)new Dictionary<string, string>(p.Names, StringComparer.Ordinal), StringComparer.Ordinal);
            }
        }
    }

    /// <summary>Where one party's simulator writes what it does: into that party's panel (or the plain transcript).</summary>
    public TextWriter LogFor(string party) => new LineWriter(line => Recent(party, line));

    /// <summary>The name <paramref name="party"/> gave an object it declared (an operation's name is its owner's private detail).</summary>
    public void Name(string party, string id, string name)
    {
        lock (_gate)
        {
            if (Party(party) is { } p)
            {
                p.Names[id] = name;
            }
        }
    }

    /// <summary>Takes in one event a side received, into that side's knowledge only.</summary>
    public void Observe(ReceivedEvent e)
    {
        string? line = null;
        lock (_gate)
        {
            var k = Party(e.Party);
            switch (e.Type)
            {
                case "operation" or "zone" when k is not null:
                    var d = e.Data[e.Type]!;
                    var id = d["id"]!.GetValue<string>();
                    var state = (e.Type == "zone" ? d["rule"] : d["state"])?.GetValue<string>() ?? string.Empty;
                    k.Declarations[id] = (d["party"]!.GetValue<string>(), e.Type, e.Type == "zone" ? d["name"]?.GetValue<string>() : null, state);
                    line = $"{e.Type} {e.Data["action"]} {k.Label(new JsonObject { ["id"] = id, ["party"] = d["party"]!.GetValue<string>(), ["kind"] = e.Type })}, {state}";
                    break;
                case "conflict" when k is not null:
                    var c = e.Data["conflict"]!;
                    k.Conflicts[c["id"]!.GetValue<string>()] = c;
                    line = $"conflict {e.Data["action"]} {c["id"]}: {k.Label(c["a"])} / {k.Label(c["b"])}, {c["state"]}{By(c)}";
                    break;
                case "track-alert" when k is not null:
                    var a = e.Data["alert"]!;
                    k.Alerts[a["id"]!.GetValue<string>()] = a;
                    var cleared = a["state"]?.GetValue<string>() == "cleared";
                    line = string.Create(CultureInfo.InvariantCulture,
                        $"alert {e.Data["action"]} {a["id"]}: {a["level"]!.GetValue<string>().ToUpperInvariant()}, {(cleared ? (a["cleared_reason"] is { } why ? $"cleared ({why})" : "cleared") : $"loss of separation in {PartyKnowledge.TimeToLoss(a, e.At):0} s")}, closest {Number(a["cpa"]?["horizontal_m"])} m{By(a)}");
                    break;
                case "line-message" when k is not null:
                    var m = e.Data["message"]!;
                    k.Messages[m["id"]!.GetValue<string>()] = m;
                    line = $"line {m["kind"]} {m["from"]} -> {string.Join(", ", m["to"]!.AsArray())}: \"{m["subject"]}\"{(m["ack_due_at"] is { } due ? $", acknowledgement due {PartyKnowledge.Clock(due, _origin)}" : string.Empty)}";
                    break;
                case "line-receipt" when k is not null:
                    if (k.Messages.TryGetValue(e.Data["message_id"]!.GetValue<string>(), out var msg) && e.Data["receipt"] is { } receipt && msg["receipts"] is JsonObject receipts)
                    {
                        receipts[e.Data["party"]!.GetValue<string>()] = receipt.DeepClone();
                    }

                    line = $"line receipt: {e.Data["party"]} {e.Data["action"]} {e.Data["message_id"]}";
                    break;
                case "line-overdue" when k is not null:
                    if (k.Messages.TryGetValue(e.Data["message_id"]!.GetValue<string>(), out var overdue) && overdue["receipts"]?[e.Data["recipient"]!.GetValue<string>()] is JsonObject r)
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
            Recent(e.Party, $"{SyriaScenario.Offset(e.At - _origin)} {e.Party} <- {line}");
        }
    }

    /// <summary>Redraws the live view until <paramref name="ct"/> is cancelled, to the terminal's size at each frame.</summary>
    public async Task RunLiveAsync(CancellationToken ct)
    {
        if (_plain is not null)
        {
            return;
        }

        // One line short of the height: the cursor rests on the line after the frame, and a frame
        // as tall as the terminal would scroll its first line away.
        IRenderable Frame() => Render(TerminalWidth(), TerminalHeight() - 1);
        await AnsiConsole.Live(Frame()).AutoClear(false).Overflow(VerticalOverflow.Crop).StartAsync(async ctx =>
        {
            while (!ct.IsCancellationRequested)
            {
                ctx.UpdateTarget(Frame());
                try
                {
                    await Task.Delay(250, ct);
                }
                catch (OperationCanceledException)
                {
                }
            }

            ctx.UpdateTarget(Frame());
        });
    }

    /// <summary>One frame of the live view for a terminal <paramref name="width"/> by <paramref name="height"/> cells: no line wider, no more lines.</summary>
    public IRenderable Render(int width, int height) => new Markup(string.Join('\n', Frame(width, height).Select(l => l.ToMarkup())));

    internal List<FrameLine> Frame(int width, int height)
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var column = DemoFrame.ColumnWidth(width, _parties.Count);
            return DemoFrame.Layout(Header(now, width), [.. _parties.Select(p => p.Panel(now, _origin, column))], width, height);
        }
    }

    /// <summary>
    /// The header: the server's clock and the record, then the progress line (T+ of the run's
    /// length, a bar, the scripted moments past its end). T+ and the clock read the same clock.
    /// </summary>
    private List<FrameLine> Header(DateTimeOffset now, int width)
    {
        var elapsed = now - _origin;
        var first = new FrameLine("Deconflict demo", "bold")
            .Add(string.Create(CultureInfo.InvariantCulture, $"  server clock {now:HH:mm:ss}Z"))
            .Add(string.Create(CultureInfo.InvariantCulture, $"  record {_head.Size:N0} entries"))
            .Add(_head.Root.Length > 0 ? $", head {_head.Root[..Math.Min(12, _head.Root.Length)]}…" : ", no signed head yet", "grey");

        var fraction = _duration > TimeSpan.Zero ? Math.Clamp(elapsed / _duration, 0, 1) : 1;
        var progress = new FrameLine($"{SyriaScenario.Offset(elapsed < TimeSpan.Zero ? TimeSpan.Zero : elapsed)} / {SyriaScenario.Offset(_duration)[2..]}", "bold");
        var bar = Math.Clamp(width - 40, 10, 40);
        var done = (int)Math.Round(fraction * bar);
        progress.Add(" [").Add(new string('=', done), "green").Add(new string('-', bar - done), "grey").Add("]");
        if (elapsed < TimeSpan.Zero)
        {
            progress.Add($"  starts in {PartyKnowledge.Span(-elapsed)}", "grey");
        }
        else if (_script.FirstOrDefault(s => s.At > elapsed && s.At < _duration) is { } next)
        {
            progress.Add($"  next {SyriaScenario.Offset(next.At)} {next.What}", "grey");
        }

        var outside = _script.Where(s => s.At >= _duration).ToList();
        if (outside.Count > 0)
        {
            progress.Add($"  not reached in this run: {string.Join(", ", outside.Select(s => $"{s.What} ({SyriaScenario.Offset(s.At)})"))}", "yellow");
        }

        return [first.Fit(width), progress.Fit(width)];
    }

    private PartyKnowledge? Party(string id) => _parties.Find(p => p.Id == id);

    private void Recent(string party, string line)
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
            Party(party)?.Remember(line);
        }
    }

    // The terminal's size now (it may have been resized since the last frame): the smaller of the
    // console's window and Spectre's profile, which is what Spectre wraps and crops at.
    private static int TerminalWidth() => Measure(() => Console.WindowWidth, AnsiConsole.Profile.Width);

    private static int TerminalHeight() => Measure(() => Console.WindowHeight, AnsiConsole.Profile.Height);

    private static int Measure(Func<int> window, int profile)
    {
        try
        {
            var size = window();
            return size > 0 ? Math.Min(size, profile) : profile;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or PlatformNotSupportedException)
        {
            return profile;
        }
    }

    private static string By(JsonNode n) => n["acknowledged_by"]?.AsObject().Count > 0 ? $", acknowledged by {string.Join(", ", n["acknowledged_by"]!.AsObject().Select(kv => kv.Key))}" : string.Empty;

    private static string Number(JsonNode? n) => n is null ? "?" : n.GetValue<double>().ToString("0", CultureInfo.InvariantCulture);

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
