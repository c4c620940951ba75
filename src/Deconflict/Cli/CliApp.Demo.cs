using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Deconflict.Core.Model;
using Deconflict.Demo;

namespace Deconflict.Cli;

/// <summary>`deconflict demo` (the whole mechanism on a built-in scenario) and `deconflict simulate` (one side of it against any server).</summary>
public static partial class CliApp
{
    private static Command DemoCommand()
    {
        var speed = new Option<double>("--speed") { Description = "Simulated seconds per real second", DefaultValueFactory = _ => 60 };
        var duration = new Option<string>("--duration") { Description = "Simulated time to play (45m, 1h30m, 90s); the summary names the scripted events a shorter run ends before", DefaultValueFactory = _ => "45m" };
        var seed = new Option<int>("--seed") { Description = "Seed of the scenario's random choices (same seed, same run)", DefaultValueFactory = _ => 7 };
        var serve = new Option<bool>("--serve") { Description = "Print a browser link per party that signs the console in as it (and the admin's read-only one) before the scenario starts, to watch both consoles while it plays (slow it down: --speed 10); keep the server up afterwards to explore it with the console, the CLI and the API" };
        var db = new Option<string?>("--db") { Description = "SQLite database file (default: a fresh temporary one)" };
        var urls = new Option<string>("--urls") { Description = "Where the server listens (port 0: any free port)", DefaultValueFactory = _ => "http://127.0.0.1:0" };
        var noLive = new Option<bool>("--no-live") { Description = "Print plain event lines instead of the live view (automatic when output is redirected)" };
        var demo = new Command("demo", "Play the built-in scenario (Syria 2015: two parties, the Euphrates line, a conflict, the line, a near miss) on a real in-process server") { speed, duration, seed, serve, db, urls, noLive }
            .WithExamples("deconflict demo", "deconflict demo --speed 120 --duration 20m --no-live", "deconflict demo --serve --speed 10");
        demo.SetAction(async (parse, ct) =>
        {
            try
            {
                var settings = new DemoSettings
                {
                    Speed = parse.GetValue(speed) is var s and >= 1 ? s : throw CliException.Usage("--speed must be at least 1."),
                    Duration = ParseDuration(parse.GetValue(duration)!),
                    Seed = parse.GetValue(seed),
                    Serve = parse.GetValue(serve),
                    DatabasePath = parse.GetValue(db),
                    Urls = parse.GetValue(urls)!,
                    Live = !parse.GetValue(noLive) && !Console.IsOutputRedirected,
                };
                var result = await DemoRunner.RunAsync(settings, ct);
                return result.Verified ? 0 : 1;
            }
            catch (CliException e)
            {
                await Console.Error.WriteLineAsync(e.Message);
                return e.ExitCode;
            }
        });
        return demo;
    }

    private static Command SimulateCommand(ClientOptions o)
    {
        var party = new Option<string>("--party") { Description = $"The side to play: {SyriaScenario.Coalition} or {SyriaScenario.Vks} (the party the token belongs to)", Required = true };
        var duration = new Option<string>("--duration") { Description = "Simulated time to play (45m, 1h30m, 90s)", DefaultValueFactory = _ => "45m" };
        var seed = new Option<int>("--seed") { Description = "Seed of the scenario's random choices", DefaultValueFactory = _ => 7 };
        var start = new Option<string?>("--start") { Description = "The scenario's start on the server's clock (RFC 3339); give both sides the same one. Default: now" };
        var simulate = new Command("simulate", "Play one side of the demo scenario against any server, as that party (two operators can play it on two machines)") { party, duration, seed, start }
            .WithExamples("deconflict simulate --party vks --server http://127.0.0.1:8080 --token $VKS_TOKEN");
        simulate.SetAction((parse, ct) => Reported(async () =>
        {
            try
            {
                // What the command line says is checked before the server is asked anything.
                var side = parse.GetValue(party)!;
                if (side is not (SyriaScenario.Coalition or SyriaScenario.Vks))
                {
                    throw CliException.Usage($"--party must be {SyriaScenario.Coalition} or {SyriaScenario.Vks} (the scenario's two sides), not '{side}'.");
                }

                var played = ParseDuration(parse.GetValue(duration)!);
                DateTimeOffset? given = parse.GetValue(start) is { } text
                    ? Rfc3339.TryParse(text, out var parsed) ? parsed : throw CliException.Usage($"--start must be an RFC 3339 time like 2026-11-26T09:00:00Z, not '{text}'.")
                    : null;
                var (server, token) = o.Connection(parse);
                using var api = new ApiClient(server, token);
                var clock = await ServerClockAsync(api, ct);
                var origin = given ?? clock.GetUtcNow();
                var scenario = SyriaScenario.Side(side, origin, parse.GetValue(seed));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"Playing {side} ({scenario.Name}) against {server}: the server's clock is {clock.GetUtcNow():yyyy-MM-ddTHH:mm:ss}Z at {clock.Speed:0.##}x; the scenario starts at {origin:yyyy-MM-ddTHH:mm:ss}Z."));
                var view = new DemoView(clock, origin, [(side, scenario.Name)], Console.Out, played, SyriaScenario.Script);
                var sim = new PartySimulator(scenario, api, clock, origin, parse.GetValue(seed), clock.Speed, view.LogFor(side), view.Observe, (id, name) => view.Name(side, id, name));
                try
                {
                    await sim.RunAsync(played, ct);
                }
                catch (OperationCanceledException)
                {
                }

                Console.WriteLine("What this side saw:");
                Console.Write((DemoSummary.From(sim.Received, view.Names) with { Duration = played, NotReached = SyriaScenario.NotReached(played) }).Describe());
                return 0;
            }
            catch (ArgumentException e)
            {
                await Console.Error.WriteLineAsync(e.Message);
                return 2;
            }
        }));
        return simulate;
    }

    /// <summary>
    /// The server's clock as seen from here: its time (GET /healthz) and its speed, measured over
    /// two seconds (a demo server's clock runs faster than real time; a real one at 1x). Reports
    /// timed by it are within a round trip of the server's clock, well inside the 5 s it allows.
    /// </summary>
    internal static async Task<AcceleratedTime> ServerClockAsync(ApiClient api, CancellationToken ct)
    {
        // The server's time at the middle of the quickest of a few round trips.
        async Task<(DateTimeOffset Server, long Local)> Sample()
        {
            (DateTimeOffset Server, long Local, long Trip)? best = null;
            for (var i = 0; i < 4; i++)
            {
                var before = Stopwatch.GetTimestamp();
                var (health, _) = await api.Send(HttpMethod.Get, "healthz");
                var after = Stopwatch.GetTimestamp();
                var time = health?["time"]?.GetValue<string>() ?? throw new CliException("The server does not show its clock on /healthz (an older version?).");
                if (best is null || after - before < best.Value.Trip)
                {
                    best = (Rfc3339.TryParse(time, out var at) ? at : throw new CliException("The server's clock on /healthz is not an RFC 3339 time."), before + ((after - before) / 2), after - before);
                }
            }

            return (best!.Value.Server, best.Value.Local);
        }

        var first = await Sample();
        await Task.Delay(TimeSpan.FromSeconds(2), ct);
        var second = await Sample();
        var measured = (second.Server - first.Server).TotalSeconds / Stopwatch.GetElapsedTime(first.Local, second.Local).TotalSeconds;
        var speed = measured < 1.5 ? 1 : Math.Round(measured);
        return new AcceleratedTime(second.Server + TimeSpan.FromSeconds(Stopwatch.GetElapsedTime(second.Local).TotalSeconds * speed), speed);
    }

    /// <summary>45m, 1h30m, 90s, 2h (or a TimeSpan like 00:45:00).</summary>
    internal static TimeSpan ParseDuration(string text)
    {
        var match = DurationPattern().Match(text.Trim());
        if (match.Success && match.Length > 0)
        {
            var total = TimeSpan.Zero;
            foreach (var (group, unit) in new[] { ("h", TimeSpan.FromHours(1)), ("m", TimeSpan.FromMinutes(1)), ("s", TimeSpan.FromSeconds(1)) })
            {
                if (match.Groups[group].Success)
                {
                    total += unit * double.Parse(match.Groups[group].Value, CultureInfo.InvariantCulture);
                }
            }

            if (total > TimeSpan.Zero)
            {
                return total;
            }
        }

        // A bare number has no unit and is refused, not read as days.
        return text.Contains(':', StringComparison.Ordinal) && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) && span > TimeSpan.Zero
            ? span
            : throw CliException.Usage($"A duration is like 45m, 1h30m or 90s; '{text}' is not one.");
    }

    [GeneratedRegex(@"^(?:(?<h>\d+(?:\.\d+)?)h)?(?:(?<m>\d+(?:\.\d+)?)m)?(?:(?<s>\d+(?:\.\d+)?)s)?$")]
    private static partial Regex DurationPattern();
}
