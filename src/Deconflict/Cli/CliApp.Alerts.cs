using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;

namespace Deconflict.Cli;

/// <summary>`deconflict alerts`: the duty officer's view of predicted losses of separation.</summary>
public static partial class CliApp
{
    private static readonly string[] AlertStates = ["active", "cleared"];

    private static Command AlertCommands(ClientOptions o)
    {
        Option<string?> State() => new("--state") { Description = "Only alerts in this state: active or cleared", HelpName = "active|cleared" };
        var state = State();
        var follow = new Option<bool>("--follow") { Description = "After the list, keep printing alerts as they are raised, change level, clear and are acknowledged (with --json: each event's JSON on a line, no list)" };
        var alerts = new Command("alerts", "Alerts your aircraft are in (predicted losses of separation); without a verb, the list") { state, follow };
        alerts.SetAction((parse, ct) => ListAlerts(o, parse, parse.GetValue(state), parse.GetValue(follow), ct));
        alerts.WithExamples("deconflict alerts", "deconflict alerts --state active --follow");

        var listState = State();
        var list = new Command("list", "Alerts your aircraft are in, with the time to loss on the server's clock") { listState };
        list.SetAction((parse, ct) => ListAlerts(o, parse, parse.GetValue(listState), follow: false, ct));
        list.WithExamples("deconflict alerts list", "deconflict alerts list --state cleared --json");

        var id = new Argument<string>("id") { Description = "Alert id (alert-...)" };
        var show = new Command("show", "One alert: both aircraft, the prediction, when it was raised and cleared and why, who acknowledged it") { id };
        show.SetAction(parse => o.Run(parse, async api =>
        {
            var clock = await ServerClock.ReadAsync(api);
            var (a, _) = await api.Send(HttpMethod.Get, $"v1/alerts/{Uri.EscapeDataString(parse.GetValue(id)!)}");
            return (a, AlertDetail(a!, clock.At));
        }));
        show.WithExamples("deconflict alerts show alert-0190f3a2c4e87b1d9e2f6a7b8c9d0e1f");

        var ackId = new Argument<string>("id") { Description = "Alert id (alert-...)" };
        var ack = new Command("ack", "Acknowledge an alert for your side (again: no change)") { ackId };
        ack.SetAction(parse => o.Run(parse, async api =>
        {
            var (body, _) = await api.Send(HttpMethod.Post, $"v1/alerts/{Uri.EscapeDataString(parse.GetValue(ackId)!)}/acknowledge", new JsonObject());
            return (body, $"Alert {body!["id"]} acknowledged; acknowledged by {string.Join(", ", body["acknowledged_by"]!.AsObject().Select(kv => kv.Key))}.");
        }));
        ack.WithExamples("deconflict alerts ack alert-0190f3a2c4e87b1d9e2f6a7b8c9d0e1f");

        var followState = State();
        var followVerb = new Command("follow", "The alerts now, then each alert as it is raised, changes level, clears (and why) and is acknowledged (Ctrl+C to stop); with --json, each track-alert event's JSON on a line") { followState };
        followVerb.SetAction((parse, ct) => ListAlerts(o, parse, parse.GetValue(followState), follow: true, ct));
        followVerb.WithExamples("deconflict alerts follow", "deconflict alerts follow --json");

        alerts.Subcommands.Add(list);
        alerts.Subcommands.Add(show);
        alerts.Subcommands.Add(ack);
        alerts.Subcommands.Add(followVerb);
        return alerts;
    }

    /// <summary>
    /// The alerts (in <paramref name="state"/>), with each active alert's time to loss counted on
    /// the server's clock; with <paramref name="follow"/>, then every change from the stream, from
    /// the event before the list was read so that none between the two is missed.
    /// </summary>
    private static Task<int> ListAlerts(ClientOptions o, ParseResult parse, string? state, bool follow, CancellationToken ct)
    {
        if (state is not null && !AlertStates.Contains(state))
        {
            return Usage($"--state must be active or cleared, not '{state}'.");
        }

        return o.Run(parse, async api =>
        {
            var clock = await ServerClock.ReadAsync(api);
            var (body, _) = await api.Send(HttpMethod.Get, "v1/alerts" + Query(("state", state)));
            var items = body!["items"]!.AsArray();
            var text = items.Count == 0 ? "No alerts." : string.Join(Environment.NewLine, items.Select(a => AlertLine(a!, clock.At)));
            if (!follow)
            {
                return (body, text);
            }

            var json = parse.GetValue(o.Json);
            if (!json)
            {
                Console.WriteLine(text);
            }

            return await FollowEvents(api, json, clock.LastIndex, "alerts", e =>
                e.Type == "track-alert" && e.Data["alert"] is { } a && (state is null || a["state"]?.ToString() == state)
                    ? $"{e.Data["action"]!.GetValue<string>().ToUpperInvariant()}: {AlertLine(a)}"
                    : null, ct);
        });
    }

    /// <summary>An alert in full for `alerts show`: its line, then its times and acknowledgements.</summary>
    private static string AlertDetail(JsonNode a, DateTimeOffset now)
    {
        var lines = new List<string> { AlertLine(a, now) };
        var times = $"raised {a["raised_at"]}, last predicted {a["predicted_at"]}, updated {a["updated_at"]}";
        if (a["cleared_at"] is { } cleared)
        {
            times += $", cleared {cleared}" + (a["cleared_reason"] is { } reason ? $" ({reason})" : string.Empty);
        }

        lines.Add(times);
        var acks = a["acknowledged_by"]?.AsObject().Select(kv => $"{kv.Key} at {kv.Value}").ToList() ?? [];
        lines.Add(acks.Count == 0 ? "not acknowledged" : "acknowledged by " + string.Join(", ", acks));
        return string.Join(Environment.NewLine, lines);
    }

    /// <summary>
    /// One line per alert for a duty officer: level, own aircraft, where the other aircraft is (it
    /// has no id to show), and the prediction, in the units of the radar scope (ft, kt, NM).
    /// </summary>
    internal static string AlertLine(JsonNode a, DateTimeOffset? now = null)
    {
        var (own, other) = a["a"]!["own"]!.GetValue<bool>() ? (a["a"]!, a["b"]!) : a["b"]!["own"]!.GetValue<bool>() ? (a["b"]!, a["a"]!) : (a["a"]!, a["b"]!);
        var cpa = a["cpa"]!;
        var cleared = a["state"]!.GetValue<string>() == "cleared";
        var reason = a["cleared_reason"] is { } r ? $", {r}" : string.Empty;
        var state = cleared ? $" (cleared {a["cleared_at"]}{reason})" : string.Empty;
        var acked = a["acknowledged_by"]!.AsObject().Select(kv => kv.Key).ToList();
        var acknowledged = acked.Count > 0 ? "; acknowledged by " + string.Join(", ", acked) : string.Empty;

        // time_to_loss_s counts from the prediction (predicted_at). A cleared alert shows that
        // prediction as it was; an active one, listed later, counts down on the server's clock.
        var toLoss = a["time_to_loss_s"]!.GetValue<double>();
        var predictedAt = ServerClock.Time(a["predicted_at"]) ?? ServerClock.Time(a["raised_at"]);
        if (!cleared && now is { } t && predictedAt is { } p)
        {
            toLoss = (p.AddSeconds(toLoss) - t).TotalSeconds;
        }

        var loss = toLoss > 0.5 ? string.Create(CultureInfo.InvariantCulture, $"loss of separation in {toLoss:0} s") : "loss of separation now";
        var prediction = cleared ? $"was predicted at {a["predicted_at"] ?? a["raised_at"]}: {loss}" : loss;
        return string.Create(CultureInfo.InvariantCulture,
            $"{a["level"]!.GetValue<string>().ToUpperInvariant()} {a["id"]}{state}: {Aircraft(own)} and {Aircraft(other)}; {prediction}, closest {cpa["horizontal_m"]!.GetValue<double>() / 1852:0.0} NM / {cpa["vertical_m"]!.GetValue<double>() / 0.3048:0} ft at {cpa["time"]}{acknowledged}");
    }

    private static string Aircraft(JsonNode x)
    {
        var v = x["velocity"]!;
        var (east, north, up) = (v["east_mps"]!.GetValue<double>(), v["north_mps"]!.GetValue<double>(), v["up_mps"]!.GetValue<double>());
        var track = (Math.Atan2(east, north) * 180 / Math.PI + 360) % 360;
        var name = x["track_id"] is { } id ? $"your {id}{(x["callsign"] is { } cs ? $" ({cs})" : string.Empty)}" : $"a {x["party"]} aircraft";
        return string.Create(CultureInfo.InvariantCulture,
            $"{name} at {x["position"]!["lat"]!.GetValue<double>():0.0000},{x["position"]!["lng"]!.GetValue<double>():0.0000} {x["altitude_m"]!.GetValue<double>() / 0.3048:0} ft, track {track:000} at {Math.Sqrt((east * east) + (north * north)) * 3600 / 1852:0} kt, {up * 60 / 0.3048:+0;-0;0} ft/min");
    }
}
