using Deconflict.Core.Model;
using Deconflict.Core.Tactical;
using Deconflict.Demo;
using Deconflict.Storage.Sqlite;
using Deconflict.Tests.Infrastructure;

namespace Deconflict.Tests.Cli;

/// <summary>
/// `deconflict demo` end to end: the whole Syria scenario at high speed on the real server, its
/// parties as HTTP clients with their own tokens. What each side was told (its own event stream)
/// and what the database holds must show the conflict acknowledged by both and resolved, the line
/// message escalated and acknowledged late, the alert at caution then warning acknowledged by both
/// and cleared, and the record must verify for both parties.
/// </summary>
[Collection(RunsAlone.Name)]
public sealed class DemoTests
{
    private static readonly string[] Sides = [SyriaScenario.Coalition, SyriaScenario.Vks];

    [Fact]
    public async Task The_demo_plays_the_scenario_through_the_api_and_both_parties_verify_the_record()
    {
        var directory = Path.Combine(Path.GetTempPath(), "deconflict-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var db = Path.Combine(directory, "demo.db");
        var output = new StringWriter();
        try
        {
            // 30 simulated minutes (everything scripted is over by T+28) at 120x: 15 s. Faster would
            // leave the warning (60 s simulated before the loss) too little real time on a busy machine.
            var result = await DemoRunner.RunAsync(new DemoSettings { Speed = 60, Duration = TimeSpan.FromMinutes(30), Seed = 7, DatabasePath = db, Out = output }, CancellationToken.None)
                .WaitAsync(TimeSpan.FromMinutes(3));
            var log = output.ToString();
            List<ReceivedEvent> On(string party, string type) => [.. result.Events.Where(e => e.Party == party && e.Type == type)];
            static string Action(ReceivedEvent e) => e.Data["action"]!.GetValue<string>();

            // The planned-operation conflict: TABQA STRIKE against the REAPER orbit and the coalition's side of the line.
            var opened = Sides.ToDictionary(p => p, p => On(p, "conflict").Where(e => Action(e) == "opened").Select(e => e.Data["conflict"]!["id"]!.GetValue<string>()).Order(StringComparer.Ordinal).ToList());
            Assert.Equal(2, opened[SyriaScenario.Coalition].Count);
            Assert.Equal(opened[SyriaScenario.Coalition], opened[SyriaScenario.Vks]);
            await using (var store = new SqliteStore(db))
            {
                foreach (var id in opened[SyriaScenario.Coalition])
                {
                    foreach (var side in Sides)
                    {
                        var events = On(side, "conflict").Where(e => e.Data["conflict"]!["id"]!.GetValue<string>() == id).ToList();
                        Assert.Contains(events, e => Action(e) == "acknowledged" && e.Data["conflict"]!["state"]!.GetValue<string>() == "acknowledged"
                            && e.Data["conflict"]!["acknowledged_by"]!.AsObject().Select(kv => kv.Key).Order(StringComparer.Ordinal).SequenceEqual(Sides));
                        Assert.Equal("resolved", Action(events[^1]));
                    }

                    var stored = store.GetConflict(id)!;
                    Assert.Equal(ConflictState.Resolved, stored.State);
                    Assert.Equal(Sides, stored.AcknowledgedBy.Keys);
                }

                // The line message left unacknowledged: overdue at levels 1, 2 and 3 on both streams, then acknowledged late.
                var deir = On(SyriaScenario.Vks, "line-message").Single(e => e.Data["message"]!["subject"]!.GetValue<string>() == "Deir ez-Zor 0630-0730Z").Data["message"]!["id"]!.GetValue<string>();
                foreach (var side in Sides)
                {
                    Assert.Equal([1, 2, 3], On(side, "line-overdue").Where(e => e.Data["message_id"]!.GetValue<string>() == deir).Select(e => e.Data["escalation_level"]!.GetValue<int>()));
                    Assert.Contains(On(side, "line-receipt"), e => e.Data["message_id"]!.GetValue<string>() == deir && Action(e) == "acknowledged" && e.Data["party"]!.GetValue<string>() == SyriaScenario.Vks);
                }

                var receipt = store.GetMessage(deir)!.Receipts[SyriaScenario.Vks];
                Assert.Equal((3, "Capt. Sidorov"), (receipt.EscalationLevel, receipt.AcknowledgedBy));
                Assert.NotNull(receipt.AcknowledgedAt);

                // The near miss: one alert, caution then warning on both streams, acknowledged by both at each, cleared after the turn away.
                var alertIds = result.Events.Where(e => e.Type == "track-alert").Select(e => e.Data["alert"]!["id"]!.GetValue<string>()).Distinct().ToList();
                var alert = Assert.Single(alertIds);
                foreach (var side in Sides)
                {
                    var levels = On(side, "track-alert").Where(e => Action(e) is "raised" or "level-changed").Select(e => e.Data["alert"]!["level"]!.GetValue<string>()).ToList();
                    Assert.True(levels.IndexOf("caution") >= 0 && levels.IndexOf("caution") < levels.IndexOf("warning"), $"{side} saw {string.Join(", ", levels)}");
                    Assert.DoesNotContain("loss", levels);
                    foreach (var level in new[] { "caution", "warning" })
                    {
                        Assert.Contains(On(side, "track-alert"), e => Action(e) == "acknowledged" && e.Data["alert"]!["level"]!.GetValue<string>() == level
                            && e.Data["alert"]!["acknowledged_by"]!.AsObject().Select(kv => kv.Key).Order(StringComparer.Ordinal).SequenceEqual(Sides));
                    }

                    Assert.Contains(On(side, "track-alert"), e => Action(e) == "cleared");
                }

                var storedAlert = store.GetAlert(alert)!;
                Assert.Equal((AlertState.Cleared, AlertLevel.Warning), (storedAlert.State, storedAlert.Level));
                Assert.Equal(Sides, storedAlert.AcknowledgedBy.Keys);
            }

            // The coalition never names a VKS operation it was not told: operation events carry no
            // details (owner only), and its own messages use none of VKS's operation names.
            string[] vksOperations = ["TABQA STRIKE", "LATAKIA CAS", "PALMYRA STRIKE", "DEIR EZ-ZOR WEST"];
            Assert.All(On(SyriaScenario.Coalition, "operation"), e => Assert.Null(e.Data["operation"]!["details"]));
            var fromCoalition = On(SyriaScenario.Vks, "line-message").Select(e => e.Data["message"]!).Where(m => m["from"]!.GetValue<string>() == SyriaScenario.Coalition).ToList();
            Assert.NotEmpty(fromCoalition);
            Assert.All(fromCoalition, m => Assert.DoesNotContain(vksOperations, n => (m["subject"] + " " + m["body"]).Contains(n, StringComparison.Ordinal)));

            // record verify (its own code) passes for both parties, on the same signed head.
            Assert.Equal(Sides, result.Record.Select(r => r.Party).Order(StringComparer.Ordinal));
            Assert.All(result.Record, r => Assert.True(r.Passed, r.Output));
            Assert.True(result.Record[0].Size > 40, $"{result.Record[0].Size} entries");
            Assert.Equal(result.Record[0].RootHash, result.Record[1].RootHash);
            Assert.True(result.Verified);

            // The summary says it, and the commands to look at it follow.
            Assert.Contains("escalated to level 3 (line-overdue on the streams of coalition and vks), acknowledged by vks", log, StringComparison.Ordinal);
            // Each side names only its own operation (details are owner-only).
            Assert.Contains("(coalition saw an operation of vks / RAQQA ISR ORBIT of coalition; vks saw TABQA STRIKE of vks / an operation of coalition): opened on the streams of coalition and vks, acknowledged by coalition and vks, resolved.", log, StringComparison.Ordinal);
            Assert.DoesNotContain("Not reached", log, StringComparison.Ordinal);
            Assert.Contains("between VIPER 11 (coalition) and SOKOL 21 (vks)", log, StringComparison.Ordinal);
            Assert.Contains("Record verified for coalition", log, StringComparison.Ordinal);
            Assert.Contains("Record verified for vks", log, StringComparison.Ordinal);
            Assert.Contains("record verify --token", log, StringComparison.Ordinal);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    [Fact]
    public async Task A_shorter_duration_names_the_scripted_events_it_ended_before()
    {
        // The real command, output redirected (so the plain transcript): 20 simulated minutes at 120x.
        // The fighters meet at T+24:00 and the coalition reports it on the line at T+26:00 (README, SyriaScenario).
        var run = await CliTests.RunAt(null, string.Empty, "demo", "--speed", "120", "--duration", "20m");

        Assert.True(run.Exit == 0, run.Err + run.Out);
        Assert.Contains("What happened (T+20:00 simulated in", run.Out, StringComparison.Ordinal);
        Assert.Contains("  Not reached within 20m: the near miss west of Deir ez-Zor (T+24:00), the near miss reported on the line (T+26:00).", run.Out, StringComparison.Ordinal);
        Assert.Contains("escalated to level 3", run.Out, StringComparison.Ordinal);
        Assert.Equal(string.Empty, run.Err);
    }

    [Fact]
    public async Task Simulate_plays_one_side_against_another_server_by_that_servers_accelerated_clock()
    {
        // A server whose clock runs at 60x: simulate measures it on /healthz and times its reports by it.
        await using var server = await TestServer.StartAsync(DemoRunner.Options(), new AcceleratedTime(SyriaScenario.DefaultClockStart, 60));
        var created = await server.Admin.Post("v1/parties", new { id = SyriaScenario.Vks, name = "VKS" });
        var token = created.Body!["token"]!.GetValue<string>();

        var run = await CliTests.Run(server, token, "simulate", "--party", SyriaScenario.Vks, "--duration", "4m");

        Assert.True(run.Exit == 0, run.Err + run.Out);
        Assert.Contains("at 60x", run.Out, StringComparison.Ordinal);
        Assert.Contains("declared operation TABQA STRIKE", run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("refused", run.Out, StringComparison.Ordinal);
        var operations = (await server.Client(token).Get("v1/operations?party=vks")).Body!["items"]!.AsArray();
        Assert.Equal(["DEIR EZ-ZOR WEST", "LATAKIA CAS", "PALMYRA STRIKE", "TABQA STRIKE"], operations.Select(o => o!["details"]!["name"]!.GetValue<string>()).Order(StringComparer.Ordinal));
        Assert.Single((await server.Admin.Get("v1/zones")).Body!["items"]!.AsArray());
        // GRACH 07 and SOKOL 21 were airborne and reported: the tracks were accepted on the server's clock.
        Assert.Equal(2, server.Get<Deconflict.Alerts.TacticalService>().Tracks.Count);
        // Alone, it waited for the coalition's request and acknowledged nothing that was not there.
        Assert.Contains("What this side saw:", run.Out, StringComparison.Ordinal);

        var unknown = await CliTests.Run(server, token, "simulate", "--party", "blue", "--duration", "1m");
        Assert.Equal(2, unknown.Exit);
        Assert.Contains("not 'blue'", unknown.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_demo_refuses_an_existing_database_rather_than_tangle_with_it()
    {
        var existing = Path.GetTempFileName();
        try
        {
            var refused = await Assert.ThrowsAsync<Deconflict.Cli.CliException>(() => DemoRunner.RunAsync(new DemoSettings { DatabasePath = existing, Out = TextWriter.Null }, CancellationToken.None));
            Assert.Contains("needs a fresh database", refused.Message, StringComparison.Ordinal);
            Assert.Equal(0, new FileInfo(existing).Length);
        }
        finally
        {
            File.Delete(existing);
        }
    }

    [Fact]
    public void The_scenario_refuses_a_party_it_has_no_script_for() =>
        Assert.Throws<ArgumentException>(() => SyriaScenario.Side("blue", DateTimeOffset.UnixEpoch, 7));

    [Fact]
    public void The_same_seed_makes_the_same_flights()
    {
        var t0 = SyriaScenario.DefaultClockStart;
        var a = SyriaScenario.Side(SyriaScenario.Coalition, t0, 7).Flights.Select(f => f.At(t0.AddMinutes(10))).ToList();
        var b = SyriaScenario.Side(SyriaScenario.Coalition, t0, 7).Flights.Select(f => f.At(t0.AddMinutes(10))).ToList();
        var c = SyriaScenario.Side(SyriaScenario.Coalition, t0, 8).Flights.Select(f => f.At(t0.AddMinutes(10))).ToList();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void The_two_sorties_would_meet_west_of_deir_ez_zor_at_the_same_flight_level_if_nobody_turned()
    {
        var t0 = SyriaScenario.DefaultClockStart;
        var viper = SyriaScenario.Side(SyriaScenario.Coalition, t0, 7).Flights.Single(f => f.Callsign == "VIPER 11");
        var sokol = SyriaScenario.Side(SyriaScenario.Vks, t0, 7).Flights.Single(f => f.Callsign == "SOKOL 21");
        var at = t0 + SyriaScenario.Encounter;
        var (v, s) = (viper.At(at)!.Value, sokol.At(at)!.Value);
        Assert.True(Core.Geometry.Geodesic.Inverse(v.Position, s.Position).DistanceM < 1, "both at the crossing");
        Assert.Equal(v.AltitudeM, s.AltitudeM);
        // Ten minutes before, 200 km apart: the alert goes through its levels as they close.
        var before = at.AddMinutes(-10);
        Assert.True(Core.Geometry.Geodesic.Inverse(viper.At(before)!.Value.Position, sokol.At(before)!.Value.Position).DistanceM > 150_000);
    }

    [Theory]
    [InlineData("45m", 45 * 60)]
    [InlineData("1h30m", 90 * 60)]
    [InlineData("90s", 90)]
    [InlineData("0.5h", 30 * 60)]
    [InlineData("00:10:00", 600)]
    public void Durations_read_as_people_write_them(string text, double seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), Deconflict.Cli.CliApp.ParseDuration(text));

    [Theory]
    [InlineData("")]
    [InlineData("45")]
    [InlineData("soon")]
    [InlineData("0m")]
    public void Durations_that_are_not_one_are_refused(string text) =>
        Assert.Throws<Deconflict.Cli.CliException>(() => Deconflict.Cli.CliApp.ParseDuration(text));
}
