using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Deconflict.Record;
using Deconflict.Service;
using Deconflict.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using static Deconflict.Tests.Infrastructure.TamperedFiles;

namespace Deconflict.Tests.Api;

/// <summary>
/// The credentials and parties the server serves, edited in a stopped server's files: a token row
/// inserted with the editor's own secret, a token's secret hash replaced, a revocation cleared
/// each make the next start refuse, naming the token and its entry, and so do a party's role or
/// witness key edited; an untouched restart starts and keeps a revoked token refused; every
/// token's entry states its secret's SHA-256.
/// </summary>
public sealed class BindingTamperTests
{
    /// <summary>The attacker's secret and its SHA-256, computed here rather than by the service.</summary>
    private const string EvilSecret = "evil-secret-of-the-host";

    /// <summary>Blue's contacts as stored: each once, by level and url (World posts them unordered, one twice).</summary>
    private const string BlueContacts = """{"party":"blue","contacts":[{"level":1,"url":"http://127.0.0.1:1/a"},{"level":2,"url":"http://127.0.0.1:1/b"}]}""";

    private static string EvilHashHex => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(EvilSecret)));

    [Fact]
    public async Task Every_token_entry_states_the_token_with_its_secret_s_hash_and_an_untouched_restart_starts()
    {
        var world = await World.MakeAsync();
        var entries = ReadEntries(world.Db);

        // The first token, created with the party, has its own entry, visible to blue and the admin.
        var issued = entries.Single(e => e.Type == "party" && e.PayloadJson.Contains("\"token-issued\"", StringComparison.Ordinal) && e.PayloadJson.Contains(world.BlueTokenId, StringComparison.Ordinal));
        Assert.Equal("blue", Assert.Single(issued.Parties));
        var token = JsonNode.Parse(issued.PayloadJson)!["token"]!;
        Assert.Equal(world.BlueTokenId, token["id"]!.GetValue<string>());
        Assert.Equal("blue", token["party"]!.GetValue<string>());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(world.BlueToken))), token["secret_sha256"]!.GetValue<string>());
        Assert.Null(token["revoked_at"]);

        // The revocation states the token again, now revoked.
        var revoked = entries.Last(e => e.Type == "party" && e.PayloadJson.Contains("\"token-revoked\"", StringComparison.Ordinal));
        Assert.Equal(world.RevokedTokenId, JsonNode.Parse(revoked.PayloadJson)!["token"]!["id"]!.GetValue<string>());
        Assert.NotNull(JsonNode.Parse(revoked.PayloadJson)!["token"]!["revoked_at"]);

        Assert.Equal(entries.IndexOf(revoked), RowIndex(world.Db, world.RevokedTokenId));
        Assert.Equal(entries.IndexOf(issued), RowIndex(world.Db, world.BlueTokenId));

        await using var server = await TestServer.StartAsync(directory: world.Directory);
        Assert.Equal(200, (await server.Client(world.BlueToken).Get("v1/operations")).Status);
        Assert.Equal(401, (await server.Client(world.RevokedToken).Get("v1/operations")).Status);
    }

    [Fact]
    public async Task An_inserted_token_row_refuses_the_start_naming_the_token()
    {
        var world = await World.MakeAsync();
        Sql(world.Db, $"INSERT INTO tokens(id, party, secret_hash, created_at) VALUES ('tk-evil', 'red', X'{EvilHashHex}', 1790000000000)");
        var e = await Assert.ThrowsAsync<RecordCheckException>(() => TestServer.StartAsync(directory: world.Directory));
        Assert.Equal("Record check failed: token tk-evil names no entry of the record (record index none).", e.Message);
    }

    [Fact]
    public async Task An_inserted_token_row_naming_another_token_s_entry_refuses_the_start_naming_it()
    {
        var world = await World.MakeAsync();
        var index = world.Last("token-issued", world.BlueTokenId);
        Sql(world.Db, $"INSERT INTO tokens(id, party, secret_hash, created_at, record_index) VALUES ('tk-evil', NULL, X'{EvilHashHex}', 1790000000000, {index})");
        var e = await Assert.ThrowsAsync<RecordCheckException>(() => TestServer.StartAsync(directory: world.Directory));
        Assert.Equal($"Record check failed: entry {index} is not about token tk-evil, which names it.", e.Message);
    }

    [Fact]
    public async Task A_replaced_secret_hash_refuses_the_start_naming_the_token_s_entry()
    {
        var world = await World.MakeAsync();
        var index = world.Last("token-issued", world.BlueTokenId);
        Sql(world.Db, $"UPDATE tokens SET secret_hash = X'{EvilHashHex}' WHERE id = '{world.BlueTokenId}'");
        var e = await Assert.ThrowsAsync<RecordCheckException>(() => TestServer.StartAsync(directory: world.Directory));
        Assert.Equal($"Record check failed: entry {index} does not state token {world.BlueTokenId} as the database serves it: the stored row was edited.", e.Message);
    }

    [Fact]
    public async Task A_cleared_revocation_refuses_the_start_naming_the_revocation_s_entry()
    {
        var world = await World.MakeAsync();
        var index = world.Last("token-revoked", world.RevokedTokenId);
        Sql(world.Db, $"UPDATE tokens SET revoked_at = NULL WHERE id = '{world.RevokedTokenId}'");
        var e = await Assert.ThrowsAsync<RecordCheckException>(() => TestServer.StartAsync(directory: world.Directory));
        Assert.Equal($"Record check failed: entry {index} does not state token {world.RevokedTokenId} as the database serves it: the stored row was edited.", e.Message);
    }

    [Fact]
    public async Task A_cleared_revocation_set_back_to_the_issue_entry_refuses_the_start_naming_the_revocation()
    {
        var world = await World.MakeAsync();
        var issuedAt = world.Last("token-issued", world.RevokedTokenId);
        var revokedAt = world.Last("token-revoked", world.RevokedTokenId);
        Sql(world.Db, $"UPDATE tokens SET revoked_at = NULL, record_index = {issuedAt} WHERE id = '{world.RevokedTokenId}'");
        var e = await Assert.ThrowsAsync<RecordCheckException>(() => TestServer.StartAsync(directory: world.Directory));
        Assert.Equal($"Record check failed: entry {revokedAt} is the latest about token {world.RevokedTokenId}, and the database serves another state (it names entry {issuedAt}).", e.Message);
    }

    [Fact]
    public async Task A_party_s_role_edited_to_observer_refuses_the_start_naming_its_entry()
    {
        var world = await World.MakeAsync();
        var index = world.Last("created", "red");
        Sql(world.Db, "UPDATE parties SET role = 'observer' WHERE id = 'red'");
        var e = await Assert.ThrowsAsync<RecordCheckException>(() => TestServer.StartAsync(directory: world.Directory));
        Assert.Equal($"Record check failed: entry {index} does not state party red as the database serves it: the stored row was edited.", e.Message);
    }

    [Fact]
    public async Task An_inserted_party_refuses_the_start_naming_it()
    {
        var world = await World.MakeAsync();
        Sql(world.Db, "INSERT INTO parties(id, name, role, created_at) VALUES ('ghost', 'Ghost', 'observer', 1790000000000)");
        var e = await Assert.ThrowsAsync<RecordCheckException>(() => TestServer.StartAsync(directory: world.Directory));
        Assert.Equal("Record check failed: party ghost names no entry of the record (record index none).", e.Message);
    }

    [Fact]
    public async Task A_replaced_witness_key_refuses_the_start_naming_its_entry()
    {
        var world = await World.MakeAsync();
        var index = world.Last("key-registered", "blue");
        Sql(world.Db, $"UPDATE party_keys SET public_key = X'{new string('0', 64)}' WHERE party = 'blue'");
        var e = await Assert.ThrowsAsync<RecordCheckException>(() => TestServer.StartAsync(directory: world.Directory));
        Assert.Equal($"Record check failed: entry {index} does not state party-key blue as the database serves it: the stored row was edited.", e.Message);
    }

    [Fact]
    public async Task A_party_s_escalation_contacts_are_stated_as_the_set_stored()
    {
        var world = await World.MakeAsync();
        var index = Scalar(world.Db, "SELECT record_index FROM escalation_contact_sets WHERE party = 'blue'");
        var entry = ReadEntries(world.Db)[(int)index];
        Assert.Equal("escalation-contacts-set", JsonNode.Parse(entry.PayloadJson)!["action"]!.GetValue<string>());
        Assert.Equal(BlueContacts, JsonNode.Parse(entry.PayloadJson)!["escalation_contacts"]!.ToJsonString());
    }

    [Fact]
    public async Task An_escalation_contact_added_offline_refuses_the_start_naming_the_set_s_entry()
    {
        var world = await World.MakeAsync();
        var index = world.Last("escalation-contacts-set", "blue");
        Sql(world.Db, "INSERT INTO escalation_contacts(party, level, url) VALUES ('blue', 1, 'https://attacker.example/hook')");
        var e = await Assert.ThrowsAsync<RecordCheckException>(() => TestServer.StartAsync(directory: world.Directory));
        Assert.Equal($"Record check failed: entry {index} does not state escalation-contacts blue as the database serves it: the stored row was edited.", e.Message);
    }

    [Fact]
    public async Task An_escalation_contact_added_offline_to_a_party_with_none_refuses_the_start_naming_it()
    {
        var world = await World.MakeAsync();
        Sql(world.Db, "INSERT INTO escalation_contacts(party, level, url) VALUES ('red', 1, 'https://attacker.example/hook')");
        var e = await Assert.ThrowsAsync<RecordCheckException>(() => TestServer.StartAsync(directory: world.Directory));
        Assert.Equal("Record check failed: escalation-contacts red names no entry of the record (record index none).", e.Message);
    }

    [Fact]
    public async Task An_operation_s_details_are_committed_in_the_record_and_the_salt_shown_to_the_owner_only()
    {
        var world = await World.MakeAsync();
        await using var server = await TestServer.StartAsync(directory: world.Directory);
        var own = (await server.Client(world.BlueToken).Get($"v1/operations/{world.BlueOperation}")).Body!;
        var salt = own["details_salt"]!.GetValue<string>();
        var expected = Convert.ToHexStringLower(SHA256.HashData([.. Convert.FromHexString(salt), .. Encoding.UTF8.GetBytes(World.Details)]));
        Assert.Equal(32, salt.Length);
        Assert.Equal(expected, own["details_sha256"]!.GetValue<string>());

        // Another party (and the record) sees the commitment, neither the details nor the salt.
        var red = (await server.Admin.Post("v1/parties/red/tokens", null)).Body!["token"]!.GetValue<string>();
        var seen = (await server.Client(red).Get($"v1/operations/{world.BlueOperation}")).Body!;
        Assert.Equal(expected, seen["details_sha256"]!.GetValue<string>());
        Assert.Null(seen["details_salt"]);
        Assert.Null(seen["details"]);
        var stated = JsonNode.Parse(ReadEntries(world.Db)[(int)own["record_index"]!.GetValue<long>()].PayloadJson)!["operation"]!;
        Assert.Equal(expected, stated["details_sha256"]!.GetValue<string>());
        Assert.Null(stated["details_salt"]);
        Assert.Null(stated["details"]);
    }

    [Fact]
    public async Task Details_edited_offline_refuse_the_start_naming_the_operation_s_entry()
    {
        var world = await World.MakeAsync();
        var index = world.Last("created", world.BlueOperation);
        Sql(world.Db, $"UPDATE declarations SET details = '{{\"mission\":\"SAR-12\",\"crew\":9}}' WHERE id = '{world.BlueOperation}'");
        var e = await Assert.ThrowsAsync<RecordCheckException>(() => TestServer.StartAsync(directory: world.Directory));
        Assert.Equal($"Record check failed: entry {index} does not state operation {world.BlueOperation} as the database serves it: the stored row was edited.", e.Message);
    }

    [Fact]
    public async Task Tokens_of_a_database_from_before_the_binding_are_stated_by_the_migration_and_keep_working()
    {
        var world = await World.MakeAsync(details: false);
        var before = ReadEntries(world.Db).Count;

        // The database as migration 8 left it: tokens, parties, keys and contact sets name no entry
        // (and no operation has committed details).
        Sql(world.Db, "DELETE FROM schema_migrations WHERE version >= 9");
        Sql(world.Db, "ALTER TABLE tokens DROP COLUMN record_index");
        Sql(world.Db, "ALTER TABLE parties DROP COLUMN record_index");
        Sql(world.Db, "ALTER TABLE party_keys DROP COLUMN record_index");
        Sql(world.Db, "DROP TABLE escalation_contact_sets");
        Sql(world.Db, "ALTER TABLE declarations DROP COLUMN details_salt");

        await using var server = await TestServer.StartAsync(directory: world.Directory);
        Assert.Equal(200, (await server.Client(world.BlueToken).Get("v1/operations")).Status);
        Assert.Equal(401, (await server.Client(world.RevokedToken).Get("v1/operations")).Status);

        // One entry per token (blue's two, red's one), each stating it with its secret's hash.
        await server.DisposeAsyncKeepFiles();
        var entries = ReadEntries(world.Db);
        var stated = entries.Skip(before).Where(e => e.PayloadJson.Contains("\"token-stated\"", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, stated.Count);
        var blue = stated.Single(e => e.PayloadJson.Contains(world.BlueTokenId, StringComparison.Ordinal));
        Assert.Equal("blue", Assert.Single(blue.Parties));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(world.BlueToken))), JsonNode.Parse(blue.PayloadJson)!["token"]!["secret_sha256"]!.GetValue<string>());
        Assert.Equal(entries.IndexOf(blue), RowIndex(world.Db, world.BlueTokenId));

        // Blue's party row is bound to its creation entry; its key gets an entry stating it whole.
        Assert.Equal(entries.FindIndex(e => e.Type == "party" && e.PayloadJson.StartsWith("{\"action\":\"created\",\"party\":{\"id\":\"blue\"", StringComparison.Ordinal)), Scalar(world.Db, "SELECT record_index FROM parties WHERE id = 'blue'"));
        var key = Assert.Single(entries.Skip(before), e => e.PayloadJson.Contains("\"key-stated\"", StringComparison.Ordinal));
        Assert.Equal(Convert.ToBase64String(World.BlueKey), JsonNode.Parse(key.PayloadJson)!["key"]!["public_key"]!.GetValue<string>());
        Assert.Equal(entries.IndexOf(key), Scalar(world.Db, "SELECT record_index FROM party_keys WHERE party = 'blue'"));
        var set = Assert.Single(entries.Skip(before), e => e.PayloadJson.Contains("\"escalation-contacts-stated\"", StringComparison.Ordinal));
        Assert.Equal("blue", Assert.Single(set.Parties));
        Assert.Equal(BlueContacts, JsonNode.Parse(set.PayloadJson)!["escalation_contacts"]!.ToJsonString());
        Assert.Equal(5, entries.Count - before);

        // And the next start checks them like any other.
        await using var again = await TestServer.StartAsync(directory: world.Directory);
        Assert.Equal(200, (await again.Client(world.BlueToken).Get("v1/operations")).Status);
    }

    [Fact]
    public async Task The_admin_token_made_at_first_start_is_stated_to_the_admin_and_an_edit_of_it_is_refused()
    {
        var directory = Path.Combine(Path.GetTempPath(), "deconflict-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        var db = Path.Combine(directory, "deconflict.db");
        try
        {
            var output = new StringWriter();
            await StartStop(db, output);
            var secret = output.ToString().Split("keep it safe): ")[1].Trim();
            var entry = ReadEntries(db).Single(e => e.Type == "admin-token");
            Assert.Equal("admin", Assert.Single(entry.Parties));
            var token = JsonNode.Parse(entry.PayloadJson)!["token"]!;
            Assert.Null(token["party"]);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret))), token["secret_sha256"]!.GetValue<string>());

            // Untouched, it starts again; with the admin token's hash replaced, it does not.
            await StartStop(db, TextWriter.Null);
            var id = token["id"]!.GetValue<string>();
            Sql(db, $"UPDATE tokens SET secret_hash = X'{EvilHashHex}' WHERE id = '{id}'");
            var e = await Assert.ThrowsAsync<RecordCheckException>(() => StartStop(db, TextWriter.Null));
            Assert.Equal($"Record check failed: entry {ReadEntries(db).FindIndex(x => x.Type == "admin-token")} does not state token {id} as the database serves it: the stored row was edited.", e.Message);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            System.IO.Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Starts a server with no admin token configured (so the first start makes one) and stops it.</summary>
    private static async Task StartStop(string db, TextWriter output)
    {
        var app = ServerHost.Build(new ServerSettings
        {
            DatabasePath = db,
            Urls = "http://127.0.0.1:0",
            Options = new DeconflictOptions(),
            Time = TimeProvider.System,
            Out = output,
            Quiet = true,
        });
        try
        {
            await app.StartAsync();
            await app.StopAsync();
        }
        finally
        {
            await app.DisposeAsync();
            SqliteConnection.ClearAllPools();
        }
    }

    private static long Scalar(string db, string sql)
    {
        using var c = Open(db);
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return (long)cmd.ExecuteScalar()!;
    }

    private static long RowIndex(string db, string tokenId)
    {
        using var c = Open(db);
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT record_index FROM tokens WHERE id = $id";
        cmd.Parameters.AddWithValue("$id", tokenId);
        return (long)cmd.ExecuteScalar()!;
    }


    /// <summary>
    /// A stopped server's files: parties blue (two tokens, the second revoked; a witness key) and
    /// red, an operation of blue's, and a signed head of the whole record.
    /// </summary>
    private sealed record World(string Directory, string BlueToken, string BlueTokenId, string RevokedToken, string RevokedTokenId, string BlueOperation)
    {
        /// <summary>The private details of blue's operation, exactly as sent.</summary>
        public const string Details = """{"mission":"SAR-12","crew":3}""";

        /// <summary>Blue's witness key: any 32 bytes register.</summary>
        public static byte[] BlueKey { get; } = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];

        public string Db => Path.Combine(Directory, "deconflict.db");

        /// <summary>The index of the last entry with the action that names the id: found by reading the entries, not through the store's binding.</summary>
        public long Last(string action, string id) =>
            ReadEntries(Db).FindLastIndex(e => e.PayloadJson.StartsWith($"{{\"action\":\"{action}\"", StringComparison.Ordinal) && e.PayloadJson.Contains($"\"{id}\"", StringComparison.Ordinal));

        public static async Task<World> MakeAsync(bool details = true)
        {
            var directory = Path.Combine(Path.GetTempPath(), "deconflict-tests", Guid.NewGuid().ToString("N"));
            var server = await TestServer.StartAsync(new DeconflictOptions { Webhooks = new WebhookOptions { AllowHttp = true, Allow = ["127.0.0.1"] } }, directory: directory);
            try
            {
                var created = (await server.Admin.Post("v1/parties", new { id = "blue", name = "Blue" })).Body!;
                var blue = server.Client(created["token"]!.GetValue<string>());
                await server.AddPartyAsync("red");
                var second = (await server.Admin.Post("v1/parties/blue/tokens", null)).Body!;
                var secondId = second["token_id"]!.GetValue<string>();
                Assert.Equal(204, (await server.Admin.Send(HttpMethod.Delete, $"v1/parties/blue/tokens/{secondId}")).Status);
                var operation = Bodies.Operation(Bodies.Square(35.5, 35.8));
                if (details)
                {
                    operation["details"] = JsonNode.Parse(Details);
                }

                var written = await blue.Post("v1/operations", operation);
                Assert.Equal(201, written.Status);
                Assert.Equal(200, (await blue.Send(HttpMethod.Put, "v1/parties/blue/key", new { public_key = Convert.ToBase64String(BlueKey) })).Status);
                var contacts = new[] { new { level = 2, url = "http://127.0.0.1:1/b" }, new { level = 1, url = "http://127.0.0.1:1/a" }, new { level = 1, url = "http://127.0.0.1:1/a" } };
                Assert.Equal(200, (await blue.Send(HttpMethod.Put, "v1/parties/blue/escalation", new { contacts })).Status);
                Assert.Equal(200, (await server.Admin.Post("v1/record/head", null)).Status);
                await server.DisposeAsyncKeepFiles();
                return new World(directory, created["token"]!.GetValue<string>(), created["token_id"]!.GetValue<string>(), second["token"]!.GetValue<string>(), secondId, written.Body!["operation"]!["id"]!.GetValue<string>());
            }
            catch
            {
                await server.DisposeAsync();
                throw;
            }
        }
    }
}
