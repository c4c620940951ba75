using System.Text.Json.Nodes;
using Deconflict.Core.Record;
using Deconflict.Service;
using Deconflict.Storage.Sqlite;
using Deconflict.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace Deconflict.Tests.Api;

/// <summary>
/// The record's history rewritten in the SQLite file, and a record write made to fail by a trigger
/// in it: not compiled into tests/Deconflict.Tests.Postgres, which runs the rest of this class
/// against PostgreSQL.
/// </summary>
public sealed partial class RecordApiTests
{
    [Fact]
    public async Task A_witness_cosigns_heads_and_is_refused_a_rewritten_history()
    {
        var directory = Path.Combine(Path.GetTempPath(), "deconflict-tests", Guid.NewGuid().ToString("N"));
        using var witness = Ed25519Signer.Create();
        string origin;
        // Heads are signed only when the test asks (POST /v1/record/head): a head the background
        // signer made in between (it covers the cosignature's own entry) would become the latest
        // and carry none of the cosignatures this test looks for.
        var onlyAsked = new DeconflictOptions { RecordHeadInterval = TimeSpan.FromHours(1) };
        var first = await TestServer.StartAsync(onlyAsked, directory: directory);
        try
        {
            var server = first;
            var (blue, red, _) = await ThreeParties(server);
            await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(35.5, 35.8)));
            var head = (await server.Admin.Post("v1/record/head", null)).Body!;
            origin = head["origin"]!.GetValue<string>();

            // No key yet; then a bad key; then the key, a wrong signature, an unknown head, and a good one.
            (await blue.Post("v1/record/cosignatures", Cosign(witness, origin, head))).AssertProblem(409, "invalid-state");
            (await blue.Send(HttpMethod.Put, "v1/parties/blue/key", new { public_key = "AAAA" })).AssertProblem(400, "invalid-request");
            (await red.Send(HttpMethod.Put, "v1/parties/blue/key", new { public_key = Convert.ToBase64String(witness.PublicKey) })).AssertProblem(403, "forbidden");
            Assert.Equal(200, (await blue.Send(HttpMethod.Put, "v1/parties/blue/key", new { public_key = Convert.ToBase64String(witness.PublicKey) })).Status);
            var parties = (await red.Get("v1/parties")).Body!["items"]!.AsArray();
            Assert.Equal(Convert.ToBase64String(witness.PublicKey), parties.Single(p => p!["id"]!.GetValue<string>() == "blue")!["public_key"]!.GetValue<string>());

            var wrong = Cosign(witness, origin, head);
            wrong["timestamp"] = wrong["timestamp"]!.GetValue<long>() + 1;
            (await blue.Post("v1/record/cosignatures", wrong)).AssertProblem(400, "invalid-signature");
            var unknown = head.DeepClone();
            unknown["root_hash"] = new string('0', 64);
            (await blue.Post("v1/record/cosignatures", Cosign(witness, origin, unknown))).AssertProblem(409, "unknown-head");
            Assert.Equal(201, (await blue.Post("v1/record/cosignatures", Cosign(witness, origin, head))).Status);

            // The head now lists the cosignature, and the checkpoint carries a cosignature/v1 line that verifies.
            var listed = (await red.Get("v1/record/head")).Body!;
            Assert.Equal("blue", listed["cosignatures"]![0]!["party"]!.GetValue<string>());
            var note = SignedNote.Parse(await (await red.GetAsync("v1/record/checkpoint")).Content.ReadAsStringAsync())!.Value;
            var cosignature = note.Signatures.Single(s => s.Name == "blue");
            Assert.Equal(SignedNote.KeyId("blue", SignedNote.CosignatureAlgorithm, witness.PublicKey), cosignature.KeyId);
            var time = System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(cosignature.Signature.AsSpan(0, 8));
            Assert.True(SignedNote.Verify(witness.PublicKey, SignedNote.CosignedMessage(note.Text, time), cosignature.Signature.AsSpan(8)));

            // A later head is consistent: accepted.
            await red.Post("v1/operations", Bodies.Operation(Bodies.Square(36.5, 35.8)));
            var later = (await server.Admin.Post("v1/record/head", null)).Body!;
            Assert.Equal(201, (await blue.Post("v1/record/cosignatures", Cosign(witness, origin, later))).Status);
        }
        finally
        {
            await first.DisposeAsyncKeepFiles();
        }

        // The host rewrites history: entry 0 gets other bytes and the whole tree is rebuilt to match.
        // The server's own start check refuses that record (its signed heads no longer match); a
        // host that also drops every head it signed, and their copy beside the database, gets a
        // server that starts, and the witness is what catches it.
        var db = Path.Combine(directory, "deconflict.db");
        RewriteFirstEntry(db);
        var refusedStart = await Assert.ThrowsAsync<Deconflict.Record.RecordCheckException>(() => TestServer.StartAsync(onlyAsked, directory: directory));
        Assert.Contains("is not the root the service signed", refusedStart.Message, StringComparison.Ordinal);
        using (var c = new SqliteConnection($"Data Source={db};Pooling=False"))
        {
            c.Open();
            using var drop = c.CreateCommand();
            drop.CommandText = "DELETE FROM record_heads";
            drop.ExecuteNonQuery();
        }

        File.Delete(db + ".record-head");
        await using (var server = await TestServer.StartAsync(onlyAsked, directory: directory))
        {
            var blue = server.Client(await NewToken(server, "blue"));
            await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(20, 20)));
            var rewritten = (await server.Admin.Post("v1/record/head", null)).Body!;
            var refused = (await blue.Post("v1/record/cosignatures", Cosign(witness, origin, rewritten))).AssertProblem(409, "split-view");
            Assert.NotNull(refused["last_size"]);
        }
    }

    [Fact]
    public async Task A_failing_record_write_leaves_neither_the_change_nor_its_entry()
    {
        await using var server = await TestServer.StartAsync();
        var (blue, _, _) = await ThreeParties(server);
        await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(35.5, 35.8)));
        var before = server.OpenStore().LastEventSequence();

        // The next leaf's node insert fails: the operation's row and event were already written in
        // the same transaction, and must go with it.
        using (var c = new SqliteConnection($"Data Source={server.DatabasePath}"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = $"CREATE TRIGGER injected_failure BEFORE INSERT ON record_nodes WHEN NEW.id = {SqliteRecordTree.NodeId(0, before)} BEGIN SELECT RAISE(ABORT, 'injected failure'); END;";
            cmd.ExecuteNonQuery();
        }

        var failed = await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(36.5, 35.8)));
        failed.AssertProblem(500, "internal");
        var store = server.OpenStore();
        Assert.Equal(before, store.LastEventSequence());
        using (var c = new SqliteConnection($"Data Source={server.DatabasePath}"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT (SELECT COUNT(*) FROM declarations), (SELECT COUNT(*) FROM events), (SELECT COUNT(*) FROM record_nodes WHERE id % 64 = 0)";
            using var r = cmd.ExecuteReader();
            r.Read();
            Assert.Equal((1L, before, before), (r.GetInt64(0), r.GetInt64(1), r.GetInt64(2)));
            r.Close();
            cmd.CommandText = "DROP TRIGGER injected_failure";
            cmd.ExecuteNonQuery();
        }

        // The writer's tree was rolled back with it: the next write extends the record correctly.
        Assert.Equal(201, (await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(36.5, 35.8)))).Status);
        var head = (await server.Admin.Post("v1/record/head", null)).Body!;
        var tree = new MemoryMerkleNodes();
        foreach (var item in (await server.Admin.Get("v1/record/entries")).Body!["items"]!.AsArray())
        {
            tree.Append(MerkleTree.LeafHash(Convert.FromBase64String(item!["entry"]!.GetValue<string>())));
        }

        Assert.Equal(before + 1, head["size"]!.GetValue<long>());
        Assert.Equal(head["root_hash"]!.GetValue<string>(), Convert.ToHexStringLower(tree.Root()));
    }

    private static JsonObject Cosign(Ed25519Signer witness, string origin, JsonNode head)
    {
        var size = head["size"]!.GetValue<long>();
        var root = Convert.FromHexString(head["root_hash"]!.GetValue<string>());
        var time = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var signature = witness.Sign(SignedNote.CosignedMessage(SignedNote.CheckpointText(origin, size, root), time));
        return new JsonObject { ["size"] = size, ["root_hash"] = Convert.ToHexStringLower(root), ["timestamp"] = time, ["signature"] = Convert.ToBase64String(signature) };
    }

    /// <summary>What a dishonest host could do with the file: change entry 0 and rebuild every node so the tree is self-consistent.</summary>
    private static void RewriteFirstEntry(string db)
    {
        using var c = new SqliteConnection($"Data Source={db};Pooling=False");
        c.Open();
        using var tx = c.BeginTransaction();
        var entries = new List<(long Seq, byte[] Entry)>();
        using (var read = c.CreateCommand())
        {
            read.Transaction = tx;
            read.CommandText = "SELECT seq, entry FROM events ORDER BY seq";
            using var r = read.ExecuteReader();
            while (r.Read())
            {
                entries.Add((r.GetInt64(0), (byte[])r.GetValue(1)));
            }
        }

        var first = RecordEntry.Parse(entries[0].Entry)!;
        entries[0] = (entries[0].Seq, (first with { Salt = "AAAAAAAAAAAAAAAAAAAAAA" }).Canonical());
        var tree = new MemoryMerkleNodes();
        using var write = c.CreateCommand();
        write.Transaction = tx;
        write.CommandText = "UPDATE events SET entry = $entry WHERE seq = $seq; DELETE FROM record_nodes; ";
        write.Parameters.AddWithValue("$entry", entries[0].Entry);
        write.Parameters.AddWithValue("$seq", entries[0].Seq);
        write.ExecuteNonQuery();
        foreach (var (_, entry) in entries)
        {
            foreach (var (level, index, hash) in tree.Append(MerkleTree.LeafHash(entry)))
            {
                using var insert = c.CreateCommand();
                insert.Transaction = tx;
                insert.CommandText = "INSERT INTO record_nodes(id, hash) VALUES ($id, $hash)";
                insert.Parameters.AddWithValue("$id", SqliteRecordTree.NodeId(level, index));
                insert.Parameters.AddWithValue("$hash", hash);
                insert.ExecuteNonQuery();
            }
        }

        tx.Commit();
    }
}
