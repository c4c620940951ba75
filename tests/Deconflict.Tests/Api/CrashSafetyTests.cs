using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Deconflict.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace Deconflict.Tests.Api;

/// <summary>
/// Kill -9 in the middle of concurrent writes, restart, and check that every write that was
/// acknowledged (2xx) is there, and that nothing half-written is: each stored operation has its
/// index entries and its event, each conflict both its sides and its event.
/// </summary>
public sealed class CrashSafetyTests
{
    [Fact]
    public async Task Every_acknowledged_write_survives_SIGKILL_and_nothing_half_written_remains()
    {
        var directory = Path.Combine(Path.GetTempPath(), "deconflict-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var db = Path.Combine(directory, "crash.db");
        const string admin = "dcf_crash-test-admin-secret-0123456789abcdefghijkl";
        try
        {
            var acknowledged = new ConcurrentDictionary<string, long>();
            string blueToken, redToken;
            using (var server = await ServerProcess.StartAsync(db, admin))
            {
                using var http = Client(server.BaseAddress, admin);
                blueToken = await AddParty(http, "blue");
                redToken = await AddParty(http, "red");
                using var stop = new CancellationTokenSource();
                var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
                {
                    using var client = Client(server.BaseAddress, w % 2 == 0 ? blueToken : redToken);
                    var random = new Random(w);
                    while (!stop.IsCancellationRequested)
                    {
                        try
                        {
                            var body = Bodies.Operation(Bodies.Square(35 + random.NextDouble(), 36 + random.NextDouble(), halfDeg: 0.05));
                            var response = await client.PostAsync("v1/operations", new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"), stop.Token);
                            if (response.IsSuccessStatusCode)
                            {
                                var created = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
                                var id = created["operation"]!["id"]!.GetValue<string>();
                                acknowledged[id] = 1;
                                var update = Bodies.Operation(Bodies.Square(35 + random.NextDouble(), 36 + random.NextDouble(), halfDeg: 0.05));
                                using var put = new HttpRequestMessage(HttpMethod.Put, $"v1/operations/{id}") { Content = new StringContent(update.ToJsonString(), System.Text.Encoding.UTF8, "application/json") };
                                put.Headers.TryAddWithoutValidation("If-Match", "\"1\"");
                                if ((await client.SendAsync(put, stop.Token)).IsSuccessStatusCode)
                                {
                                    acknowledged[id] = 2;
                                }
                            }
                        }
                        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
                        {
                            // The server died under this request: it was not acknowledged.
                        }
                    }
                })).ToArray();

                var deadline = DateTime.UtcNow.AddSeconds(30);
                while (acknowledged.Count < 300 && DateTime.UtcNow < deadline)
                {
                    await Task.Delay(20);
                }

                server.Kill();
                await stop.CancelAsync();
                await Task.WhenAll(writers);
            }

            Assert.True(acknowledged.Count >= 300, $"only {acknowledged.Count} writes were acknowledged before the kill");

            using (var restarted = await ServerProcess.StartAsync(db, admin))
            {
                using var blue = Client(restarted.BaseAddress, blueToken);
                foreach (var (id, version) in acknowledged)
                {
                    var r = await blue.GetAsync($"v1/operations/{id}");
                    Assert.True(r.IsSuccessStatusCode, $"acknowledged operation {id} is missing after the crash");
                    var stored = JsonNode.Parse(await r.Content.ReadAsStringAsync())!;
                    Assert.True(stored["version"]!.GetValue<long>() >= version, $"{id}: acknowledged version {version}, stored {stored["version"]}");
                }

                // A write still works after the restart.
                var after = await blue.PostAsync("v1/operations", new StringContent(Bodies.Operation(Bodies.Square(1, 1)).ToJsonString(), System.Text.Encoding.UTF8, "application/json"));
                Assert.Equal(201, (int)after.StatusCode);
                restarted.Kill();
            }

            AssertConsistent(db);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    private static void AssertConsistent(string db)
    {
        using var c = new SqliteConnection($"Data Source={db}");
        c.Open();
        Assert.Equal("ok", Scalar<string>(c, "PRAGMA integrity_check"));
        Assert.Equal(0L, Scalar<long>(c, "SELECT COUNT(*) FROM declarations d WHERE NOT EXISTS (SELECT 1 FROM volume_index v WHERE v.declaration = d.seq)"));
        Assert.Equal(0L, Scalar<long>(c, "SELECT COUNT(*) FROM volume_index v WHERE NOT EXISTS (SELECT 1 FROM declarations d WHERE d.seq = v.declaration)"));
        Assert.Equal(0L, Scalar<long>(c, "SELECT COUNT(*) FROM conflicts k WHERE NOT EXISTS (SELECT 1 FROM declarations d WHERE d.id = k.a_id) OR NOT EXISTS (SELECT 1 FROM declarations d WHERE d.id = k.b_id)"));

        // Each declaration version was written with exactly one operation event, and each conflict version with one conflict event.
        Assert.Equal(Scalar<long>(c, "SELECT SUM(version) FROM declarations"), Scalar<long>(c, "SELECT COUNT(*) FROM events WHERE json_extract(CAST(entry AS TEXT), '$.type') = 'operation'"));
        Assert.Equal(Scalar<long>(c, "SELECT SUM(version) FROM conflicts"), Scalar<long>(c, "SELECT COUNT(*) FROM events WHERE json_extract(CAST(entry AS TEXT), '$.type') = 'conflict'"));
        Assert.Equal(Scalar<long>(c, "SELECT MAX(seq) FROM events"), Scalar<long>(c, "SELECT COUNT(*) FROM events"));
    }

    private static T Scalar<T>(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return (T)cmd.ExecuteScalar()!;
    }

    private static HttpClient Client(Uri baseAddress, string token)
    {
        var client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static async Task<string> AddParty(HttpClient admin, string id)
    {
        var response = await admin.PostAsJsonAsync("v1/parties", new { id, name = id });
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["token"]!.GetValue<string>();
    }
}
