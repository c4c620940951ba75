using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Deconflict.Cli;

namespace Deconflict.Tests.Infrastructure;

/// <summary>What a crash campaign did: its cycles, the writes acknowledged over all of them, and how long it took.</summary>
public sealed record CrashCampaignFigures(int Cycles, long AcknowledgedWrites, long TrackBatches, long RecordEntries, TimeSpan Elapsed);

/// <summary>
/// SIGKILL cycles of a real server process under mixed concurrent load. Each cycle: both parties
/// submit and update operations, make pairs of overlapping operations and acknowledge the
/// conflict between them, send each other line messages and acknowledge them, and post track
/// batches; the server is killed with writes in flight once the cycle has its share of
/// acknowledged writes, and restarted. Then every write acknowledged so far (2xx) must be there as
/// the API shows it, and `record verify` (its checks, in process) must pass for each party,
/// consistent with what the same party verified after the previous cycle.
/// </summary>
/// <remarks>
/// The load keeps the checks exact: each party's updated operations lie in a region of its own, so
/// they make no conflict between the parties, and the operations of a conflict pair are never
/// updated, so the acknowledgements of their conflict are never reset. Tracks are never stored
/// (API.md), so they are load only, posted far from each other so that they raise no alerts.
/// </remarks>
public sealed class CrashCampaign(string directory, Action<string> log)
{
    private readonly ConcurrentDictionary<string, long> _operations = new();
    private readonly ConcurrentDictionary<(string Conflict, string Party), byte> _conflictAcks = new();
    private readonly ConcurrentDictionary<string, (string From, string To)> _messages = new();
    private readonly ConcurrentDictionary<string, string> _messageAcks = new();
    private readonly Dictionary<string, VerifiedState?> _verified = [];
    private long _acknowledged;
    private long _trackBatches;
    private long _pairs;
    private long _messageNumber;

    /// <summary>An admin token of 32 random bytes, base64url (43 characters) after the dcf_ prefix.</summary>
    public static string NewAdminToken() => "dcf_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public async Task<CrashCampaignFigures> RunAsync(int cycles, int writesPerCycle)
    {
        var clock = Stopwatch.StartNew();
        var db = Path.Combine(directory, "campaign.db");
        var admin = NewAdminToken();
        var server = await ServerProcess.StartAsync(db, admin);
        long entries = 0;
        try
        {
            var tokens = new Dictionary<string, string>();
            using (var http = Client(server.BaseAddress, admin))
            {
                foreach (var party in new[] { "blue", "red" })
                {
                    var created = await Json(await http.PostAsync("v1/parties", Body(new JsonObject { ["id"] = party, ["name"] = party })), 201, $"add {party}");
                    tokens[party] = created["token"]!.GetValue<string>();
                    _verified[party] = null;
                }
            }

            for (var cycle = 1; cycle <= cycles; cycle++)
            {
                var target = Interlocked.Read(ref _acknowledged) + writesPerCycle;
                await LoadUntilKilled(server, tokens, target);
                server.Dispose();
                server = await ServerProcess.StartAsync(db, admin);
                await CheckAcknowledged(server.BaseAddress, admin, tokens, cycle);
                entries = await VerifyRecord(server.BaseAddress, admin, tokens, cycle);
                log($"cycle {cycle}: killed under load, restarted; all {Interlocked.Read(ref _acknowledged):N0} acknowledged writes are there, the record ({entries:N0} entries) verifies for both parties");
            }
        }
        finally
        {
            server.Dispose();
        }

        return new CrashCampaignFigures(cycles, Interlocked.Read(ref _acknowledged), Interlocked.Read(ref _trackBatches), entries, clock.Elapsed);
    }

    /// <summary>Runs every kind of load until <paramref name="target"/> writes are acknowledged (or 60 s pass), then kills the server under it.</summary>
    private async Task LoadUntilKilled(ServerProcess server, Dictionary<string, string> tokens, long target)
    {
        using var stop = new CancellationTokenSource();
        var clients = tokens.ToDictionary(t => t.Key, t => Client(server.BaseAddress, t.Value));
        try
        {
            var load = new List<Task>();
            foreach (var (party, region) in new[] { ("blue", 10.0), ("red", 20.0) })
            {
                for (var w = 0; w < 2; w++)
                {
                    var seed = HashCode.Combine(party, w, target);
                    load.Add(Loop(() => SubmitAndUpdate(clients[party], region, new Random(seed), stop.Token), stop.Token));
                }

                load.Add(Loop(() => PostTracks(clients[party], party, stop.Token), stop.Token));
            }

            load.Add(Loop(() => ConflictPair(clients["blue"], clients["red"], stop.Token), stop.Token));
            load.Add(Loop(() => Message(clients["blue"], clients["red"], "blue", "red", stop.Token), stop.Token));
            load.Add(Loop(() => Message(clients["red"], clients["blue"], "red", "blue", stop.Token), stop.Token));

            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (Interlocked.Read(ref _acknowledged) < target && DateTime.UtcNow < deadline && !load.Any(t => t.IsFaulted))
            {
                await Task.Delay(10);
            }

            server.Kill();
            await stop.CancelAsync();
            await Task.WhenAll(load);
            Assert.True(Interlocked.Read(ref _acknowledged) >= target, $"only {Interlocked.Read(ref _acknowledged)} of {target} writes were acknowledged before the kill");
        }
        finally
        {
            foreach (var c in clients.Values)
            {
                c.Dispose();
            }
        }
    }

    /// <summary>Repeats a step until stopped; a request cut by the kill was not acknowledged and ends nothing.</summary>
    private static Task Loop(Func<Task> step, CancellationToken stop) => Task.Run(async () =>
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await step();
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException or BackOff)
            {
                if (!stop.IsCancellationRequested)
                {
                    // The server was killed before this loop was told, or asked it to slow down.
                    await Task.Delay(e is BackOff b ? b.Delay : TimeSpan.FromMilliseconds(20), CancellationToken.None);
                }
            }
        }
    }, CancellationToken.None);

    private async Task SubmitAndUpdate(HttpClient client, double region, Random random, CancellationToken stop)
    {
        var body = Bodies.Operation(Bodies.Square(region + random.NextDouble(), region + random.NextDouble(), halfDeg: 0.02));
        var created = await client.PostAsync("v1/operations", Body(body), stop);
        var id = (await Json(created, 201, "submit"))["operation"]!["id"]!.GetValue<string>();
        Acknowledge(() => _operations[id] = 1);

        var update = Bodies.Operation(Bodies.Square(region + random.NextDouble(), region + random.NextDouble(), halfDeg: 0.02));
        using var put = new HttpRequestMessage(HttpMethod.Put, $"v1/operations/{id}") { Content = Body(update) };
        put.Headers.TryAddWithoutValidation("If-Match", "\"1\"");
        await Json(await client.SendAsync(put, stop), 200, "update");
        Acknowledge(() => _operations.AddOrUpdate(id, 2, (_, v) => Math.Max(v, 2)));
    }

    /// <summary>Blue and red declare the same small square (a spot of its own); both acknowledge the conflict between them.</summary>
    private async Task ConflictPair(HttpClient blue, HttpClient red, CancellationToken stop)
    {
        var k = Interlocked.Increment(ref _pairs);
        // Half a degree apart: beyond the separation buffers, so each pair makes its own conflict only.
        var (lat, lng) = (-30 + (k % 50 * 0.5), -60 + (k / 50 * 0.5));
        var square = Bodies.Operation(Bodies.Square(lat, lng, halfDeg: 0.005));
        var first = await Json(await blue.PostAsync("v1/operations", Body(square), stop), 201, "pair submit");
        Acknowledge(() => _operations[first["operation"]!["id"]!.GetValue<string>()] = 1);
        var second = await Json(await red.PostAsync("v1/operations", Body(square), stop), 201, "pair submit");
        Acknowledge(() => _operations[second["operation"]!["id"]!.GetValue<string>()] = 1);
        var conflict = Assert.Single(second["conflicts"]!.AsArray())!["id"]!.GetValue<string>();
        foreach (var (party, client) in new[] { ("red", red), ("blue", blue) })
        {
            var note = Body(new JsonObject { ["note"] = $"seen by {party}" });
            await Json(await client.PostAsync($"v1/conflicts/{conflict}/acknowledge", note, stop), 200, "conflict acknowledge");
            Acknowledge(() => _conflictAcks[(conflict, party)] = 1);
        }
    }

    private async Task Message(HttpClient sender, HttpClient recipient, string from, string to, CancellationToken stop)
    {
        var n = Interlocked.Increment(ref _messageNumber);
        var message = new JsonObject
        {
            ["to"] = new JsonArray(to),
            ["subject"] = $"Message {n}",
            ["body"] = $"Moving the tanker track {n} NM north.",
            ["requires_ack"] = true,
            ["ack_within_s"] = 3600,
        };
        var sent = await Json(await sender.PostAsync("v1/line/messages", Body(message), stop), 201, "line send");
        var id = sent["id"]!.GetValue<string>();
        Acknowledge(() => _messages[id] = (from, to));

        var by = $"Duty officer {n}";
        var ack = Body(new JsonObject { ["by"] = by, ["note"] = "understood" });
        await Json(await recipient.PostAsync($"v1/line/messages/{id}/acknowledge", ack, stop), 200, "line acknowledge");
        Acknowledge(() => _messageAcks[id] = by);
    }

    private async Task PostTracks(HttpClient client, string party, CancellationToken stop)
    {
        var time = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        var lat = party == "blue" ? 50.0 : -50.0;
        var tracks = new JsonArray([.. Enumerable.Range(0, 10).Select(i => (JsonNode)new JsonObject
        {
            ["id"] = $"{party.ToUpperInvariant()}{i}",
            ["time"] = time,
            ["lat"] = lat + (i * 0.5),
            ["lng"] = 10.0,
            ["altitude_m"] = 5000.0,
            ["velocity"] = new JsonObject { ["east_mps"] = 200.0, ["north_mps"] = 0.0, ["up_mps"] = 0.0 },
        })]);
        await Json(await client.PostAsync("v1/tracks", Body(new JsonObject { ["tracks"] = tracks }), stop), 202, "tracks");
        Interlocked.Increment(ref _trackBatches);
        await Task.Delay(50, stop);
    }

    /// <summary>Notes an acknowledged write; the count is what the campaign reports.</summary>
    private void Acknowledge(Action note)
    {
        note();
        Interlocked.Increment(ref _acknowledged);
    }

    private async Task CheckAcknowledged(Uri server, string admin, Dictionary<string, string> tokens, int cycle)
    {
        using var http = Client(server, admin);
        var operations = (await All(http, "v1/operations")).ToDictionary(o => o["id"]!.GetValue<string>(), o => o["version"]!.GetValue<long>());
        foreach (var (id, version) in _operations)
        {
            Assert.True(operations.TryGetValue(id, out var stored), $"cycle {cycle}: acknowledged operation {id} is missing after the restart");
            Assert.True(stored >= version, $"cycle {cycle}: operation {id} was acknowledged at version {version} but is at {stored}");
        }

        var conflicts = (await All(http, "v1/conflicts")).ToDictionary(c => c["id"]!.GetValue<string>(), c => c["acknowledged_by"]?.AsObject());
        foreach (var (conflict, party) in _conflictAcks.Keys)
        {
            Assert.True(conflicts.TryGetValue(conflict, out var acks), $"cycle {cycle}: conflict {conflict} is missing after the restart");
            Assert.True(acks?.ContainsKey(party) == true, $"cycle {cycle}: {party}'s acknowledgement of conflict {conflict} is missing after the restart");
        }

        var messages = new Dictionary<string, JsonNode>();
        foreach (var token in tokens.Values)
        {
            using var party = Client(server, token);
            foreach (var m in await All(party, "v1/line/messages?box=sent"))
            {
                messages[m["id"]!.GetValue<string>()] = m;
            }
        }

        foreach (var (id, (from, to)) in _messages)
        {
            Assert.True(messages.TryGetValue(id, out var stored), $"cycle {cycle}: acknowledged message {id} from {from} is missing after the restart");
            if (_messageAcks.TryGetValue(id, out var by))
            {
                Assert.Equal(by, stored["receipts"]?[to]?["acknowledged_by"]?.GetValue<string>());
                Assert.NotNull(stored["receipts"]![to]!["acknowledged_at"]);
            }
        }
    }

    /// <summary>Signs a head, then runs `record verify`'s checks for each party, from the head that party verified last time.</summary>
    private async Task<long> VerifyRecord(Uri server, string admin, Dictionary<string, string> tokens, int cycle)
    {
        using (var http = Client(server, admin))
        {
            await Json(await http.PostAsync("v1/record/head", null), 200, "sign a head");
        }

        long size = 0;
        foreach (var (party, token) in tokens)
        {
            var report = new StringWriter();
            var verifier = new RecordVerifier(report);
            var (snapshot, client) = await RecordSources.FromServerAsync(server.ToString(), token);
            using (client)
            {
                var verified = await Task.Run(() => verifier.Verify(snapshot, _verified[party]));
                Assert.True(verified is not null, $"cycle {cycle}: record verify failed for {party}:\n{report}");
                _verified[party] = verified;
                size = verified.Size;
            }
        }

        return size;
    }

    /// <summary>Every item of a list endpoint, page by page.</summary>
    private static async Task<List<JsonNode>> All(HttpClient http, string path)
    {
        var items = new List<JsonNode>();
        string? cursor = null;
        do
        {
            var separator = path.Contains('?', StringComparison.Ordinal) ? '&' : '?';
            var page = await Json(await http.GetAsync($"{path}{separator}limit=10000{(cursor is null ? string.Empty : "&cursor=" + Uri.EscapeDataString(cursor))}"), 200, path);
            items.AddRange(page["items"]!.AsArray().Select(i => i!));
            cursor = page["next_cursor"]?.GetValue<string>();
        }
        while (cursor is not null);
        return items;
    }

    private static async Task<JsonNode> Json(HttpResponseMessage response, int status, string what)
    {
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync();
            if ((int)response.StatusCode == 429)
            {
                // A rate limit or a fair share: the write was refused, not acknowledged; try again later.
                throw new BackOff(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromMilliseconds(200));
            }

            Assert.True((int)response.StatusCode == status, $"{what}: expected {status}, got {(int)response.StatusCode}: {text}");
            return JsonNode.Parse(text)!;
        }
    }

    private static StringContent Body(JsonNode body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");

    private static HttpClient Client(Uri baseAddress, string token)
    {
        var client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>A 429: the request was refused and is retried after the delay the server asked for.</summary>
    private sealed class BackOff(TimeSpan delay) : Exception("429")
    {
        public TimeSpan Delay { get; } = delay;
    }
}
