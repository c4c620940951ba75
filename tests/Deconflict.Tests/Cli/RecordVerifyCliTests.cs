using System.Text.Json.Nodes;
using Deconflict.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace Deconflict.Tests.Cli;

/// <summary>
/// `deconflict record verify` as the real executable: an honest record passes online and offline and
/// is consistent with the last run; each kind of tampering with the stored record is found and named.
/// </summary>
public sealed class RecordVerifyCliTests
{
    [Fact]
    public async Task An_honest_record_verifies_online_and_offline_and_stays_consistent_between_runs()
    {
        await using var server = await TestServer.StartAsync();
        var (blueToken, redToken) = await Scenario(server);
        var state = Path.Combine(server.Directory, "blue-state.json");

        var first = await CliTests.Run(server, blueToken, "record", "verify", "--state", state);
        Assert.True(first.Exit == 0, first.Out + first.Err);
        Assert.Contains("signature by deconflict/", first.Out, StringComparison.Ordinal);
        Assert.Contains("Your event stream is exactly your", first.Out, StringComparison.Ordinal);
        var saved = JsonNode.Parse(await File.ReadAllTextAsync(state))!;
        var size = saved["size"]!.GetValue<long>();

        var red = server.Client(redToken);
        await red.Post("v1/operations", Bodies.Operation(Bodies.Square(36.2, 36.2)));
        await server.Admin.Post("v1/record/head", null);
        var second = await CliTests.Run(server, blueToken, "record", "verify", "--state", state);
        Assert.True(second.Exit == 0, second.Out + second.Err);
        Assert.Contains($"Consistent with the head of {size:N0} entries verified last time.", second.Out, StringComparison.Ordinal);

        var export = Path.Combine(server.Directory, "blue.export.jsonl");
        var exported = await CliTests.Run(server, blueToken, "record", "export", "--out", export);
        Assert.True(exported.Exit == 0, exported.Out + exported.Err);
        var key = await CliTests.Run(server, blueToken, "record", "key");
        Assert.Equal((await (await server.Admin.GetAsync("v1/record/key")).Content.ReadAsStringAsync()).Trim(), key.Out.Trim());

        var offline = await CliTests.Run(null, "", "record", "verify", "--export", export, "--key", key.Out.Trim());
        Assert.True(offline.Exit == 0, offline.Out + offline.Err);
        Assert.Contains("Record verified", offline.Out, StringComparison.Ordinal);

        // The state saved by the online runs holds the log's key too.
        var withState = await CliTests.Run(null, "", "record", "verify", "--export", export, "--state", state);
        Assert.True(withState.Exit == 0, withState.Out + withState.Err);
        Assert.Contains("Record verified", withState.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_export_signed_under_another_key_is_refused_and_one_without_a_trusted_key_is_not_verified()
    {
        // The genuine log, and a forgery: a log of the same parties made on another server (another
        // key), every leaf and signature in it valid under the key the file itself carries.
        await using var genuine = await TestServer.StartAsync();
        var (blueToken, _) = await Scenario(genuine);
        var key = (await (await genuine.Admin.GetAsync("v1/record/key")).Content.ReadAsStringAsync()).Trim();
        string forged;
        await using (var forger = await TestServer.StartAsync())
        {
            var (forgedBlue, _) = await Scenario(forger);
            forged = Path.Combine(genuine.Directory, "forged.export.jsonl");
            var written = await CliTests.Run(forger, forgedBlue, "record", "export", "--out", forged);
            Assert.True(written.Exit == 0, written.Out + written.Err);
        }

        var forgedKey = JsonNode.Parse(File.ReadLines(forged).First())!["verifier_key"]!.GetValue<string>();
        Assert.NotEqual(key, forgedKey);

        // With no key from outside the file there is nothing to verify against.
        var keyless = await CliTests.Run(null, "", "record", "verify", "--export", forged);
        Assert.True(keyless.Exit == 1, keyless.Out + keyless.Err);
        Assert.Equal("Give the log's key with --key (as `deconflict record key` prints it from the server) or --state with the state file of an earlier verify: the key inside an export proves nothing.", keyless.Err.Trim());
        Assert.DoesNotContain("Record verified", keyless.Out, StringComparison.Ordinal);

        var refused = await CliTests.Run(null, "", "record", "verify", "--export", forged, "--key", key);
        Assert.Equal(1, refused.Exit);
        Assert.Equal($"The record is signed under the key '{forgedKey}', not the log's key '{key}' from --key: it is another log's record or a forgery. Nothing was verified.", refused.Err.Trim());
        Assert.DoesNotContain("Record verified", refused.Out, StringComparison.Ordinal);

        // A state saved by an earlier verify of the genuine log refuses it too.
        var state = Path.Combine(genuine.Directory, "blue-state.json");
        Assert.Equal(0, (await CliTests.Run(genuine, blueToken, "record", "verify", "--state", state)).Exit);
        var byState = await CliTests.Run(null, "", "record", "verify", "--export", forged, "--state", state);
        Assert.Equal(1, byState.Exit);
        Assert.Equal($"The record is signed under the key '{forgedKey}', not the log's key '{key}' from the state file: it is another log's record or a forgery. Nothing was verified.", byState.Err.Trim());

        // Online, --key is checked against the server's key as well.
        var online = await CliTests.Run(genuine, blueToken, "record", "verify", "--key", forgedKey);
        Assert.Equal(1, online.Exit);
        Assert.Equal($"The record is signed under the key '{key}', not the log's key '{forgedKey}' from --key: it is another log's record or a forgery. Nothing was verified.", online.Err.Trim());

        var malformed = await CliTests.Run(null, "", "record", "verify", "--export", forged, "--key", "not-a-key");
        Assert.Equal(1, malformed.Exit);
        Assert.Equal("--key 'not-a-key' is not a signed-note verifier key (name+keyhash+base64key, as `deconflict record key` prints it).", malformed.Err.Trim());
    }

    [Theory]
    [InlineData("flipped-byte", "was altered")]
    [InlineData("deleted-entry", "missing from the log (deleted?)")]
    [InlineData("swapped-entries", "was altered: the server holds bytes for it that do not hash to its leaf")]
    [InlineData("rewritten-head", "The head's signature does not verify")]
    [InlineData("other-key", "The log's key changed")]
    public async Task Tampering_with_the_stored_record_is_found_and_named(string tampering, string named)
    {
        // The server's own start check refuses a tampered file (TamperTests), so the host edits the
        // file under the running server; a new key needs a restart, with every head and their copy
        // beside the database removed.
        var directory = Path.Combine(Path.GetTempPath(), "deconflict-tests", Guid.NewGuid().ToString("N"));
        var state = Path.Combine(directory, "blue-state.json");
        var db = Path.Combine(directory, "deconflict.db");
        string blueToken;
        var honest = await TestServer.StartAsync(directory: directory);
        try
        {
            (blueToken, _) = await Scenario(honest);
            var clean = await CliTests.Run(honest, blueToken, "record", "verify", "--state", state);
            Assert.True(clean.Exit == 0, clean.Out + clean.Err);
            if (tampering != "other-key")
            {
                Tamper(db, tampering);
                await AssertCaught(honest, blueToken, state, named);
                return;
            }
        }
        finally
        {
            await honest.DisposeAsyncKeepFiles();
        }

        Tamper(db, tampering);
        await using var server = await TestServer.StartAsync(directory: directory);
        await AssertCaught(server, blueToken, state, named);
    }

    private static async Task AssertCaught(TestServer server, string blueToken, string state, string named)
    {
        var result = await CliTests.Run(server, blueToken, "record", "verify", "--state", state);
        Assert.Equal(1, result.Exit);
        Assert.Contains(named, result.Out, StringComparison.Ordinal);
        Assert.Contains("Record verification FAILED", result.Err, StringComparison.Ordinal);
    }

    /// <summary>Two parties, two overlapping operations (a conflict only they see), a third party's operation, and a signed head.</summary>
    private static async Task<(string Blue, string Red)> Scenario(TestServer server)
    {
        var blue = await Token(server, "blue");
        var red = await Token(server, "red");
        var green = await Token(server, "green");
        await server.Client(blue).Post("v1/operations", Bodies.Operation(Bodies.Square(35.5, 35.8)));
        await server.Client(red).Post("v1/operations", Bodies.Operation(Bodies.Square(35.55, 35.85)));
        await server.Client(green).Post("v1/operations", Bodies.Operation(Bodies.Square(10, 10)));
        await server.Client(blue).Post("v1/operations", Bodies.Operation(Bodies.Square(35.6, 35.9)));
        await server.Admin.Post("v1/record/head", null);
        return (blue, red);
    }

    private static async Task<string> Token(TestServer server, string id)
    {
        var created = await server.Admin.Post("v1/parties", new { id, name = id.ToUpperInvariant() });
        return created.Body!["token"]!.GetValue<string>();
    }

    private static void Tamper(string db, string tampering)
    {
        if (tampering == "other-key")
        {
            // The host replaces the signing key: the next head is signed by a key the party never saw.
            File.Delete(db + ".record-key");
            File.Delete(db + ".record-head");
            Exec(db, "DELETE FROM record_heads");
            return;
        }

        using var c = new SqliteConnection($"Data Source={db};Pooling=False");
        c.Open();
        var visible = VisibleToBlue(c);
        switch (tampering)
        {
            case "flipped-byte":
                var entry = Entry(c, visible[1]);
                entry[entry.Length / 2] ^= 0x01;
                SetEntry(c, visible[1], entry);
                break;
            case "deleted-entry":
                Exec(c, $"DELETE FROM events WHERE seq = {visible[1] + 1}");
                break;
            case "swapped-entries":
                var (a, b) = (Entry(c, visible[0]), Entry(c, visible[1]));
                SetEntry(c, visible[0], b);
                SetEntry(c, visible[1], a);
                break;
            case "rewritten-head":
                Exec(c, "UPDATE record_heads SET root = zeroblob(32) WHERE size = (SELECT MAX(size) FROM record_heads)");
                break;
            default:
                throw new ArgumentException(tampering);
        }
    }

    private static List<long> VisibleToBlue(SqliteConnection c)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT seq - 1, entry FROM events ORDER BY seq";
        using var r = cmd.ExecuteReader();
        var list = new List<long>();
        while (r.Read())
        {
            var parties = Core.Record.RecordEntry.Parse((byte[])r.GetValue(1))!.Parties;
            if (parties.IsEmpty || parties.Contains("blue"))
            {
                list.Add(r.GetInt64(0));
            }
        }

        return list;
    }

    private static byte[] Entry(SqliteConnection c, long index)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT entry FROM events WHERE seq = {index + 1}";
        return (byte[])cmd.ExecuteScalar()!;
    }

    private static void SetEntry(SqliteConnection c, long index, byte[] entry)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"UPDATE events SET entry = $entry WHERE seq = {index + 1}";
        cmd.Parameters.AddWithValue("$entry", entry);
        cmd.ExecuteNonQuery();
    }

    private static void Exec(string db, string sql)
    {
        using var c = new SqliteConnection($"Data Source={db};Pooling=False");
        c.Open();
        Exec(c, sql);
    }

    private static void Exec(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
