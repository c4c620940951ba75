using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Deconflict.Service;
using Deconflict.Storage;
using Deconflict.Storage.Sqlite;
using Deconflict.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace Deconflict.Tests.Api;

/// <summary>
/// Findings 10 and 12 of issue 15: a second server on the same database file, a full disk, and a
/// damaged database file. Each is refused or reported with a meaning (one line, 503
/// storage-unavailable, /healthz failing) and loses nothing acknowledged.
/// </summary>
public sealed class StoreFaultTests
{
    private const string Admin = "dcf_store-fault-tests-admin-token-0123456789abcdefABCDEF";

    [Fact]
    public async Task A_second_server_on_the_same_database_is_refused_and_the_first_keeps_writing()
    {
        var directory = NewDirectory();
        var db = Path.Combine(directory, "shared.db");
        try
        {
            using (var first = await ServerProcess.StartAsync(db, Admin))
            {
                using var admin = Client(first.BaseAddress, Admin);
                Assert.Equal(201, (int)(await admin.PostAsJsonAsync("v1/parties", new { id = "blue", name = "Blue" })).StatusCode);

                // Without DECONFLICT_ADMIN_TOKEN the old second server printed an admin token of its own.
                var second = await ServerProcess.RunServeToExitAsync(db);
                Assert.Equal(1, second.ExitCode);
                Assert.Equal(string.Empty, second.Out);
                Assert.Equal(
                    $"The database {Path.GetFullPath(db)} is in use by another deconflict server (it holds {Path.GetFullPath(db)}.lock): stop that server first, or give this one another --db.",
                    second.Error.TrimEnd('\n'));

                // The first still writes, and its health says so.
                Assert.Equal(201, (int)(await admin.PostAsJsonAsync("v1/parties", new { id = "red", name = "Red" })).StatusCode);
                var health = await admin.GetAsync("healthz");
                Assert.Equal(200, (int)health.StatusCode);
                Assert.Equal("ok", JsonNode.Parse(await health.Content.ReadAsStringAsync())!["status"]!.GetValue<string>());

                // Killed outright, it leaves no lock behind: a new server starts on the file.
                first.Kill();
            }

            using (var next = await ServerProcess.StartAsync(db, Admin))
            {
                using var admin = Client(next.BaseAddress, Admin);
                Assert.Equal(201, (int)(await admin.PostAsJsonAsync("v1/parties", new { id = "green", name = "Green" })).StatusCode);
                var parties = JsonNode.Parse(await admin.GetStringAsync("v1/parties"))!["items"]!.AsArray().Select(p => p!["id"]!.GetValue<string>());
                Assert.Equal(["blue", "green", "red"], parties);
            }

            // Only the first server's admin token exists: the refused one created none.
            SqliteConnection.ClearAllPools();
            using var c = new SqliteConnection($"Data Source={db}");
            c.Open();
            using var count = c.CreateCommand();
            count.CommandText = "SELECT COUNT(*) FROM tokens WHERE party IS NULL";
            Assert.Equal(0L, (long)count.ExecuteScalar()!);
        }
        finally
        {
            Delete(directory);
        }
    }

    [Fact]
    public async Task A_file_of_random_bytes_is_refused_at_start_with_one_line_naming_it()
    {
        var directory = NewDirectory();
        var db = Path.Combine(directory, "random.db");
        try
        {
            var bytes = new byte[8192];
            new Random(15).NextBytes(bytes);
            await File.WriteAllBytesAsync(db, bytes);

            var run = await ServerProcess.RunServeToExitAsync(db, Admin);
            Assert.Equal(1, run.ExitCode);
            Assert.Equal(string.Empty, run.Out);
            Assert.Equal(
                $"The database {Path.GetFullPath(db)} is not a SQLite database (SQLite error 26): restore it from a backup, or start with another --db.",
                run.Error.TrimEnd('\n'));
            Assert.Equal(bytes, await File.ReadAllBytesAsync(db));
        }
        finally
        {
            Delete(directory);
        }
    }

    [Theory]
    [InlineData("record-key", "origin deconflict/0011223344556677\ned25519-seed !!not-base64\n", "its ed25519-seed is not 32 bytes of base64")]
    [InlineData("record-key", "origin deconflict/0011223344556677\ned25519-seed AAAA\n", "its ed25519-seed is not 32 bytes of base64")]
    [InlineData("webhook-key", "ed25519-seed AAAA\n", "it needs 'name' and 'ed25519-seed' lines")]
    public async Task A_damaged_key_file_is_refused_at_start_with_one_line_naming_it(string kind, string content, string what)
    {
        var directory = NewDirectory();
        var db = Path.Combine(directory, "keys.db");
        try
        {
            var key = db + "." + kind;
            await File.WriteAllTextAsync(key, content);

            var run = await ServerProcess.RunServeToExitAsync(db, Admin);
            Assert.Equal(1, run.ExitCode);
            var name = kind == "record-key" ? "record key" : "webhook key";
            Assert.Equal($"The {name} file {Path.GetFullPath(key)} is damaged: {what}.", run.Error.TrimEnd('\n'));
            Assert.Equal(content, await File.ReadAllTextAsync(key));
        }
        finally
        {
            Delete(directory);
        }
    }

    [Fact]
    public async Task A_truncated_database_is_refused_at_start_with_one_line_naming_it()
    {
        var directory = NewDirectory();
        var db = Path.Combine(directory, "truncated.db");
        try
        {
            var server = await TestServer.StartAsync(directory: directory);
            var blue = await server.AddPartyAsync("blue");
            for (var i = 0; i < 20; i++)
            {
                Assert.Equal(201, (await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(30 + i, 30)))).Status);
            }

            await server.DisposeAsyncKeepFiles();

            File.Copy(Path.Combine(directory, "deconflict.db"), db);
            using (var file = new FileStream(db, FileMode.Open))
            {
                file.SetLength(file.Length / 2);
            }

            var run = await ServerProcess.RunServeToExitAsync(db, Admin);
            Assert.Equal(1, run.ExitCode);
            Assert.Equal(string.Empty, run.Out);
            Assert.Equal(
                $"The database {Path.GetFullPath(db)} is damaged: its structure is broken, e.g. truncated (SQLite error 11): restore it from a backup, or start with another --db.",
                run.Error.TrimEnd('\n'));
        }
        finally
        {
            Delete(directory);
        }
    }

    [Fact]
    public async Task A_full_store_answers_503_storage_unavailable_reports_on_healthz_and_recovers_losing_nothing()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        var queue = server.Get<WriteQueue>();
        var acknowledged = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            acknowledged.Add((await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(30, 30 + i)))).Body!["operation"]!["id"]!.GetValue<string>());
        }

        // The disk is "full": the writer's connection may not grow the file beyond what it has.
        await WriterPragma(queue, "PRAGMA max_page_count = 1");

        (int Status, JsonNode? Body, HttpResponseMessage Response) refused = default;
        for (var i = 0; i < 200; i++)
        {
            var r = await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(40, -100 + i, halfDeg: 0.01)));
            if (r.Status == 201)
            {
                acknowledged.Add(r.Body!["operation"]!["id"]!.GetValue<string>());
                continue;
            }

            refused = r;
            break;
        }

        var problem = refused.AssertProblem(503, "storage-unavailable");
        Assert.Equal("5", refused.Response!.Headers.RetryAfter!.ToString());
        Assert.Equal(5, problem["retry_after_s"]!.GetValue<int>());
        Assert.Equal("The store cannot write now (the database or disk is full); nothing of this request was acknowledged.", problem["detail"]!.GetValue<string>());

        var failing = await blue.Get("healthz");
        Assert.Equal(503, failing.Status);
        Assert.Equal("failing", failing.Body!["status"]!.GetValue<string>());
        Assert.Equal("the writer cannot write: the database or disk is full", failing.Body["fault"]!.GetValue<string>());

        // Space is back: the next write commits and the writer is healthy again.
        await WriterPragma(queue, "PRAGMA max_page_count = 1073741823");
        var after = await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(50, 50)));
        Assert.Equal(201, after.Status);
        acknowledged.Add(after.Body!["operation"]!["id"]!.GetValue<string>());
        var healthy = await blue.Get("healthz");
        Assert.Equal(200, healthy.Status);
        Assert.Equal("ok", healthy.Body!["status"]!.GetValue<string>());

        // Every acknowledged write is stored, nothing else is, and the events are numbered without a gap.
        var store = server.OpenStore();
        Assert.Equal(
            acknowledged.Order(StringComparer.Ordinal),
            store.ListDeclarations(new DeclarationQuery(Core.Model.DeclarationKind.Operation, Limit: 1000)).Items.Select(d => d.Id).Order(StringComparer.Ordinal));
        var events = store.ReadEvents(0, new Core.Model.Caller(null, null, "admin"), 10_000);
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Sequence));
    }

    [Fact]
    public async Task Healthz_answers_503_while_the_database_file_cannot_be_opened_and_ok_when_it_can()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client(null);
        Assert.Equal(200, (await client.Get("healthz")).Status);

        // The file is gone from its path (a directory stands there): new connections cannot open it.
        var moved = server.DatabasePath + ".moved";
        SqliteConnection.ClearAllPools();
        File.Move(server.DatabasePath, moved);
        Directory.CreateDirectory(server.DatabasePath);
        try
        {
            var failing = await client.Get("healthz");
            Assert.Equal(503, failing.Status);
            Assert.Equal("failing", failing.Body!["status"]!.GetValue<string>());
            Assert.Equal("the store cannot be read: the database file cannot be opened", failing.Body["fault"]!.GetValue<string>());
        }
        finally
        {
            Directory.Delete(server.DatabasePath);
            File.Move(moved, server.DatabasePath);
            SqliteConnection.ClearAllPools();
        }

        var healthy = await client.Get("healthz");
        Assert.Equal(200, healthy.Status);
        Assert.Equal("ok", healthy.Body!["status"]!.GetValue<string>());
    }

    /// <summary>Runs a PRAGMA on the writer's own connection, as the service's own work.</summary>
    private static async Task WriterPragma(WriteQueue queue, string pragma)
    {
        var done = await queue.Submit<bool>(null, ctx =>
        {
            using var cmd = ((SqliteWriteSession)ctx.Store).Connection.CreateCommand();
            cmd.CommandText = pragma;
            cmd.ExecuteNonQuery();
            return new(true);
        });
        Assert.True(done.Value);
    }

    private static HttpClient Client(Uri baseAddress, string token)
    {
        var client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static string NewDirectory()
    {
        var directory = Path.Combine(Path.GetTempPath(), "deconflict-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        return directory;
    }

    private static void Delete(string directory)
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
