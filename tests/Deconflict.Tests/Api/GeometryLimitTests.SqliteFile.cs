using Deconflict.Storage.Sqlite;
using Deconflict.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Deconflict.Tests.Api;

/// <summary>
/// The SQLite store's own count of the outlines it decoded: not compiled into
/// tests/Deconflict.Tests.Postgres, which runs the rest of this class against PostgreSQL.
/// </summary>
public sealed partial class GeometryLimitTests
{
    [Fact]
    public async Task After_a_restart_the_first_write_derives_no_stored_outline_and_conflicts_are_still_found()
    {
        var directory = Path.Combine(Path.GetTempPath(), "deconflict-tests", Guid.NewGuid().ToString("N"));
        var first = await TestServer.StartAsync(directory: directory);
        var red = await first.AddPartyAsync("red");
        var blueToken = (await first.AddPartyAsync("blue")).DefaultRequestHeaders.Authorization!.Parameter!;
        var stored = new List<string>();
        foreach (var (lat, lng) in new[] { (35.0, 38.0), (36.0, 40.0), (34.0, 42.0) })
        {
            var created = await red.Post("v1/operations", Bodies.Operation(NearCircle(lat, lng, 30_000, VertexLimit)));
            Assert.Equal(201, created.Status);
            stored.Add(created.Body!["operation"]!["id"]!.GetValue<string>());
        }

        await first.DisposeAsyncKeepFiles();

        // Reopen the same files with the background warm-up off, so that the counter shows what the
        // writer itself derives (the warm-up decodes beside it, and the writer never waits for it).
        var app = ServerHost.Build(new ServerSettings
        {
            DatabasePath = Path.Combine(directory, "deconflict.db"),
            Urls = "http://127.0.0.1:0",
            AdminToken = TestServer.AdminSecret,
            Out = TextWriter.Null,
            Quiet = true,
            WarmUp = false,
        });
        await app.StartAsync();
        try
        {
            var store = (SqliteStore)app.Services.GetRequiredService<Deconflict.Storage.IDeconflictStore>();
            using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First().TrimEnd('/') + "/") };
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", blueToken);

            // Blue's operation far from every stored one of red's: acknowledged without deriving any stored outline.
            var far = await client.Post("v1/operations", Bodies.Operation(Bodies.Square(10.0, 10.0)));
            Assert.Equal(201, far.Status);
            Assert.Equal(0, store.DecodedVolumeSets);

            // Over the first stored one: that candidate, and only it, is read, and the conflict found.
            var over = await client.Post("v1/operations", Bodies.Operation(Bodies.Square(35.0, 38.0)));
            Assert.Equal(201, over.Status);
            var conflict = Assert.Single(over.Body!["conflicts"]!.AsArray())!;
            Assert.Equal(stored[0], conflict["b"]!["id"]!.GetValue<string>());
            Assert.Equal(1, store.DecodedVolumeSets);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }
}
