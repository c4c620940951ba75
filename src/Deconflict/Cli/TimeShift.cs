using System.Text.Json.Nodes;
using Deconflict.Core.Model;

namespace Deconflict.Cli;

/// <summary>
/// `--start-at`: moves a declaration body's time windows so that the earliest starts at a given
/// time, each window keeping its length and its offset from the others. A plan kept as a file
/// (a standing CAP, the README's examples) is then declared for today without editing its dates.
/// Times are written back as RFC 3339 UTC; whole-second inputs stay whole seconds.
/// </summary>
internal static class TimeShift
{
    /// <summary>
    /// The time `--start-at` names: RFC 3339 (2027-06-01T09:00:00Z), or +DURATION (+30m, +2h,
    /// +1h30m) from <paramref name="serverNow"/>, the server's clock, which it asks only when needed.
    /// </summary>
    public static async Task<DateTimeOffset> ParseAsync(string text, Func<Task<DateTimeOffset>> serverNow)
    {
        var t = text.Trim();
        if (t.StartsWith('+'))
        {
            TimeSpan ahead;
            try
            {
                ahead = CliApp.ParseDuration(t[1..]);
            }
            catch (CliException)
            {
                throw CliException.Usage($"--start-at needs an RFC 3339 time (2027-06-01T09:00:00Z) or a time from now with its unit (+30m, +2h); '{text}' is neither.");
            }

            return await serverNow() + ahead;
        }

        return Rfc3339.TryParse(t, out var at)
            ? at
            : throw CliException.Usage($"--start-at needs an RFC 3339 time (2027-06-01T09:00:00Z) or a time from now with its unit (+30m, +2h); '{text}' is neither.");
    }

    /// <summary>Moves every volume's window by (start − earliest time_start); refuses a body whose times cannot be read.</summary>
    public static void MoveTo(JsonObject body, DateTimeOffset start)
    {
        var volumes = (body["volumes"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        var times = new List<(JsonObject Time, DateTimeOffset At)>();
        for (var i = 0; i < volumes.Count; i++)
        {
            foreach (var member in new[] { "time_start", "time_end" })
            {
                if (volumes[i][member] is not JsonObject time || FileJson.Text(time["value"]) is not { } value || !Rfc3339.TryParse(value, out var at))
                {
                    throw new CliException($"--start-at cannot move volume {i}: its {member} is not an RFC 3339 time.");
                }

                times.Add((time, at));
            }
        }

        if (times.Count == 0)
        {
            throw new CliException("--start-at has nothing to move: the file has no volumes.");
        }

        var by = start - volumes.Select((_, i) => times[2 * i].At).Min();
        foreach (var (time, at) in times)
        {
            time["value"] = Rfc3339.FormatUtc(at + by);
        }
    }
}
