using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Deconflict.Record;
using Deconflict.Storage.Postgres;
using Deconflict.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Npgsql;

namespace Deconflict.Tests.Storage;

/// <summary>A server on the PostgreSQL store: it serves, and its start checks the record and the served state on PostgreSQL as on SQLite.</summary>
[Trait("Category", "Slow")]
public sealed class PostgresServerTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "deconflict-tests", Guid.NewGuid().ToString("N"));
    private PostgresDatabase? _database;

    private string DatabasePath => Path.Combine(_directory, "deconflict.db");

    // A node on PostgreSQL signs with the keys of a keys directory, made once (keys create).
    private string KeysDirectory => Path.Combine(_directory, "keys");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        var (record, webhook) = ServiceKeys.Create(KeysDirectory);
        record.Dispose();
        webhook.Dispose();
        _database = await PostgresDatabase.CreateAsync();
    }

    public async Task DisposeAsync()
    {
        await _database!.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task A_server_on_PostgreSQL_records_conflicts_and_its_record_checks_whole_until_a_row_is_edited()
    {
        string conflictId;
        string redOperation;
        await using (var app = await StartAsync())
        {
            using var admin = Client(app, TestServer.AdminSecret);
            using var blue = Client(app, await AddPartyAsync(admin, "blue"));
            using var red = Client(app, await AddPartyAsync(admin, "red"));
            var a = await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(35.5, 35.8)));
            Assert.Equal(201, a.Status);
            Assert.Empty(a.Body!["conflicts"]!.AsArray());
            var b = await red.Post("v1/operations", Bodies.Operation(Bodies.Square(35.6, 35.9)));
            Assert.Equal(201, b.Status);
            var conflict = Assert.Single(b.Body!["conflicts"]!.AsArray())!;
            conflictId = conflict["id"]!.GetValue<string>();
            redOperation = b.Body["operation"]!["id"]!.GetValue<string>();
            Assert.Equal(a.Body["operation"]!["id"]!.GetValue<string>(), conflict["b"]!["id"]!.GetValue<string>());

            var listed = await blue.Get("v1/conflicts");
            Assert.Equal([conflictId], listed.Body!["items"]!.AsArray().Select(c => c!["id"]!.GetValue<string>()));
        }

        // The start checks the record; a full check passes too.
        await using (var app = await StartAsync())
        {
            using var admin = Client(app, TestServer.AdminSecret);
            Assert.Equal(conflictId, (await admin.Get($"v1/conflicts/{conflictId}")).Body!["id"]!.GetValue<string>());
        }

        await using (var store = new PostgresStore(_database!.ConnectionString))
        {
            var result = new RecordCheck(store, RecordKey.Load(Path.Combine(KeysDirectory, RecordKey.FileName)), RecordAnchor.LoadFile(Path.Combine(KeysDirectory, RecordAnchor.FileName))).Run(full: true);
            Assert.Null(result.Failure);
            Assert.Equal(store.LastEventSequence(), result.EntriesChecked);
        }

        // A served row edited behind the service's back no longer states what its entry states.
        await using (var c = new NpgsqlConnection(_database.ConnectionString))
        {
            await c.OpenAsync();
            await using var edit = new NpgsqlCommand("UPDATE declarations SET priority = 9 WHERE party = 'red'", c);
            Assert.Equal(1, await edit.ExecuteNonQueryAsync());
        }

        await using (var store = new PostgresStore(_database.ConnectionString))
        {
            var result = new RecordCheck(store, RecordKey.Load(Path.Combine(KeysDirectory, RecordKey.FileName)), RecordAnchor.LoadFile(Path.Combine(KeysDirectory, RecordAnchor.FileName))).Run(full: true);
            Assert.NotNull(result.Failure);
            Assert.Contains(redOperation, result.Failure, StringComparison.Ordinal);
        }
    }

    private async Task<WebApplication> StartAsync()
    {
        var app = ServerHost.Build(new ServerSettings
        {
            DatabasePath = DatabasePath,
            PostgresConnection = _database!.ConnectionString,
            KeysDirectory = KeysDirectory,
            Urls = "http://127.0.0.1:0",
            AdminToken = TestServer.AdminSecret,
            Out = TextWriter.Null,
            Quiet = true,
        });
        await app.StartAsync();
        return app;
    }

    private static HttpClient Client(WebApplication app, string token)
    {
        var client = new HttpClient { BaseAddress = new Uri(app.Urls.First() + "/") };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static async Task<string> AddPartyAsync(HttpClient admin, string id)
    {
        var response = await admin.PostAsJsonAsync("v1/parties", new { id, name = id.ToUpperInvariant(), role = "party" });
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["token"]!.GetValue<string>();
    }
}
