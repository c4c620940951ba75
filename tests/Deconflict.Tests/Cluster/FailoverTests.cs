using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Deconflict.Core.Record;
using Deconflict.Tests.Infrastructure;

namespace Deconflict.Tests.Cluster;

/// <summary>
/// Issue 18, failover: SIGKILL the node that holds the lease of the background duties in the middle
/// of a mixed load. Within 10 s another node signs heads, escalates overdue line messages and raises
/// alerts; no acknowledged write is lost; the record stays one chain; a stream moved to another
/// node resumes with Last-Event-ID and misses nothing; no alert or escalation is raised twice.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class FailoverTests
{
    /// <summary>The issue's bound on a takeover.</summary>
    private static readonly TimeSpan Takeover = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Killing_the_lease_holder_under_load_hands_its_duties_to_another_node_within_10_s_and_loses_nothing()
    {
        await using var database = await PostgresDatabase.CreateAsync();
        await using var cluster = await ClusterNodes.StartAsync(3, database.ConnectionString);
        var clock = Stopwatch.StartNew();
        var blueToken = await cluster.AddPartyAsync("blue", node: 0);
        var redToken = await cluster.AddPartyAsync("red", node: 1);
        var holder = await cluster.LeaseHolderAsync();
        var survivors = cluster.Nodes.Where(n => n != holder).ToList();
        var (watcher, other) = (survivors[0], survivors[1]);

        // The reference: the admin's stream on a node that stays up, from the first event. The
        // stream that moves: the admin's on the node about to die.
        await using var reference = await EventCollector.ConnectAsync(watcher.Admin(), clock);
        var moving = await EventCollector.ConnectAsync(holder.Admin(), clock);
        EventCollector? moved = null;
        await using var load = new MixedLoad(cluster, blueToken, redToken);
        try
        {
            load.Start();

            // The holder does its duties before it dies: alerts raised, messages escalated, heads signed.
            await reference.UntilAsync(r => r.Any(e => Raised(e.Event) is not null) && r.Any(e => e.Event.Type == "line-overdue"), TimeSpan.FromSeconds(30), "an alert and an escalation before the kill");
            var headBefore = (await watcher.Admin().Get("v1/record/head")).Body!;

            load.Avoid(holder);
            holder.Kill();
            var killedAt = clock.Elapsed;
            var killedWall = DateTimeOffset.UtcNow;
            var sizeAtKill = (await watcher.Admin().Get("v1/record/head")).Body!["size"]!.GetValue<long>();

            // Another node signs a head of a size the dead one never signed.
            var headAfterTask = NewHeadAsync(watcher, sizeAtKill, clock);

            // It escalates a message that fell due after the kill (the dead node cannot have).
            var escalationTask = reference.UntilAsync(
                r => r.Any(e => e.Event.Type == "line-overdue" && DueAt(e.Event) > killedWall), TimeSpan.FromSeconds(30), "an escalation due after the kill");

            // It raises the alert of an encounter that started after the kill.
            var alertTask = reference.UntilAsync(
                r => r.Any(e => Raised(e.Event) is { } track && load.Encounters.Any(x => x.Start > killedWall && (x.BlueTrack == track || x.RedTrack == track))),
                TimeSpan.FromSeconds(30),
                "an alert of an encounter started after the kill");

            // The moved stream: the dead node's ended; it resumes on another node after the last event it got.
            await moving.UntilAsync(_ => moving.Ended is not null, TimeSpan.FromSeconds(30), "the end of the dead node's stream");
            var lastId = moving.Events is { Count: > 0 } got ? got[^1].Id : -1;
            moved = await EventCollector.ConnectAsync(other.Admin(), clock, lastId.ToString(CultureInfo.InvariantCulture));

            var (signedAt, headAfter) = await headAfterTask;
            await escalationTask;
            await alertTask;
            var escalatedAt = reference.Received.First(e => e.Event.Type == "line-overdue" && DueAt(e.Event) > killedWall).At;
            var raisedAt = reference.Received.First(e => Raised(e.Event) is { } track && load.Encounters.Any(x => x.Start > killedWall && (x.BlueTrack == track || x.RedTrack == track))).At;
            Assert.True(signedAt - killedAt <= Takeover, $"the first head after the kill was signed {(signedAt - killedAt).TotalSeconds:F1} s after it");
            Assert.True(escalatedAt - killedAt <= Takeover, $"the first escalation due after the kill came {(escalatedAt - killedAt).TotalSeconds:F1} s after it");
            Assert.True(raisedAt - killedAt <= Takeover, $"the first alert of an encounter started after the kill came {(raisedAt - killedAt).TotalSeconds:F1} s after it");
            Assert.Contains(await cluster.LeaseHolderAsync(), survivors);

            // A little more load on the survivors, then quiet: every message falls due and is
            // escalated, every encounter is detected.
            await Task.Delay(2000);
            await load.StopAsync();
            var messages = load.Messages.Keys.ToHashSet();
            var encounters = load.Encounters;
            await reference.UntilAsync(
                r => Missing(r, messages, encounters).Length == 0,
                TimeSpan.FromSeconds(30),
                "every message's escalation and every encounter's alert",
                r => string.Join(", ", Missing(r, messages, encounters)));

            var size = await cluster.SettledLastEventAsync();
            await reference.UntilIdAsync(size - 1, TimeSpan.FromSeconds(30));
            await moved.UntilIdAsync(size - 1, TimeSpan.FromSeconds(30));
            var all = reference.Events.Where(e => e.Id < size).ToList();
            Assert.Equal(Enumerable.Range(0, (int)size).Select(i => (long)i), all.Select(e => e.Id));

            // The stream that moved got every event once, in order, as the reference did.
            var resumed = moving.Events.Concat(moved.Events).Where(e => e.Id < size).ToList();
            Assert.Equal(all.Select(e => e.Id), resumed.Select(e => e.Id));
            Assert.Equal(all.Select(e => e.Data.ToJsonString()), resumed.Select(e => e.Data.ToJsonString()));

            // No alert raised twice: each side's entry of each alert once, and each aircraft in one alert.
            var raisedEvents = all.Where(e => Raised(e) is not null).ToList();
            Assert.Equal(2 * encounters.Count, raisedEvents.Count);
            Assert.Equal(raisedEvents.Count, raisedEvents.Select(Raised).Distinct().Count());
            Assert.Equal(encounters.Count, raisedEvents.Select(e => e.Data["alert"]!["id"]!.GetValue<string>()).Distinct().Count());

            // No escalation twice: each message escalated once to level 1 (the next level is 300 s away).
            var overdue = all.Where(e => e.Type == "line-overdue").ToList();
            Assert.All(overdue, e => Assert.Equal(1, e.Data["escalation_level"]!.GetValue<int>()));
            Assert.Equal(overdue.Count, overdue.Select(e => e.Data["message_id"]!.GetValue<string>()).Distinct().Count());

            // Every acknowledged write is there, on every surviving node.
            var tokens = new Dictionary<string, string> { ["blue"] = blueToken, ["red"] = redToken };
            foreach (var node in survivors)
            {
                foreach (var (id, (party, version)) in load.Operations)
                {
                    var stored = await node.Client(tokens[party]).Get($"v1/operations/{id}");
                    Assert.True(stored.Status == 200, $"acknowledged operation {id} is missing on {node}");
                    Assert.True(stored.Body!["version"]!.GetValue<long>() >= version, $"{id}: acknowledged version {version}, {node} has {stored.Body["version"]}");
                }

                foreach (var id in messages)
                {
                    Assert.Equal(200, (await node.Client(redToken).Get($"v1/line/messages/{id}")).Status);
                }
            }

            Assert.True(load.Operations.Count >= 20 && messages.Count >= 10, $"too little load to show anything: {load.Operations.Count} operations, {messages.Count} messages");
            Assert.True(load.Refusals.IsEmpty, "refused under load: " + string.Join("; ", load.Refusals.Take(5)));

            // One chain: the head signed before the kill is consistent with the one signed after it,
            // which verifies with the service's one key, served alike by every surviving node.
            var (m, n) = (headBefore["size"]!.GetValue<long>(), headAfter["size"]!.GetValue<long>());
            Assert.True(n > m);
            var proof = (await watcher.Admin().Get($"v1/record/proofs/consistency?from={m}&to={n}")).Body!["hashes"]!.AsArray().Select(h => Convert.FromHexString(h!.GetValue<string>())).ToList();
            Assert.True(MerkleTree.VerifyConsistency(m, n, Convert.FromHexString(headBefore["root_hash"]!.GetValue<string>()), Convert.FromHexString(headAfter["root_hash"]!.GetValue<string>()), proof));
            var key = await (await watcher.Admin().GetAsync("v1/record/key")).Content.ReadAsStringAsync();
            Assert.Equal(key, await (await other.Admin().GetAsync("v1/record/key")).Content.ReadAsStringAsync());
            var (_, publicKey) = SignedNote.ParseVerifierKey(key)!.Value;
            var text = SignedNote.CheckpointText(headAfter["origin"]!.GetValue<string>(), n, Convert.FromHexString(headAfter["root_hash"]!.GetValue<string>()));
            Assert.True(SignedNote.Verify(publicKey, Encoding.UTF8.GetBytes(text), Convert.FromBase64String(headAfter["signature"]!.GetValue<string>())));
            Assert.True(await SameCheckpointAsync(watcher, other), "the two surviving nodes serve different checkpoints");
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            var healths = await Task.WhenAll(cluster.Running.Select(async n => $"{n}: {await n.HealthAsync()}"));
            throw new InvalidOperationException($"the cluster's health: {string.Join("; ", healths)}\nthe nodes' sessions: {await SessionsAsync(database.ConnectionString)}\nits output:\n{cluster.Output()}", e);
        }
        finally
        {
            await moving.DisposeAsync();
            if (moved is not null)
            {
                await moved.DisposeAsync();
            }
        }
    }

    /// <summary>What each node's sessions on the database are doing (pg_stat_activity), for a failure's message.</summary>
    private static async Task<string> SessionsAsync(string connectionString)
    {
        await using var connection = new Npgsql.NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            "SELECT a.application_name, a.state, a.wait_event_type, a.wait_event, left(a.query, 80), EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.locktype = 'advisory' AND l.granted) " +
            "FROM pg_stat_activity a WHERE a.datname = current_database() AND a.pid <> pg_backend_pid() ORDER BY 1",
            connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            rows.Add(string.Join(" | ", Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "-" : Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture))));
        }

        return string.Join("\n  ", rows);
    }

    /// <summary>The own track of a `track-alert` entry that raised an alert (each side's entry names its own aircraft), else null.</summary>
    private static string? Raised(SseEvent e)
    {
        if (e.Type != "track-alert" || e.Data["action"]?.GetValue<string>() != "raised")
        {
            return null;
        }

        var alert = e.Data["alert"]!;
        var own = alert["a"]!["own"]!.GetValue<bool>() ? alert["a"]! : alert["b"]!;
        return own["track_id"]!.GetValue<string>();
    }

    /// <summary>The messages not yet escalated and the aircraft not yet in a raised alert.</summary>
    private static string[] Missing(IReadOnlyList<ReceivedEvent> received, HashSet<string> messages, IReadOnlyList<Encounter> encounters)
    {
        var escalated = received.Where(e => e.Event.Type == "line-overdue").Select(e => e.Event.Data["message_id"]!.GetValue<string>()).ToHashSet();
        var raised = received.Select(e => Raised(e.Event)).Where(t => t is not null).ToHashSet();
        return
        [
            .. messages.Where(m => !escalated.Contains(m)),
            .. encounters.SelectMany(x => new[] { x.BlueTrack, x.RedTrack }).Where(t => !raised.Contains(t)),
        ];
    }

    private static DateTimeOffset DueAt(SseEvent e) => DateTimeOffset.Parse(e.Data["due_at"]!.GetValue<string>(), CultureInfo.InvariantCulture);

    /// <summary>Polls the node's newest head until its size passes <paramref name="size"/>: when it was seen and the head.</summary>
    private static async Task<(TimeSpan At, JsonNode Head)> NewHeadAsync(ClusterNode node, long size, Stopwatch clock)
    {
        var admin = node.Admin();
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(30))
        {
            var head = await admin.Get("v1/record/head");
            if (head.Status == 200 && head.Body!["size"]!.GetValue<long>() > size)
            {
                return (clock.Elapsed, head.Body);
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"no head larger than {size} was signed within 30 s of the kill");
    }

    /// <summary>Whether the two nodes serve the same checkpoint (retried: a head signed between the two reads is not a difference).</summary>
    private static async Task<bool> SameCheckpointAsync(ClusterNode a, ClusterNode b)
    {
        for (var i = 0; i < 20; i++)
        {
            var first = await (await a.Admin().GetAsync("v1/record/checkpoint")).Content.ReadAsStringAsync();
            var second = await (await b.Admin().GetAsync("v1/record/checkpoint")).Content.ReadAsStringAsync();
            if (first == second && first.Length > 0)
            {
                return true;
            }

            await Task.Delay(200);
        }

        return false;
    }
}
