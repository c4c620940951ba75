using System.Globalization;
using System.Text.Json.Nodes;
using Deconflict.Core.Geometry;
using Deconflict.Core.Model;

namespace Deconflict.Demo;

/// <summary>
/// The built-in scenario, modelled on the 2015 Syria mechanism: a coalition air operations centre
/// and the Russian air force (VKS) at Hmeimim, an agreed dividing line along the Euphrates as an
/// exclusive zone on each side, a 55 km protected ring around the garrison at al-Tanf, declared
/// operations, a planned-operation conflict the two sides acknowledge and resolve, a line message
/// that goes unacknowledged and escalates, and a near miss west of Deir ez-Zor that raises
/// caution then warning alerts on both sides until the coalition aircraft turns away.
/// </summary>
/// <remarks>
/// Times are offsets from the scenario's start, in simulated time. Geography is real but rounded
/// (river course to a few kilometres); speeds and altitudes are those of the types named.
/// </remarks>
public static class SyriaScenario
{
    public const string Coalition = "coalition";
    public const string Vks = "vks";

    /// <summary>The day the memorandum on flight safety over Syria was signed: the demo's clock starts here.</summary>
    public static readonly DateTimeOffset DefaultClockStart = new(2015, 10, 20, 6, 0, 0, TimeSpan.Zero);

    /// <summary>How long the script runs: everything scripted has happened by then.</summary>
    public static readonly TimeSpan DefaultDuration = TimeSpan.FromMinutes(45);

    /// <summary>When the two sorties would meet west of Deir ez-Zor if nobody turned.</summary>
    public static readonly TimeSpan Encounter = TimeSpan.FromMinutes(24);

    /// <summary>
    /// The story's moments, in order, as the scripts below time them: the line message sent at
    /// 09:00 falls due at 12:00 (180 s) and escalates every 2 minutes to level 3 at 16:00; the two
    /// fighters would meet at <see cref="Encounter"/>, and the coalition reports it 2 minutes after.
    /// </summary>
    public static readonly IReadOnlyList<ScriptedEvent> Script =
    [
        new(TimeSpan.Zero, "the zones along the Euphrates line and around al-Tanf"),
        new(TimeSpan.FromMinutes(2), "the strike box declared across the line at Tabqa"),
        new(TimeSpan.FromMinutes(6), "the strike box moved south of the river"),
        new(TimeSpan.FromMinutes(9), "the Deir ez-Zor line message"),
        new(TimeSpan.FromMinutes(16), "its escalation to level 3"),
        new(TimeSpan.FromMinutes(17.5), "its late acknowledgement"),
        new(Encounter, "the near miss west of Deir ez-Zor"),
        new(Encounter + TimeSpan.FromMinutes(2), "the near miss reported on the line"),
    ];

    /// <summary>The scripted moments a run of <paramref name="duration"/> ends before (one at the very end is not reached either).</summary>
    public static IReadOnlyList<ScriptedEvent> NotReached(TimeSpan duration) => [.. Script.Where(e => e.At >= duration)];

    public static readonly IReadOnlyList<(string Id, string Name)> Parties =
    [
        (Coalition, "Coalition CAOC (Al Udeid)"),
        (Vks, "VKS air operations centre (Hmeimim)"),
    ];

    // Places (WGS-84 degrees).
    public static readonly GeoPoint Hmeimim = new(35.401, 35.949);
    public static readonly GeoPoint Latakia = new(35.523, 35.792);
    public static readonly GeoPoint Palmyra = new(34.560, 38.270);
    public static readonly GeoPoint Tabqa = new(35.754, 38.567);
    public static readonly GeoPoint Raqqa = new(35.950, 39.010);
    public static readonly GeoPoint DeirEzZor = new(35.330, 40.140);
    public static readonly GeoPoint AlTanf = new(33.500, 38.620);
    public static readonly GeoPoint AlAsad = new(33.786, 42.441);

    /// <summary>Where the two sorties' routes cross: over the desert west of the river, south-west of Deir ez-Zor.</summary>
    public static readonly GeoPoint Crossing = new(35.250, 39.950);

    /// <summary>The agreed line: the Euphrates from Jarablus past the Tabqa dam, Raqqa, Deir ez-Zor and Mayadin to Abu Kamal.</summary>
    public static readonly IReadOnlyList<GeoPoint> Euphrates =
    [
        new(36.830, 38.010), new(36.300, 38.200), new(35.870, 38.570), new(35.940, 39.010),
        new(35.720, 39.600), new(35.330, 40.140), new(35.010, 40.450), new(34.460, 40.930),
    ];

    private const double FlightLevel250M = 25_000 * 0.3048;
    private const double ZoneCeilingM = 15_000;

    /// <summary>The side a party id plays: <c>coalition</c> or <c>vks</c>.</summary>
    public static ScenarioSide Side(string party, DateTimeOffset origin, int seed) => party switch
    {
        Coalition => CoalitionSide(origin, seed),
        Vks => VksSide(origin, seed),
        _ => throw new ArgumentException($"The Syria scenario has the parties '{Coalition}' and '{Vks}', not '{party}'.", nameof(party)),
    };

    /// <remarks>
    /// The coalition's script names VKS's operations only by what it was told (the conflict, the
    /// place): an operation's name is its owner's private detail, and VKS says "TABQA STRIKE" to
    /// the coalition only in its own notice.
    /// </remarks>
    private static ScenarioSide CoalitionSide(DateTimeOffset t0, int seed)
    {
        var random = new Random(seed);
        var viperRoute = new List<GeoPoint> { AlAsad, Crossing, Raqqa, AlAsad };
        var viper = new Flight("VIPER11-1", "VIPER 11", Departs(t0, Encounter, 250, AlAsad, Crossing), 250, FlightLevel250M, viperRoute, fieldM: 60);
        var reaper = new Flight("REAPER31", "REAPER 31", t0 - TimeSpan.FromHours(2), 90, 7_000, [.. Flight.Orbit(new GeoPoint(36.12, 39.00), 8_000, laps: 40, points: 12).Skip(random.Next(12))], fieldM: 7_000);
        var turned = 0;

        var steps = new List<ScriptStep>
        {
            new(TimeSpan.Zero, "declare the zones", async s =>
            {
                await s.DeclareAsync("EUPHRATES EAST", "exclusive", Polygon(EastOfLine(), 0, ZoneCeilingM, t0, t0.AddDays(1)));
                await s.DeclareAsync("AL-TANF 55 KM", "protected", Circle(AlTanf, 55_000, 0, ZoneCeilingM, t0, t0.AddDays(1)));
            }),
            new(TimeSpan.FromSeconds(20), "declare the routine operations", async s =>
            {
                await s.DeclareAsync("RAQQA ISR ORBIT", null, Circle(new GeoPoint(36.12, 39.00), 10_000, 6_000, 8_000, t0, t0.AddHours(4)));
                await s.DeclareAsync("AL-TANF OVERWATCH", null, Circle(AlTanf, 30_000, 4_500, 7_500, t0, t0.AddHours(3)));
            }),
            new(TimeSpan.FromMinutes(2.5), "acknowledge the conflicts of the strike box at Tabqa", async s =>
            {
                var opened = await s.WaitForAsync(e => e.Type == "conflict" && e.Data["action"]?.GetValue<string>() == "opened", TimeSpan.FromMinutes(5));
                if (opened is null)
                {
                    s.Log("no conflict opened: nothing to acknowledge");
                    return;
                }

                await s.DelayAsync(TimeSpan.FromSeconds(s.Jitter(10, 30)));
                foreach (var id in await s.AcknowledgeOpenConflictsAsync("Seen. Your strike box at Tabqa crosses the agreed line and our REAPER orbit north of Raqqa."))
                {
                    s.Remember("conflict", id);
                }
            }),
            new(TimeSpan.FromMinutes(3.5), "ask VKS on the line to move the strike box at Tabqa", async s =>
            {
                var conflict = s.Id("conflict");
                if (conflict is null)
                {
                    return;
                }

                await s.SendAsync("request", Vks, "deconflict-request", "Your strike box at Tabqa crosses the line",
                    "Your strike box at Tabqa crosses the Euphrates line and our REAPER orbit north of Raqqa at 6,000-8,000 m. Request you keep south of the river.", 300, ("conflict", conflict));
            }),
            new(TimeSpan.FromMinutes(7), "acknowledge VKS's notice that the strike moved", async s =>
            {
                var notice = await s.WaitForAsync(e => e.Type == "line-message" && e.Data["message"]?["kind"]?.GetValue<string>() == "operation-notice", TimeSpan.FromMinutes(5));
                if (notice is not null)
                {
                    await s.DelayAsync(TimeSpan.FromSeconds(s.Jitter(20, 60)));
                    await s.AcknowledgeMessageAsync(notice.Data["message"]!["id"]!.GetValue<string>(), "Maj. Carter", "Thank you, conflict resolved on our side.");
                }
            }),
            new(TimeSpan.FromMinutes(9), "ask VKS to keep west of 40.0 E at Deir ez-Zor", async s =>
                await s.SendAsync("deir", Vks, "free-text", "Deir ez-Zor 0630-0730Z",
                    "Coalition aircraft will transit south-west of Deir ez-Zor 0615-0645Z and return via Raqqa. Confirm your fighters will keep west of 40.0 E until 0730Z.", 180)),
            new(Encounter + TimeSpan.FromMinutes(2), "report the near miss on the line", async s =>
            {
                var cleared = await s.WaitForAsync(e => e.Type == "track-alert" && e.Data["action"]?.GetValue<string>() == "cleared", TimeSpan.FromMinutes(10));
                var alert = cleared?.Data["alert"]?["id"]?.GetValue<string>() ?? s.Received.LastOrDefault(e => e.Type == "track-alert")?.Data["alert"]?["id"]?.GetValue<string>();
                if (alert is null)
                {
                    s.Log("no alert to report");
                    return;
                }

                await s.SendAsync("unsafe", Vks, "unsafe-conduct", "Near miss west of Deir ez-Zor",
                    "VIPER 11 had to turn away from your aircraft at FL250 west of Deir ez-Zor: a loss of separation was predicted within 60 s. Request your sorties keep to the agreed line.", 300, ("alert", alert));
            }),
        };

        return new ScenarioSide(Coalition, "Coalition CAOC (Al Udeid)", [viper, reaper], steps, async (s, alert) =>
        {
            // The duty officer turns VIPER 11 away from the other aircraft the alert shows, once.
            var own = alert["a"]!["own"]!.GetValue<bool>() ? alert["a"]! : alert["b"]!;
            var other = ReferenceEquals(own, alert["a"]) ? alert["b"]! : alert["a"]!;
            if (own["track_id"]?.GetValue<string>() != viper.Id || Interlocked.Exchange(ref turned, 1) == 1)
            {
                return;
            }

            var position = other["position"]!;
            s.TurnAway(viper, new GeoPoint(position["lat"]!.GetValue<double>(), position["lng"]!.GetValue<double>()), 40_000, AlAsad);
            await Task.CompletedTask;
        });
    }

    private static ScenarioSide VksSide(DateTimeOffset t0, int seed)
    {
        var random = new Random(seed);
        var route = new List<GeoPoint> { Hmeimim, Palmyra, Crossing, DeirEzZor, Palmyra, Hmeimim };
        var sokol = new Flight("SU34-21", "SOKOL 21", Departs(t0, Encounter, 240, Hmeimim, Palmyra, Crossing), 240, FlightLevel250M, route, fieldM: 50);
        var cas = new Flight("SU25-07", "GRACH 07", t0 - TimeSpan.FromMinutes(20), 190, 4_000, [Hmeimim, .. Flight.Orbit(Latakia, 25_000, laps: 12, points: 12).Skip(random.Next(12)), Hmeimim], fieldM: 50);

        var steps = new List<ScriptStep>
        {
            new(TimeSpan.Zero, "declare the zone", async s =>
                await s.DeclareAsync("EUPHRATES WEST", "exclusive", Polygon(WestOfLine(), 0, ZoneCeilingM, t0, t0.AddDays(1)))),
            new(TimeSpan.FromSeconds(20), "declare the routine operations", async s =>
            {
                await s.DeclareAsync("LATAKIA CAS", null, Circle(Latakia, 30_000, 1_500, 6_000, t0, t0.AddHours(3)));
                await s.DeclareAsync("PALMYRA STRIKE", null, Circle(Palmyra, 40_000, 6_000, 9_000, t0, t0.AddHours(3)));
                await s.DeclareAsync("DEIR EZ-ZOR WEST", null, Box(35.00, 39.60, 35.28, 39.98, 6_000, 9_000, t0.AddMinutes(10), t0.AddHours(1)));
            }),
            new(TimeSpan.FromMinutes(2), "declare TABQA STRIKE across the line", async s =>
                await s.DeclareAsync("TABQA STRIKE", null, Box(35.65, 38.40, 36.10, 39.00, 5_000, 7_500, t0.AddMinutes(15), t0.AddMinutes(45)))),
            new(TimeSpan.FromMinutes(4), "acknowledge the conflicts and the coalition's request", async s =>
            {
                var request = await s.WaitForAsync(e => e.Type == "line-message" && e.Data["message"]?["kind"]?.GetValue<string>() == "deconflict-request", TimeSpan.FromMinutes(3));
                await s.DelayAsync(TimeSpan.FromSeconds(s.Jitter(5, 20)));
                await s.AcknowledgeOpenConflictsAsync("Seen. We will move TABQA STRIKE south of the river.");
                if (request is not null)
                {
                    await s.AcknowledgeMessageAsync(request.Data["message"]!["id"]!.GetValue<string>(), "Lt. Col. Orlov", "Understood, moving the box south of the river.");
                }
            }),
            new(TimeSpan.FromMinutes(6), "move TABQA STRIKE south of the river", async s =>
            {
                await s.ReplaceOperationAsync("TABQA STRIKE", Box(35.50, 38.30, 35.76, 38.80, 5_000, 7_500, t0.AddMinutes(15), t0.AddMinutes(45)));
                await s.SendAsync("moved", Coalition, "operation-notice", "TABQA STRIKE moved",
                    "TABQA STRIKE now 35.50-35.76 N, 38.30-38.80 E, 5,000-7,500 m, 0615-0645Z: south of the river.", 300, ("operation", s.Id("TABQA STRIKE")!));
            }),
            new(TimeSpan.FromMinutes(17.5), "acknowledge the Deir ez-Zor message, late", async s =>
            {
                // The line's operator was away: the message escalated while it waited. The officer
                // answers once the last escalation has come (it is due at 16:00 when the message went
                // at 09:00), not at a fixed time: on a loaded machine the send or the clock's tick
                // can run late, and an answer before it would cut the escalation short.
                var message = await s.WaitForAsync(e => e.Type == "line-message" && e.Data["message"]?["kind"]?.GetValue<string>() == "free-text", TimeSpan.FromMinutes(5));
                if (message is not null)
                {
                    var id = message.Data["message"]!["id"]!.GetValue<string>();
                    await s.WaitForAsync(e => e.Type == "line-overdue" && e.Data["message_id"]?.GetValue<string>() == id && e.Data["escalation_level"]?.GetValue<int>() == 3, TimeSpan.FromMinutes(5));
                    await s.AcknowledgeMessageAsync(id, "Capt. Sidorov", "Late: the line was unattended. SOKOL 21 is routed via Palmyra to Deir ez-Zor.");
                }
            }),
            new(Encounter + TimeSpan.FromMinutes(2), "acknowledge the coalition's report of the near miss", async s =>
            {
                var report = await s.WaitForAsync(e => e.Type == "line-message" && e.Data["message"]?["kind"]?.GetValue<string>() == "unsafe-conduct", TimeSpan.FromMinutes(12));
                if (report is not null)
                {
                    await s.DelayAsync(TimeSpan.FromSeconds(s.Jitter(60, 120)));
                    await s.AcknowledgeMessageAsync(report.Data["message"]!["id"]!.GetValue<string>(), "Lt. Col. Orlov", "Acknowledged. SOKOL 21 did not see VIPER 11; we will review.");
                }
            }),
        };

        return new ScenarioSide(Vks, "VKS air operations centre (Hmeimim)", [sokol, cas], steps);
    }

    /// <summary>The take-off time from which a flight over <paramref name="route"/> at <paramref name="speedMps"/> reaches its end at <paramref name="at"/>.</summary>
    private static DateTimeOffset Departs(DateTimeOffset t0, TimeSpan at, double speedMps, params GeoPoint[] route)
    {
        var length = 0.0;
        for (var i = 1; i < route.Length; i++)
        {
            length += Geodesic.Inverse(route[i - 1], route[i]).DistanceM;
        }

        return t0 + at - TimeSpan.FromSeconds(length / speedMps);
    }

    /// <summary>North and east of the line, to the Turkish and Iraqi borders (roughly).</summary>
    private static List<GeoPoint> EastOfLine() => [.. Euphrates, new(34.600, 41.400), new(36.900, 41.400)];

    /// <summary>South and west of the line, short of al-Tanf's ring.</summary>
    private static List<GeoPoint> WestOfLine() => [.. Euphrates, new(34.200, 40.400), new(34.200, 38.400), new(35.400, 37.600), new(36.500, 37.600)];

    private static JsonObject Box(double south, double west, double north, double east, double lowerM, double upperM, DateTimeOffset start, DateTimeOffset end) =>
        Polygon([new(south, west), new(south, east), new(north, east), new(north, west)], lowerM, upperM, start, end);

    private static JsonObject Polygon(IEnumerable<GeoPoint> vertices, double lowerM, double upperM, DateTimeOffset start, DateTimeOffset end) =>
        Volume(new JsonObject { ["outline_polygon"] = new JsonObject { ["vertices"] = new JsonArray([.. vertices.Select(p => (JsonNode)new JsonObject { ["lat"] = p.Lat, ["lng"] = p.Lng })]) } }, lowerM, upperM, start, end);

    private static JsonObject Circle(GeoPoint centre, double radiusM, double lowerM, double upperM, DateTimeOffset start, DateTimeOffset end) =>
        Volume(new JsonObject
        {
            ["outline_circle"] = new JsonObject
            {
                ["center"] = new JsonObject { ["lat"] = centre.Lat, ["lng"] = centre.Lng },
                ["radius"] = new JsonObject { ["value"] = radiusM, ["units"] = "M" },
            },
        }, lowerM, upperM, start, end);

    private static JsonObject Volume(JsonObject outline, double lowerM, double upperM, DateTimeOffset start, DateTimeOffset end)
    {
        outline["altitude_lower"] = new JsonObject { ["value"] = lowerM, ["reference"] = "W84", ["units"] = "M" };
        outline["altitude_upper"] = new JsonObject { ["value"] = upperM, ["reference"] = "W84", ["units"] = "M" };
        return new JsonObject
        {
            ["volume"] = outline,
            ["time_start"] = new JsonObject { ["value"] = Rfc3339.FormatUtc(start), ["format"] = "RFC3339" },
            ["time_end"] = new JsonObject { ["value"] = Rfc3339.FormatUtc(end), ["format"] = "RFC3339" },
        };
    }

    /// <summary>A scenario offset as the live view and the log show it: T+mm:ss.</summary>
    public static string Offset(TimeSpan t) => string.Create(CultureInfo.InvariantCulture, $"T+{(int)t.TotalMinutes:00}:{Math.Abs(t.Seconds):00}");
}
