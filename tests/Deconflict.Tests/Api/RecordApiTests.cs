using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Deconflict.Core.Record;
using Deconflict.Tests.Infrastructure;

namespace Deconflict.Tests.Api;

/// <summary>
/// The record over HTTP on a real server: every event is a leaf whose bytes hash to it, heads are
/// signed checkpoints that a signed-note verifier accepts, proofs verify, parties see only their
/// entries' bytes (hashes of the rest) until revealed, witnesses are refused a split view, and a
/// failed second write leaves neither the change nor its entry.
/// </summary>
public sealed partial class RecordApiTests
{
    [Fact]
    public async Task Every_event_is_a_leaf_and_the_signed_head_covers_them_all()
    {
        await using var server = await TestServer.StartAsync();
        var (blue, red, _) = await ThreeParties(server);
        await using var redStream = await SseClient.ConnectAsync(red, "-1");
        await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(35.5, 35.8)));
        await red.Post("v1/operations", Bodies.Operation(Bodies.Square(35.55, 35.85)));

        var head = (await server.Admin.Post("v1/record/head", null)).Body!;
        var size = head["size"]!.GetValue<long>();
        var events = server.OpenStore().ReadEvents(0, new Core.Model.Caller(null, null, "admin"), 1000);
        Assert.Equal(events.Count, size);

        var items = (await server.Admin.Get($"v1/record/entries?start=0&end={size}")).Body!["items"]!.AsArray();
        Assert.Equal(size, items.Count);
        var tree = new MemoryMerkleNodes();
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i]!;
            Assert.Equal(i, item["index"]!.GetValue<long>());
            var bytes = Convert.FromBase64String(item["entry"]!.GetValue<string>());
            var leaf = MerkleTree.LeafHash(bytes);
            Assert.Equal(Convert.ToHexStringLower(leaf), item["leaf_hash"]!.GetValue<string>());
            var entry = RecordEntry.Parse(bytes);
            Assert.NotNull(entry);
            Assert.Equal(i, entry.Index);
            Assert.Equal(events[i].Type, entry.Type);
            Assert.Equal(events[i].PayloadJson, entry.PayloadJson);
            Assert.Equal(22, entry.Salt.Length); // 16 bytes, unpadded base64url
            tree.Append(leaf);
        }

        Assert.Equal(head["root_hash"]!.GetValue<string>(), Convert.ToHexStringLower(tree.Root()));

        // The signed checkpoint verifies with the served verifier key, as a signed-note verifier would check it.
        var keyText = await (await server.Admin.GetAsync("v1/record/key")).Content.ReadAsStringAsync();
        var (name, publicKey) = SignedNote.ParseVerifierKey(keyText)!.Value;
        Assert.Equal(head["origin"]!.GetValue<string>(), name);
        var checkpoint = await (await server.Admin.GetAsync("v1/record/checkpoint")).Content.ReadAsStringAsync();
        var note = SignedNote.Parse(checkpoint)!.Value;
        Assert.Equal($"{name}\n{size}\n{Convert.ToBase64String(tree.Root())}\n", note.Text);
        var line = Assert.Single(note.Signatures);
        Assert.Equal(name, line.Name);
        Assert.Equal(SignedNote.KeyId(name, SignedNote.Ed25519Algorithm, publicKey), line.KeyId);
        Assert.True(SignedNote.Verify(publicKey, Encoding.UTF8.GetBytes(note.Text), line.Signature));
        Assert.Equal(head["signature"]!.GetValue<string>(), Convert.ToBase64String(line.Signature));

        // Stream ids are record indexes: each streamed event is the entry at its id.
        var streamed = await redStream.UntilAsync(e => e.Type == "conflict");
        foreach (var e in streamed)
        {
            var entry = RecordEntry.Parse(Convert.FromBase64String(items[(int)e.Id]!["entry"]!.GetValue<string>()))!;
            Assert.Equal(e.Type, entry.Type);
            Assert.Equal(e.Data.ToJsonString(), System.Text.Json.Nodes.JsonNode.Parse(entry.PayloadJson)!.ToJsonString());
        }
    }

    [Fact]
    public async Task A_signed_head_is_announced_on_the_streams_without_an_id()
    {
        await using var server = await TestServer.StartAsync();
        var (blue, _, _) = await ThreeParties(server);
        await using var stream = await SseClient.ConnectAsync(blue, includeHeads: true);
        await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(35.5, 35.8)));
        var head = (await server.Admin.Post("v1/record/head", null)).Body!;
        var events = await stream.UntilAsync(e => e.Type == "record-head" && e.Data["size"]!.GetValue<long>() == head["size"]!.GetValue<long>());
        var announced = events[^1];
        Assert.Equal(-1, announced.Id);
        Assert.Equal(head["root_hash"]!.GetValue<string>(), announced.Data["root_hash"]!.GetValue<string>());
        Assert.Equal(head["signature"]!.GetValue<string>(), announced.Data["signature"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_party_sees_hashes_of_entries_not_its_own_until_their_actor_reveals_them()
    {
        await using var server = await TestServer.StartAsync();
        var (blue, red, green) = await ThreeParties(server);
        await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(35.5, 35.8)));
        await red.Post("v1/operations", Bodies.Operation(Bodies.Square(35.55, 35.85)));

        var all = (await server.Admin.Get("v1/record/entries")).Body!["items"]!.AsArray();
        var conflictIndex = all.Select(i => i!).First(i => RecordEntry.Parse(Convert.FromBase64String(i["entry"]!.GetValue<string>()))!.Type == "conflict")["index"]!.GetValue<long>();

        var seenByGreen = (await green.Get("v1/record/entries")).Body!["items"]!.AsArray();
        Assert.Equal(all.Count, seenByGreen.Count);
        var hidden = seenByGreen[(int)conflictIndex]!;
        Assert.Null(hidden["entry"]);
        Assert.Equal(all[(int)conflictIndex]!["leaf_hash"]!.GetValue<string>(), hidden["leaf_hash"]!.GetValue<string>());
        Assert.NotNull((await red.Get("v1/record/entries")).Body!["items"]![(int)conflictIndex]!["entry"]);

        // The conflict was opened by red's write: blue may not reveal it, green may not even see it, red may.
        (await blue.Post($"v1/record/entries/{conflictIndex}/reveal", null)).AssertProblem(403, "forbidden");
        (await green.Post($"v1/record/entries/{conflictIndex}/reveal", null)).AssertProblem(404, "not-found");
        var revealed = await red.Post($"v1/record/entries/{conflictIndex}/reveal", null);
        Assert.Equal(200, revealed.Status);

        var now = (await green.Get($"v1/record/entries?start={conflictIndex}&end={conflictIndex + 1}")).Body!["items"]![0]!;
        var bytes = Convert.FromBase64String(now["entry"]!.GetValue<string>());
        Assert.Equal(hidden["leaf_hash"]!.GetValue<string>(), Convert.ToHexStringLower(MerkleTree.LeafHash(bytes)));
    }

    [Fact]
    public async Task Proofs_verify_against_signed_heads_and_bad_requests_are_refused()
    {
        await using var server = await TestServer.StartAsync();
        var (blue, red, _) = await ThreeParties(server);
        await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(35.5, 35.8)));
        var first = (await server.Admin.Post("v1/record/head", null)).Body!;
        for (var i = 0; i < 4; i++)
        {
            await red.Post("v1/operations", Bodies.Operation(Bodies.Square(35.55, 35.85 + (i * 0.01))));
        }

        var second = (await server.Admin.Post("v1/record/head", null)).Body!;
        var (m, n) = (first["size"]!.GetValue<long>(), second["size"]!.GetValue<long>());
        Assert.True(n > m);
        var root = Convert.FromHexString(second["root_hash"]!.GetValue<string>());
        var items = (await blue.Get("v1/record/entries")).Body!["items"]!.AsArray();
        for (var i = 0; i < n; i++)
        {
            var proof = Hashes((await blue.Get($"v1/record/proofs/inclusion?index={i}&size={n}")).Body!);
            Assert.True(MerkleTree.VerifyInclusion(i, n, Convert.FromHexString(items[i]!["leaf_hash"]!.GetValue<string>()), proof, root), $"leaf {i}");
        }

        var consistency = Hashes((await blue.Get($"v1/record/proofs/consistency?from={m}&to={n}")).Body!);
        Assert.True(MerkleTree.VerifyConsistency(m, n, Convert.FromHexString(first["root_hash"]!.GetValue<string>()), root, consistency));

        (await blue.Get($"v1/record/proofs/inclusion?index={n}&size={n}")).AssertProblem(400, "invalid-parameter");
        (await blue.Get("v1/record/proofs/inclusion?size=1")).AssertProblem(400, "invalid-parameter");
        (await blue.Get("v1/record/proofs/inclusion?index=x")).AssertProblem(400, "invalid-parameter");
        (await blue.Get($"v1/record/proofs/consistency?from=1&to={n + 1}")).AssertProblem(400, "invalid-parameter");
        (await blue.Get("v1/record/proofs/consistency?from=3&to=2")).AssertProblem(400, "invalid-parameter");
        (await blue.Get("v1/record/entries?start=5&end=2")).AssertProblem(400, "invalid-request");
        Assert.Equal(401, (await server.Client(null).Get("v1/record/head")).Status);
    }

    [Fact]
    public async Task A_restart_keeps_the_log_its_heads_and_its_key()
    {
        var directory = Path.Combine(Path.GetTempPath(), "deconflict-tests", Guid.NewGuid().ToString("N"));
        JsonNode head;
        string key;
        var server0 = await TestServer.StartAsync(directory: directory);
        try
        {
            var (blue, _, _) = await ThreeParties(server0);
            await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(35.5, 35.8)));
            head = (await server0.Admin.Post("v1/record/head", null)).Body!;
            key = await (await server0.Admin.GetAsync("v1/record/key")).Content.ReadAsStringAsync();
        }
        finally
        {
            await server0.DisposeAsyncKeepFiles();
        }

        await using (var server = await TestServer.StartAsync(directory: directory))
        {
            Assert.Equal(key, await (await server.Admin.GetAsync("v1/record/key")).Content.ReadAsStringAsync());
            var blue = server.Client(await NewToken(server, "blue"));
            await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(36.5, 35.8)));
            var next = (await server.Admin.Post("v1/record/head", null)).Body!;
            var (m, n) = (head["size"]!.GetValue<long>(), next["size"]!.GetValue<long>());
            Assert.True(n > m);
            var proof = Hashes((await blue.Get($"v1/record/proofs/consistency?from={m}&to={n}")).Body!);
            Assert.True(MerkleTree.VerifyConsistency(m, n, Convert.FromHexString(head["root_hash"]!.GetValue<string>()), Convert.FromHexString(next["root_hash"]!.GetValue<string>()), proof));
            var (_, publicKey) = SignedNote.ParseVerifierKey(key)!.Value;
            Assert.True(SignedNote.Verify(publicKey, Encoding.UTF8.GetBytes(SignedNote.CheckpointText(next["origin"]!.GetValue<string>(), n, Convert.FromHexString(next["root_hash"]!.GetValue<string>()))), Convert.FromBase64String(next["signature"]!.GetValue<string>())));
        }
    }

    private static async Task<(HttpClient Blue, HttpClient Red, HttpClient Green)> ThreeParties(TestServer server) =>
        (await server.AddPartyAsync("blue"), await server.AddPartyAsync("red"), await server.AddPartyAsync("green"));

    private static async Task<string> NewToken(TestServer server, string party)
    {
        var response = await server.Admin.PostAsJsonAsync($"v1/parties/{party}/tokens", new { });
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["token"]!.GetValue<string>();
    }

    private static List<byte[]> Hashes(JsonNode body) => [.. body["hashes"]!.AsArray().Select(h => Convert.FromHexString(h!.GetValue<string>()))];
}
