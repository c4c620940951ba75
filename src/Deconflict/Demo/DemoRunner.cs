using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Deconflict.Cli;
using Deconflict.Core.Model;
using Deconflict.Service;

namespace Deconflict.Demo;

/// <summary>How to run the demo.</summary>
public sealed record DemoSettings
{
    /// <summary>Simulated seconds per real second.</summary>
    public double Speed { get; init; } = 60;

    public TimeSpan Duration { get; init; } = SyriaScenario.DefaultDuration;

    public int Seed { get; init; } = 7;

    /// <summary>Keep the server up after the scenario until cancelled, and print the console's sign-in links before it starts.</summary>
    public bool Serve { get; init; }

    /// <summary>The SQLite file; null = a fresh one in a temporary folder, deleted at the end (unless serving).</summary>
    public string? DatabasePath { get; init; }

    public string Urls { get; init; } = "http://127.0.0.1:0";

    /// <summary>The live Spectre view; false prints plain event lines.</summary>
    public bool Live { get; init; }

    public TextWriter Out { get; init; } = Console.Out;

    public DateTimeOffset ClockStart { get; init; } = SyriaScenario.DefaultClockStart;
}

/// <summary>How one party's record verification went.</summary>
public sealed record RecordCheck(string Party, bool Passed, long Size, string RootHash, string Output);

/// <summary>What a demo run did: the story, each side's stream, the record checks, where the server was.</summary>
public sealed record DemoResult(DemoSummary Summary, IReadOnlyList<ReceivedEvent> Events, IReadOnlyList<RecordCheck> Record, string Server, IReadOnlyDictionary<string, string> Tokens, string DatabasePath)
{
    public bool Verified => Record.Count > 0 && Record.All(r => r.Passed);
}

/// <summary>
/// `deconflict demo`: the whole mechanism end to end. Starts the real server in-process on a
/// loopback port with a fresh SQLite file and an accelerated clock, creates the two parties through
/// the API, and plays both sides of <see cref="SyriaScenario"/> as HTTP clients with their own
/// tokens; then signs a head, verifies the record as each party would (<c>record verify</c>'s code),
/// and prints what happened and the commands to look at it.
/// </summary>
public static class DemoRunner
{
    /// <summary>
    /// The agreed parameters for the demo: the defaults, with line clocks sized to the scenario
    /// (messages escalate every 2 minutes) and the periodic jobs less frequent in simulated time so
    /// that at 60x they do not run hundreds of times a second. Tracks go stale after 30 s instead
    /// of 15: at high speed the simulators report every few simulated seconds.
    /// </summary>
    public static DeconflictOptions Options() => new()
    {
        Line = new LineOptions(AckWithinS: 180, MinAckWithinS: 5, MaxAckWithinS: 3600, EscalationIntervalS: 120, MaxEscalationLevel: 3),
        Tactical = new TacticalOptions { StaleAfter = TimeSpan.FromSeconds(30), DropAfter = TimeSpan.FromSeconds(120) },
        LineClockTick = TimeSpan.FromSeconds(5),
        ExpirySweepInterval = TimeSpan.FromSeconds(30),
        RecordHeadInterval = TimeSpan.FromSeconds(5),
    };

    public static async Task<DemoResult> RunAsync(DemoSettings settings, CancellationToken ct)
    {
        var output = settings.Out;
        if (settings.DatabasePath is { } existing && (File.Exists(existing) || Directory.Exists(existing)))
        {
            // Its parties, operations and clock would tangle with the scenario's.
            throw CliException.Usage($"The demo needs a fresh database, and {existing} exists: delete it or give another --db.");
        }

        var temporary = settings.DatabasePath is null ? Path.Combine(Path.GetTempPath(), "deconflict-demo-" + Guid.NewGuid().ToString("N")[..12]) : null;
        if (temporary is not null)
        {
            Directory.CreateDirectory(temporary);
        }

        var db = settings.DatabasePath ?? Path.Combine(temporary!, "demo.db");
        // The clock starts a little before the scenario, so that the scenario's T+00:00 is the
        // clock's start (06:00:00Z by default) and T+ and the server's clock read alike: the lead
        // (5 s of real time, whole minutes) covers starting the server and creating the parties,
        // which took 2-3 s on a loaded 2-core machine; the rest of it the view counts down.
        var lead = TimeSpan.FromMinutes(Math.Ceiling(5 * settings.Speed / 60));
        var clock = new AcceleratedTime(settings.ClockStart - lead, settings.Speed);
        var admin = Api.Tokens.Prefix + System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var app = ServerHost.Build(new ServerSettings
        {
            DatabasePath = db,
            Urls = settings.Urls,
            Options = Options(),
            AdminToken = admin,
            Time = clock,
            Out = TextWriter.Null,
            Quiet = true,
        });
        try
        {
            await app.StartAsync(ct);
            var server = app.Urls.First().TrimEnd('/');
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Deconflict demo: the server runs at {server} on {db}, its clock at {settings.Speed:0.##}x; {settings.Duration.TotalMinutes:0.#} simulated minutes from {settings.ClockStart:yyyy-MM-dd HH:mm}Z, seed {settings.Seed}."));
            output.Flush();

            var tokens = new Dictionary<string, string>(StringComparer.Ordinal);
            using (var api = new ApiClient(server, admin))
            {
                foreach (var (id, name) in SyriaScenario.Parties)
                {
                    var (created, _) = await api.Send(HttpMethod.Post, "v1/parties", new JsonObject { ["id"] = id, ["name"] = name });
                    tokens[id] = created!["token"]!.GetValue<string>();
                }
            }

            // The links go out before the live view takes the terminal and before the scenario's
            // first event, so that both consoles can be opened and watched while it plays.
            if (settings.Serve)
            {
                foreach (var line in ConsoleLinks.Describe(server, tokens, admin))
                {
                    output.WriteLine(line);
                }

                output.Flush();
            }

            // The scenario starts at the clock's start when at least 1 s of real time is left before
            // it (the simulators connect and the first requests compile their code paths before
            // T+00:00); on a slow start, on the next whole minute 1.5 s of real time from now.
            var ready = clock.GetUtcNow() + TimeSpan.FromSeconds(1.5 * settings.Speed);
            var origin = clock.GetUtcNow() + TimeSpan.FromSeconds(settings.Speed) <= settings.ClockStart
                ? settings.ClockStart
                : new DateTimeOffset(ready.Ticks - (ready.Ticks % TimeSpan.TicksPerMinute), TimeSpan.Zero).AddMinutes(1);
            var view = new DemoView(clock, origin, SyriaScenario.Parties, settings.Live ? null : output, settings.Duration, SyriaScenario.Script);
            var clients = tokens.ToDictionary(kv => kv.Key, kv => new ApiClient(server, kv.Value), StringComparer.Ordinal);
            var real = Stopwatch.StartNew();
            List<PartySimulator> sides;
            try
            {
                sides = [.. SyriaScenario.Parties.Select(p =>
                    new PartySimulator(SyriaScenario.Side(p.Id, origin, settings.Seed), clients[p.Id], clock, origin, settings.Seed, settings.Speed, view.LogFor(p.Id), view.Observe, (id, name) => view.Name(p.Id, id, name)))];
                using var viewStop = CancellationTokenSource.CreateLinkedTokenSource(ct);
                var live = view.RunLiveAsync(viewStop.Token);
                try
                {
                    await Task.WhenAll(sides.Select(s => s.RunAsync(settings.Duration, ct)));
                }
                finally
                {
                    await viewStop.CancelAsync();
                    await live;
                }
            }
            finally
            {
                foreach (var c in clients.Values)
                {
                    c.Dispose();
                }
            }

            var events = sides.SelectMany(s => s.Received).ToList();
            var summary = DemoSummary.From(events, view.Names) with { Duration = settings.Duration, NotReached = SyriaScenario.NotReached(settings.Duration) };

            // A head over everything that happened, then each party checks the record as `record verify` does.
            using (var api = new ApiClient(server, admin))
            {
                await api.Send(HttpMethod.Post, "v1/record/head");
            }

            var checks = new List<RecordCheck>();
            foreach (var (party, token) in tokens)
            {
                checks.Add(await VerifyAsync(server, party, token));
            }

            output.WriteLine();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"What happened ({SyriaScenario.Offset(settings.Duration)} simulated in {real.Elapsed.TotalSeconds:0} s):"));
            output.Write(summary.Describe());
            foreach (var c in checks)
            {
                output.WriteLine(c.Passed
                    ? string.Create(CultureInfo.InvariantCulture, $"  Record verified for {c.Party}: {c.Size:N0} entries, root {c.RootHash}.")
                    : $"  Record verification FAILED for {c.Party}:{Environment.NewLine}{c.Output}");
            }

            output.WriteLine();
            if (settings.Serve)
            {
                output.WriteLine($"The server stays up at {server} (Ctrl+C to stop). The parties' tokens, and commands to look at it:");
                output.WriteLine($"  export DECONFLICT_SERVER={server}");
                foreach (var (party, token) in tokens)
                {
                    output.WriteLine($"  export {party.ToUpperInvariant()}_TOKEN={token}");
                }

                output.WriteLine($"  export ADMIN_TOKEN={admin}   # the host's: party add, record entries of every party");
                foreach (var line in ConsoleLinks.Describe(server, tokens, admin))
                {
                    output.WriteLine(line);
                }
            }
            else
            {
                output.WriteLine("The server has stopped. Run the demo with --serve to keep it up; it then prints DECONFLICT_SERVER and");
                output.WriteLine("the parties' tokens to export for commands like these:");
            }

            output.WriteLine("  dotnet run --project src/Deconflict -- conflicts list --state resolved --token \"$VKS_TOKEN\"");
            output.WriteLine("  dotnet run --project src/Deconflict -- alerts --state cleared --token \"$COALITION_TOKEN\"");
            output.WriteLine("  dotnet run --project src/Deconflict -- line inbox --token \"$VKS_TOKEN\"");
            output.WriteLine("  dotnet run --project src/Deconflict -- record verify --token \"$COALITION_TOKEN\"");
            output.WriteLine("  dotnet run --project src/Deconflict -- record export --out coalition-record.jsonl --token \"$COALITION_TOKEN\"");
            output.WriteLine("  dotnet run --project src/Deconflict -- simulate --party coalition --token \"$COALITION_TOKEN\"   # play a side again");
            output.Flush();

            var result = new DemoResult(summary, events, checks, server, tokens, db);
            if (settings.Serve)
            {
                try
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }
                catch (OperationCanceledException)
                {
                }
            }

            return result;
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            if (temporary is not null)
            {
                try
                {
                    Directory.Delete(temporary, recursive: true);
                }
                catch (IOException)
                {
                }
            }
        }
    }

    /// <summary>`record verify` for one party, with its output kept.</summary>
    public static async Task<RecordCheck> VerifyAsync(string server, string party, string token)
    {
        var text = new StringWriter(CultureInfo.InvariantCulture);
        var verifier = new RecordVerifier(text);
        var (snapshot, http) = await RecordSources.FromServerAsync(server, token);
        using (http)
        {
            var verified = verifier.Verify(snapshot, null);
            return new RecordCheck(party, verified is not null, verified?.Size ?? 0, verified?.RootHash ?? string.Empty, text.ToString());
        }
    }
}
