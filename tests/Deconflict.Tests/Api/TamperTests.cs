using System.Text.Json.Nodes;
using Deconflict.Core.Record;
using Deconflict.Record;
using Deconflict.Tests.Infrastructure;
using static Deconflict.Tests.Infrastructure.TamperedFiles;

namespace Deconflict.Tests.Api;

/// <summary>
/// The server's files edited while it is stopped: each kind of edit (a served row of an operation,
/// a conflict or a line message, an entry's audience, the log's tail cut off, the record key
/// replaced) makes the next start refuse, naming the first bad entry; an untouched restart starts,
/// and every served object carries the record index of the entry that made it.
/// </summary>
public sealed class TamperTests
{
    [Fact]
    public async Task An_untouched_restart_starts_and_every_served_object_names_the_entry_that_made_it()
    {
        var world = await World.MakeAsync();
        await using var server = await TestServer.StartAsync(directory: world.Directory);
        var blue = server.Client(world.BlueToken);
        var entries = await Entries(server);

        var operation = (await blue.Get($"v1/operations/{world.BlueOperation}")).Body!;
        Assert.Equal(LastAbout(entries, "operation", world.BlueOperation), operation["record_index"]!.GetValue<long>());
        var conflict = (await blue.Get($"v1/conflicts/{world.Conflict}")).Body!;
        Assert.Equal(LastAbout(entries, "conflict", world.Conflict), conflict["record_index"]!.GetValue<long>());
        var message = (await blue.Get($"v1/line/messages/{world.Message}")).Body!;
        Assert.Equal(LastAbout(entries, "line-", world.Message), message["record_index"]!.GetValue<long>());

        // The entry named states the object exactly as served (but for the record index itself).
        var stated = JsonNode.Parse(Entry(entries, message["record_index"]!.GetValue<long>()).PayloadJson)!["message"]!;
        message.AsObject().Remove("record_index");
        Assert.Equal(stated.ToJsonString(), message.ToJsonString());
    }

    [Fact]
    public async Task An_edited_operation_row_refuses_the_start_naming_its_entry()
    {
        var world = await World.MakeAsync();
        Sql(world.Db, $"UPDATE declarations SET priority = 99 WHERE id = '{world.BlueOperation}'");
        var e = await Assert.ThrowsAsync<RecordCheckException>(() => TestServer.StartAsync(directory: world.Directory));
        Assert.StartsWith($"Record check failed: entry {world.BlueOperationIndex} does not state operation {world.BlueOperation} as the database serves it", e.Message);
    }

    [Fact]
    public async Task An_edited_conflict_row_refuses_the_start_naming_its_entry()
    {
        var world = await World.MakeAsync();
        Sql(world.Db, $"UPDATE conflicts SET state = 'accepted' WHERE id = '{world.Conflict}'");
        var e = await Assert.ThrowsAsync<RecordCheckException>(() => TestServer.StartAsync(directory: world.Directory));
        Assert.StartsWith($"Record check failed: entry {world.ConflictIndex} does not state conflict {world.Conflict} as the database serves it", e.Message);
    }

    [Fact]
    public async Task An_edited_message_row_refuses_the_start_naming_its_entry()
    {
        var world = await World.MakeAsync();
        Sql(world.Db, $"UPDATE line_messages SET doc = replace(doc, 'Hold at FL120', 'Climb to FL300') WHERE id = '{world.Message}'");
        var e = await Assert.ThrowsAsync<RecordCheckException>(() => TestServer.StartAsync(directory: world.Directory));
        Assert.StartsWith($"Record check failed: entry {world.MessageIndex} does not state message {world.Message} as the database serves it", e.Message);
    }

    [Fact]
    public async Task A_message_added_to_another_party_s_inbox_refuses_the_start_naming_its_entry()
    {
        var world = await World.MakeAsync();
        Sql(world.Db, $"INSERT INTO line_recipients(party, message_seq) SELECT 'green', seq FROM line_messages WHERE id = '{world.Message}'");
        var e = await Assert.ThrowsAsync<RecordCheckException>(() => TestServer.StartAsync(directory: world.Directory));
        Assert.Equal($"Record check failed: entry {world.MessageIndex}: the inbox index of message {world.Message} does not list exactly its recipients (green differs).", e.Message);
    }

    [Fact]
    public async Task A_row_set_back_to_an_older_entry_refuses_the_start_naming_the_latest()
    {
        var world = await World.MakeAsync();
        var sentIndex = world.MessageSentIndex;
        var entries = ReadEntries(world.Db);
        var sent = JsonNode.Parse(entries[(int)sentIndex].PayloadJson)!["message"]!.ToJsonString();

        // The message as first sent, bound to its own (genuine) entry: the read receipt is undone.
        Sql(world.Db, $"UPDATE line_messages SET doc = '{sent.Replace("'", "''", StringComparison.Ordinal)}', record_index = {sentIndex} WHERE id = '{world.Message}'");
        var e = await Assert.ThrowsAsync<RecordCheckException>(() => TestServer.StartAsync(directory: world.Directory));
        Assert.StartsWith($"Record check failed: entry {world.MessageIndex} is the latest about message {world.Message}", e.Message);
    }

    [Fact]
    public async Task A_deleted_row_refuses_the_start_naming_its_entry()
    {
        var world = await World.MakeAsync();
        Sql(world.Db, $"DELETE FROM conflicts WHERE id = '{world.Conflict}'");
        var e = await Assert.ThrowsAsync<RecordCheckException>(() => TestServer.StartAsync(directory: world.Directory));
        Assert.StartsWith($"Record check failed: entry {world.ConflictIndex} states conflict {world.Conflict}, which the database does not hold", e.Message);
    }

    [Fact]
    public async Task A_widened_audience_in_an_entry_refuses_the_start_naming_it()
    {
        var world = await World.MakeAsync();
        var index = world.MessageSentIndex;
        var entry = ReadEntries(world.Db)[(int)index];
        var widened = (entry with { Parties = ["blue", "green", "red"] }).Canonical();
        using (var c = Open(world.Db))
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = "UPDATE events SET entry = $entry WHERE seq = $seq";
            cmd.Parameters.AddWithValue("$entry", widened);
            cmd.Parameters.AddWithValue("$seq", index + 1);
            Assert.Equal(1, cmd.ExecuteNonQuery());
        }

        var e = await Assert.ThrowsAsync<RecordCheckException>(() => TestServer.StartAsync(directory: world.Directory));
        Assert.Equal($"Record check failed: entry {index} does not hash to its leaf in the stored tree: the entry was edited.", e.Message);
    }

    [Fact]
    public async Task The_database_keeps_no_audience_beside_the_entry_to_widen()
    {
        var world = await World.MakeAsync();
        using var c = Open(world.Db);
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT name FROM pragma_table_info('events') ORDER BY cid";
        using var r = cmd.ExecuteReader();
        var columns = new List<string>();
        while (r.Read())
        {
            columns.Add(r.GetString(0));
        }

        Assert.Equal(["seq", "entry"], columns);
    }

    [Fact]
    public async Task An_entry_widened_under_a_running_server_is_not_served_to_the_party_it_was_widened_to()
    {
        var directory = Path.Combine(Path.GetTempPath(), "deconflict-tests", Guid.NewGuid().ToString("N"));
        await using var server = await TestServer.StartAsync(directory: directory);
        var blue = await server.AddPartyAsync("blue");
        await server.AddPartyAsync("red");
        var green = await server.AddPartyAsync("green");
        var sent = (await blue.Post("v1/line/messages", new JsonObject { ["to"] = new JsonArray("red"), ["subject"] = "Private", ["body"] = "Only for red." })).Body!;
        var index = sent["record_index"]!.GetValue<long>();

        var entry = ReadEntries(server.DatabasePath)[(int)index];
        Assert.Equal(["blue", "red"], entry.Parties.ToArray());
        using (var c = Open(server.DatabasePath))
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = "UPDATE events SET entry = $entry WHERE seq = $seq";
            cmd.Parameters.AddWithValue("$entry", (entry with { Parties = [] }).Canonical());
            cmd.Parameters.AddWithValue("$seq", index + 1);
            Assert.Equal(1, cmd.ExecuteNonQuery());
        }

        var item = Assert.Single((await green.Get($"v1/record/entries?start={index}&end={index + 1}")).Body!["items"]!.AsArray())!;
        Assert.Null(item["entry"]);
        Assert.True(item["damaged"]!.GetValue<bool>());
        await using var stream = await SseClient.ConnectAsync(green, "-1");
        await server.Admin.Post("v1/parties", new { id = "marker", name = "Marker" });
        var seen = await stream.UntilAsync(e => e.Type == "party" && e.Data.ToJsonString().Contains("marker", StringComparison.Ordinal));
        Assert.DoesNotContain(seen, e => e.Id == index);
    }

    [Fact]
    public async Task A_cut_tail_refuses_the_start_naming_the_first_missing_entry()
    {
        var world = await World.MakeAsync();
        var keep = world.Size - 3;
        Sql(world.Db, $"DELETE FROM events WHERE seq > {keep}; DELETE FROM record_nodes WHERE id >= {keep * 64}; DELETE FROM record_heads WHERE size > {keep};");
        var e = await Assert.ThrowsAsync<RecordCheckException>(() => TestServer.StartAsync(directory: world.Directory));
        Assert.StartsWith($"Record check failed: entry {keep} is missing: the database holds {keep} entries, but the service signed a head of {world.Size}", e.Message);
    }

    [Fact]
    public async Task The_server_signs_no_head_inconsistent_with_its_last_one()
    {
        var directory = Path.Combine(Path.GetTempPath(), "deconflict-tests", Guid.NewGuid().ToString("N"));
        await using var server = await TestServer.StartAsync(directory: directory);
        var blue = await server.AddPartyAsync("blue");
        await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(35.5, 35.8)));
        var head = (await server.Admin.Post("v1/record/head", null)).Body!;
        var size = head["size"]!.GetValue<long>();

        // Under the running server the host rewrites the stored tree of the signed entries (the
        // nodes their appends completed): they no longer give the root it signed.
        Sql(server.DatabasePath, $"UPDATE record_nodes SET hash = zeroblob(32) WHERE id < {size * 64}");
        await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(36.5, 35.8)));
        var refused = await server.Admin.Post("v1/record/head", null);
        Assert.Equal(500, refused.Status);
        Assert.Equal(size, (await server.Admin.Get("v1/record/head")).Body!["size"]!.GetValue<long>());
        using var c = Open(server.DatabasePath);
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT MAX(size) FROM record_heads";
        Assert.Equal(size, (long)cmd.ExecuteScalar()!);
    }

    [Fact]
    public async Task A_replaced_record_key_refuses_the_start()
    {
        var world = await World.MakeAsync();
        var other = Path.Combine(world.Directory, "other.db");
        RecordKey.LoadOrCreate(other).Dispose();
        File.Copy(other + ".record-key", world.Db + ".record-key", overwrite: true);
        var e = await Assert.ThrowsAsync<RecordCheckException>(() => TestServer.StartAsync(directory: world.Directory));
        Assert.StartsWith($"Record check failed: The head of {world.Size} entries kept in {world.Db}.record-head does not verify under the record key", e.Message);
    }

    [Fact]
    public async Task A_missing_head_file_refuses_the_start()
    {
        var world = await World.MakeAsync();
        File.Delete(world.Db + ".record-head");
        var e = await Assert.ThrowsAsync<RecordCheckException>(() => TestServer.StartAsync(directory: world.Directory));
        Assert.StartsWith($"Record check failed: The record head file {world.Db}.record-head is missing, but the database holds signed heads", e.Message);
    }

    private static async Task<JsonArray> Entries(TestServer server) =>
        (await server.Admin.Get("v1/record/entries?start=0&end=10000")).Body!["items"]!.AsArray();

    private static RecordEntry Entry(JsonArray entries, long index) =>
        RecordEntry.Parse(Convert.FromBase64String(entries[(int)index]!["entry"]!.GetValue<string>()))!;

    /// <summary>The index of the last entry of the type whose payload names the id: found by reading the entries, not through the store's binding.</summary>
    private static long LastAbout(JsonArray entries, string type, string id)
    {
        for (var i = entries.Count - 1; i >= 0; i--)
        {
            var entry = Entry(entries, i);
            if (entry.Type.StartsWith(type, StringComparison.Ordinal) && entry.PayloadJson.Contains($"\"{id}\"", StringComparison.Ordinal))
            {
                return i;
            }
        }

        throw new InvalidOperationException($"No entry names {id}.");
    }

    private static void Sql(string db, string sql) =>
        Assert.True(TamperedFiles.Sql(db, sql) > 0, $"'{sql}' changed nothing");

    /// <summary>
    /// A stopped server's files: blue's and red's operations in conflict, a message from blue to
    /// red that red read, and a signed head of the whole record; with the index of the latest entry
    /// about each object, found by reading the entries.
    /// </summary>
    private sealed record World(string Directory, string BlueToken, string BlueOperation, string Conflict, string Message, long Size, List<RecordEntry> Log)
    {
        public string Db => Path.Combine(Directory, "deconflict.db");

        public long BlueOperationIndex => Last("operation", BlueOperation);

        public long ConflictIndex => Last("conflict", Conflict);

        public long MessageIndex => Last("line-", Message);

        public long MessageSentIndex => Log.FindIndex(e => e.Type == "line-message" && e.PayloadJson.Contains(Message, StringComparison.Ordinal));

        private long Last(string type, string id) =>
            Log.FindLastIndex(e => e.Type.StartsWith(type, StringComparison.Ordinal) && e.PayloadJson.Contains($"\"{id}\"", StringComparison.Ordinal));

        public static async Task<World> MakeAsync()
        {
            var directory = Path.Combine(Path.GetTempPath(), "deconflict-tests", Guid.NewGuid().ToString("N"));
            var server = await TestServer.StartAsync(directory: directory);
            try
            {
                var created = (await server.Admin.Post("v1/parties", new { id = "blue", name = "Blue" })).Body!;
                var blueToken = created["token"]!.GetValue<string>();
                var blue = server.Client(blueToken);
                var red = await server.AddPartyAsync("red");
                await server.AddPartyAsync("green");
                var op = (await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(35.5, 35.8)))).Body!["operation"]!["id"]!.GetValue<string>();
                var written = (await red.Post("v1/operations", Bodies.Operation(Bodies.Square(35.55, 35.85)))).Body!;
                var conflict = written["conflicts"]![0]!["id"]!.GetValue<string>();
                var sent = (await blue.Post("v1/line/messages", new JsonObject { ["to"] = new JsonArray("red"), ["subject"] = "Crossing", ["body"] = "Hold at FL120 until 0930Z." })).Body!;
                var message = sent["id"]!.GetValue<string>();
                Assert.Equal(200, (await red.Post($"v1/line/messages/{message}/read", null)).Status);
                var head = (await server.Admin.Post("v1/record/head", null)).Body!;
                var size = head["size"]!.GetValue<long>();
                await server.DisposeAsyncKeepFiles();
                var db = Path.Combine(directory, "deconflict.db");
                return new World(directory, blueToken, op, conflict, message, size, ReadEntries(db));
            }
            catch
            {
                await server.DisposeAsync();
                throw;
            }
        }
    }
}
