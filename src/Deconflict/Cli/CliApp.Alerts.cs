using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;

namespace Deconflict.Cli;

/// <summary>`deconflict alerts`: the duty officer's view of predicted losses of separation.</summary>
public static partial class CliApp
{
    private static Command AlertCommands(ClientOptions o)
    {
        var state = new Option<string?>("--state") { Description = "active or cleared" };
        var follow = new Option<bool>("--follow") { Description = "Keep printing alerts as they are raised, change level, clear and are acknowledged" };
        var alerts = new Command("alerts", "Alerts your aircraft are in (predicted losses of separation)") { state, follow };
        alerts.SetAction((parse, ct) => o.Run(parse, async api =>
        {
            var (body, _) = await api.Send(HttpMethod.Get, "v1/alerts" + Query(("state", parse.GetValue(state))));
            var items = body!["items"]!.AsArray();
            var text = items.Count == 0 ? "No alerts." : string.Join(Environment.NewLine, items.Select(a => AlertLine(a!)));
            if (!parse.GetValue(follow))
            {
                return (body, text);
            }

            Console.WriteLine(text);
            try
            {
                await api.FollowAsync(async (type, data) =>
                {
                    if (type == "track-alert")
                    {
                        await Console.Out.WriteLineAsync(TerminalText.Safe($"{data["action"]!.GetValue<string>().ToUpperInvariant()}: {AlertLine(data["alert"]!)}"));
                    }
                }, ct, () => Console.WriteLine("Following alerts (Ctrl+C to stop)..."));
            }
            catch (OperationCanceledException)
            {
            }

            return (body, string.Empty);
        }));

        var id = new Argument<string>("id") { Description = "Alert id" };
        var ack = new Command("ack", "Acknowledge an alert for your side") { id };
        ack.SetAction(parse => o.Run(parse, async api =>
        {
            var (body, _) = await api.Send(HttpMethod.Post, $"v1/alerts/{Uri.EscapeDataString(parse.GetValue(id)!)}/acknowledge", new JsonObject());
            return (body, $"Alert {body!["id"]} acknowledged; acknowledged by {string.Join(", ", body["acknowledged_by"]!.AsObject().Select(kv => kv.Key))}.");
        }));
        alerts.Subcommands.Add(ack);
        return alerts;
    }

    /// <summary>
    /// One line per alert for a duty officer: level, own aircraft, where the other aircraft is (it
    /// has no id to show), and the prediction, in the units of the radar scope (ft, kt, NM).
    /// </summary>
    internal static string AlertLine(JsonNode a)
    {
        var (own, other) = a["a"]!["own"]!.GetValue<bool>() ? (a["a"]!, a["b"]!) : a["b"]!["own"]!.GetValue<bool>() ? (a["b"]!, a["a"]!) : (a["a"]!, a["b"]!);
        var cpa = a["cpa"]!;
        var state = a["state"]!.GetValue<string>() == "cleared" ? $" (cleared {a["cleared_at"]})" : string.Empty;
        var acked = a["acknowledged_by"]!.AsObject().Select(kv => kv.Key).ToList();
        var acknowledged = acked.Count > 0 ? "; acknowledged by " + string.Join(", ", acked) : string.Empty;
        return string.Create(CultureInfo.InvariantCulture,
            $"{a["level"]!.GetValue<string>().ToUpperInvariant()} {a["id"]}{state}: {Aircraft(own)} and {Aircraft(other)}; loss of separation in {a["time_to_loss_s"]!.GetValue<double>():0} s, closest {cpa["horizontal_m"]!.GetValue<double>() / 1852:0.0} NM / {cpa["vertical_m"]!.GetValue<double>() / 0.3048:0} ft at {cpa["time"]}{acknowledged}");
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
