using System.Globalization;
using System.Text.Json.Nodes;
using Deconflict.Cli;
using Deconflict.Core.Geometry;
using Deconflict.Core.Model;

namespace Deconflict.Demo;

/// <summary>An event one side received on its stream, with the simulated time it arrived.</summary>
public sealed record ReceivedEvent(string Party, DateTimeOffset At, string Type, JsonNode Data);

/// <summary>A timed step of one side's script: at <see cref="At"/> after the scenario's start, do <see cref="Act"/>.</summary>
public sealed record ScriptStep(TimeSpan At, string What, Func<SideContext, Task> Act);

/// <summary>One side of a scenario: its sorties, its timed steps, and what it does when one of its aircraft is in an alert.</summary>
public sealed record ScenarioSide(string Party, string Name, IReadOnlyList<Flight> Flights, IReadOnlyList<ScriptStep> Steps, Func<SideContext, JsonNode, Task>? OnWarning = null);

/// <summary>
/// Runs one side of a scenario against any Deconflict server, as that party's client over HTTP
/// with its own token: it follows the party's event stream, plays the timed steps (declarations,
/// acknowledgements, line messages), reports its aircraft's positions from simulated time, and
/// answers alerts (acknowledges each new level; the side's own reaction to a warning, such as a
/// turn away). Where a step needs the other side's action it waits for it on the stream, with a
/// timeout, so a side also plays alone.
/// </summary>
public sealed class PartySimulator
{
    private readonly ScenarioSide _side;
    private readonly ApiClient _api;
    private readonly TimeProvider _time;
    private readonly double _speed;
    private readonly List<ReceivedEvent> _received = [];
    private readonly List<Task> _reactions = [];
    private readonly Action<ReceivedEvent>? _observe;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="speed">Simulated seconds per real second of <paramref name="time"/>: sets how often positions are reported.</param>
    /// <param name="named">Told the name of each object the side declares or sends (names are private details: no other party's stream carries them).</param>
    public PartySimulator(ScenarioSide side, ApiClient api, TimeProvider time, DateTimeOffset origin, int seed, double speed, TextWriter log, Action<ReceivedEvent>? observe = null, Action<string, string>? named = null)
    {
        _side = side;
        _api = api;
        _time = time;
        _speed = speed;
        _observe = observe;
        Context = new SideContext(this, side.Party, api, time, origin, new Random(unchecked((seed * 31) + StableHash(side.Party))), log, named);
    }

    /// <summary>The longest simulated interval between two position reports of an airborne aircraft.</summary>
    public static readonly TimeSpan MaxReportInterval = TimeSpan.FromSeconds(10);

    public string Party => _side.Party;

    public SideContext Context { get; }

    /// <summary>Everything this side received on its stream so far, in order.</summary>
    public IReadOnlyList<ReceivedEvent> Received
    {
        get
        {
            lock (_received)
            {
                return [.. _received];
            }
        }
    }

    /// <summary>Plays the side until <paramref name="duration"/> of simulated time after the origin, or <paramref name="ct"/>.</summary>
    public async Task RunAsync(TimeSpan duration, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Context.Stopping = stop.Token;
        var connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var follow = Task.Run(() => Follow(connected, stop.Token), CancellationToken.None);
        await Task.WhenAny(connected.Task, follow);
        if (follow.IsCompleted)
        {
            await follow;   // it failed before connecting: show why
        }

        var tracks = Task.Run(() => ReportTracks(stop.Token), CancellationToken.None);
        var script = Task.Run(() => PlayScript(stop.Token), CancellationToken.None);
        var end = Context.Origin + duration;
        try
        {
            var left = end - _time.GetUtcNow();
            if (left > TimeSpan.Zero)
            {
                await Task.Delay(left, _time, ct);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await Quietly(tracks);
            await Quietly(script);
            await Quietly(follow);
            Task[] reactions;
            lock (_reactions)
            {
                reactions = [.. _reactions];
            }

            foreach (var r in reactions)
            {
                await Quietly(r);
            }
        }
    }

    /// <summary>Waits until an event that <paramref name="match"/> accepts has been received (earlier ones count), or the simulated timeout passes (null).</summary>
    internal async Task<ReceivedEvent?> WaitForAsync(Func<ReceivedEvent, bool> match, TimeSpan timeout, CancellationToken ct)
    {
        using var expire = new CancellationTokenSource(timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(expire.Token, ct);
        while (true)
        {
            Task changed;
            lock (_received)
            {
                if (_received.Find(e => match(e)) is { } found)
                {
                    return found;
                }

                changed = _changed.Task;
            }

            try
            {
                await changed.WaitAsync(linked.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return null;
            }
        }
    }

    private async Task Follow(TaskCompletionSource connected, CancellationToken ct)
    {
        try
        {
            await _api.FollowAsync((type, data) =>
            {
                var e = new ReceivedEvent(Party, _time.GetUtcNow(), type, data);
                TaskCompletionSource changed;
                lock (_received)
                {
                    _received.Add(e);
                    changed = _changed;
                    _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                changed.TrySetResult();
                _observe?.Invoke(e);
                if (type == "track-alert")
                {
                    React(data, ct);
                }

                return Task.CompletedTask;
            }, ct, () => connected.TrySetResult());
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (HttpRequestException) when (ct.IsCancellationRequested)
        {
        }
        catch (IOException) when (ct.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// A duty officer's answer to an alert their aircraft is in: at every new level, an
    /// acknowledgement a few seconds later (sooner for a warning), then on a warning (or worse) the
    /// side's own manoeuvre.
    /// </summary>
    private void React(JsonNode data, CancellationToken ct)
    {
        var action = data["action"]?.GetValue<string>();
        if (action is not ("raised" or "level-changed"))
        {
            return;
        }

        var alert = data["alert"]!;
        var level = alert["level"]!.GetValue<string>();
        var id = alert["id"]!.GetValue<string>();
        var urgent = level is "warning" or "loss";
        var reaction = Task.Run(async () =>
        {
            await Context.DelayAsync(TimeSpan.FromSeconds(urgent ? Context.Jitter(1, 4) : Context.Jitter(3, 10)));
            try
            {
                var (acked, _) = await _api.Send(HttpMethod.Post, $"v1/alerts/{Uri.EscapeDataString(id)}/acknowledge", new JsonObject());
                Context.Log($"acknowledged the {acked!["level"]} alert {id} (time to loss {Seconds(alert["time_to_loss_s"])})");
            }
            catch (CliException e)
            {
                Context.Log($"could not acknowledge alert {id}: {e.Message}");
            }

            if (urgent && _side.OnWarning is { } onWarning)
            {
                await onWarning(Context, alert);
            }
        }, CancellationToken.None);
        lock (_reactions)
        {
            _reactions.Add(reaction);
        }
    }

    private async Task PlayScript(CancellationToken ct)
    {
        foreach (var step in _side.Steps)
        {
            var wait = Context.Origin + step.At - _time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, _time, ct);
            }

            try
            {
                await step.Act(Context);
            }
            catch (CliException e)
            {
                Context.Log($"{step.What}: the server refused: {e.Message}");
            }
            catch (HttpRequestException e) when (!ct.IsCancellationRequested)
            {
                Context.Log($"{step.What}: cannot reach the server: {e.Message}");
            }
        }
    }

    /// <summary>
    /// Posts the position of every airborne aircraft, timed by the simulated clock, through the
    /// whole run. Every 2 s of simulated time, but no more often than every 25 ms of real time: at
    /// high speed the reports are further apart in simulated time, and the detector extrapolates
    /// between them. Never more than <see cref="MaxReportInterval"/> apart, so a track stays fresh
    /// through an encounter and an alert clears because the danger passed, not because the tracks
    /// went stale (the demo's tracks go stale after 30 s).
    /// </summary>
    private async Task ReportTracks(CancellationToken ct)
    {
        var every = TimeSpan.FromSeconds(Math.Clamp(0.025 * _speed, 2, MaxReportInterval.TotalSeconds));
        while (!ct.IsCancellationRequested)
        {
            var now = _time.GetUtcNow();
            var reports = new JsonArray();
            foreach (var f in _side.Flights)
            {
                if (f.At(now) is { } s)
                {
                    reports.Add(new JsonObject
                    {
                        ["id"] = f.Id,
                        ["time"] = Rfc3339.FormatUtc(now),
                        ["lat"] = s.Position.Lat,
                        ["lng"] = s.Position.Lng,
                        ["altitude_m"] = Math.Round(s.AltitudeM, 1),
                        ["velocity"] = new JsonObject { ["east_mps"] = Math.Round(s.EastMps, 2), ["north_mps"] = Math.Round(s.NorthMps, 2), ["up_mps"] = s.UpMps },
                        ["callsign"] = f.Callsign,
                    });
                }
            }

            if (reports.Count > 0)
            {
                try
                {
                    await _api.Send(HttpMethod.Post, "v1/tracks", new JsonObject { ["tracks"] = reports });
                }
                catch (CliException e)
                {
                    Context.Log($"track reports refused: {e.Message}");
                }
            }

            await Task.Delay(every, _time, ct);
        }
    }

    private static async Task Quietly(Task t)
    {
        try
        {
            await t;
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static string Seconds(JsonNode? s) => s is null ? "?" : string.Create(CultureInfo.InvariantCulture, $"{s.GetValue<double>():0} s");

    private static int StableHash(string s) => s.Aggregate(17, (h, c) => unchecked((h * 31) + c));
}

/// <summary>What a side's steps act through: its API client, simulated time, the ids it has been given, its seeded randomness, its log.</summary>
public sealed class SideContext(PartySimulator simulator, string party, ApiClient api, TimeProvider time, DateTimeOffset origin, Random random, TextWriter log, Action<string, string>? named)
{
    private readonly Dictionary<string, string> _ids = new(StringComparer.Ordinal);

    public string Party => party;

    public ApiClient Api => api;

    public TimeProvider Time => time;

    /// <summary>The scenario's start, both sides' common zero.</summary>
    public DateTimeOffset Origin => origin;

    public DateTimeOffset Now => time.GetUtcNow();

    /// <summary>Ids the steps stored under names (operation, conflict and message ids).</summary>
    public string? Id(string name)
    {
        lock (_ids)
        {
            return _ids.GetValueOrDefault(name);
        }
    }

    public void Remember(string name, string id)
    {
        lock (_ids)
        {
            _ids[name] = id;
        }

        named?.Invoke(id, name);
    }

    /// <summary>A seeded uniform number in [min, max): the same run with the same seed makes the same choices.</summary>
    public double Jitter(double min, double max)
    {
        lock (random)
        {
            return min + (random.NextDouble() * (max - min));
        }
    }

    public void Log(string text)
    {
        var t = Now - origin;
        lock (log)
        {
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"T+{(int)t.TotalMinutes:00}:{t.Seconds:00} {party}: {text}"));
            log.Flush();
        }
    }

    /// <summary>Cancelled when the side's run ends: its waits and delays end with it.</summary>
    public CancellationToken Stopping { get; internal set; }

    public Task DelayAsync(TimeSpan simulated) => simulated > TimeSpan.Zero ? Task.Delay(simulated, time, Stopping) : Task.CompletedTask;

    /// <summary>The first event received (earlier ones count) that <paramref name="match"/> accepts, or null after <paramref name="timeout"/> of simulated time.</summary>
    public Task<ReceivedEvent?> WaitForAsync(Func<ReceivedEvent, bool> match, TimeSpan timeout) => simulator.WaitForAsync(match, timeout, Stopping);

    public IReadOnlyList<ReceivedEvent> Received => simulator.Received;

    /// <summary>Declares an operation (or, with a rule, a zone); returns the stored object and the conflicts it has.</summary>
    public async Task<(string Id, JsonArray Conflicts)> DeclareAsync(string name, string? rule, params JsonObject[] volumes)
    {
        var body = new JsonObject { ["volumes"] = new JsonArray([.. volumes]) };
        if (rule is null)
        {
            body["priority"] = 0;
            body["state"] = "planned";
            body["details"] = new JsonObject { ["name"] = name };
        }
        else
        {
            body["rule"] = rule;
            body["name"] = name;
        }

        var (stored, _) = await api.Send(HttpMethod.Post, rule is null ? "v1/operations" : "v1/zones", body);
        var obj = stored!["operation"] ?? stored["zone"]!;
        var id = obj["id"]!.GetValue<string>();
        Remember(name, id);
        var conflicts = stored["conflicts"]?.AsArray() ?? [];
        Log($"declared {(rule is null ? "operation" : rule + " zone")} {name} ({id}){(conflicts.Count > 0 ? $": {conflicts.Count} conflict(s)" : string.Empty)}");
        return (id, conflicts);
    }

    /// <summary>Replaces an operation's volumes at its current version (If-Match); returns its live conflicts after.</summary>
    public async Task<JsonArray> ReplaceOperationAsync(string name, params JsonObject[] volumes)
    {
        var id = Id(name) ?? throw new CliException($"No operation {name} was declared.");
        var (_, etag) = await api.Send(HttpMethod.Get, $"v1/operations/{Uri.EscapeDataString(id)}");
        var body = new JsonObject { ["volumes"] = new JsonArray([.. volumes]), ["priority"] = 0, ["state"] = "planned", ["details"] = new JsonObject { ["name"] = name } };
        var (stored, _) = await api.Send(HttpMethod.Put, $"v1/operations/{Uri.EscapeDataString(id)}", body, ifMatch: etag);
        var conflicts = stored!["conflicts"]?.AsArray() ?? [];
        Log($"moved operation {name} (version {stored["operation"]!["version"]}): {conflicts.Count} conflict(s) left");
        return conflicts;
    }

    /// <summary>Acknowledges every open conflict this party is a side of; returns their ids.</summary>
    public async Task<List<string>> AcknowledgeOpenConflictsAsync(string note)
    {
        var (list, _) = await api.Send(HttpMethod.Get, "v1/conflicts?state=open");
        var ids = new List<string>();
        foreach (var c in list!["items"]!.AsArray())
        {
            var id = c!["id"]!.GetValue<string>();
            if (c["acknowledged_by"]?[party] is not null)
            {
                continue;
            }

            var (acked, _) = await api.Send(HttpMethod.Post, $"v1/conflicts/{Uri.EscapeDataString(id)}/acknowledge", new JsonObject { ["note"] = note });
            Log($"acknowledged conflict {id} ({Describe(c["a"])} / {Describe(c["b"])}): now {acked!["state"]}");
            ids.Add(id);
        }

        return ids;
    }

    /// <summary>Sends a line message; with <paramref name="ackWithinS"/> it requires acknowledgement within that many seconds.</summary>
    public async Task<string> SendAsync(string name, string to, string kind, string subject, string body, double? ackWithinS, params (string Kind, string Id)[] refs)
    {
        var message = new JsonObject
        {
            ["to"] = new JsonArray(to),
            ["kind"] = kind,
            ["subject"] = subject,
            ["body"] = body,
            ["refs"] = new JsonArray([.. refs.Select(r => (JsonNode)new JsonObject { ["kind"] = r.Kind, ["id"] = r.Id })]),
        };
        if (ackWithinS is { } s)
        {
            message["requires_ack"] = true;
            message["ack_within_s"] = s;
        }

        var (sent, _) = await api.Send(HttpMethod.Post, "v1/line/messages", message);
        var id = sent!["id"]!.GetValue<string>();
        Remember(name, id);
        Log($"sent {kind} \"{subject}\" to {to}{(ackWithinS is { } w ? string.Create(CultureInfo.InvariantCulture, $", acknowledgement due within {w:0} s") : string.Empty)}");
        return id;
    }

    public async Task AcknowledgeMessageAsync(string id, string by, string note)
    {
        var (acked, _) = await api.Send(HttpMethod.Post, $"v1/line/messages/{Uri.EscapeDataString(id)}/acknowledge", new JsonObject { ["by"] = by, ["note"] = note });
        var level = acked!["receipts"]?[party]?["escalation_level"]?.GetValue<int>() ?? 0;
        Log($"{by} acknowledged message {id}{(level > 0 ? $" after escalation to level {level}" : " in time")}");
    }

    private static string Describe(JsonNode? r) => r is null ? "?" : $"{r["kind"]} {r["id"]} of {r["party"]}";

    /// <summary>Turns <paramref name="flight"/> from now: first directly away from a point, for a distance, then on to <paramref name="then"/>.</summary>
    public void TurnAway(Flight flight, GeoPoint from, double awayM, params GeoPoint[] then)
    {
        var now = Now;
        var here = flight.At(now);
        if (here is null)
        {
            return;
        }

        var away = Geodesic.Inverse(from, here.Value.Position).FinalAzimuthDeg;
        var clear = Geodesic.Direct(here.Value.Position, away, awayM);
        flight.Reroute(now, [clear, .. then]);
        Log(string.Create(CultureInfo.InvariantCulture, $"{flight.Callsign} turns away onto heading {(away + 360) % 360:000} for {awayM / 1852:0} NM, then home"));
    }
}
