using Deconflict.Cluster;
using Deconflict.Service;
using Deconflict.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Deconflict.Tests.Cluster;

/// <summary>A server given a PostgreSQL connection runs as a node of a cluster: the lease, the listener and /healthz wired together.</summary>
public sealed class ClusterHostTests
{
    [Fact]
    public async Task A_server_on_postgresql_names_its_node_takes_the_lease_and_listens_for_the_other_nodes()
    {
        await using var db = await ClusterTestDatabase.CreateAsync();
        var directory = Path.Combine(Path.GetTempPath(), "deconflict-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var nodeId = "host-test-" + Guid.NewGuid().ToString("N")[..8];
        var app = ServerHost.Build(new ServerSettings
        {
            DatabasePath = Path.Combine(directory, "deconflict.db"),
            PostgresConnection = db.ConnectionString,
            NodeId = nodeId,
            Urls = "http://127.0.0.1:0",
            AdminToken = TestServer.AdminSecret,
            Out = TextWriter.Null,
            Quiet = true,
        });
        try
        {
            await app.StartAsync();
            Assert.IsType<PostgresCluster>(app.Services.GetRequiredService<IClusterState>());
            using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First().TrimEnd('/') + "/") };
            await PostgresClusterTests.Until(() => app.Services.GetRequiredService<IClusterState>().HoldsLease && app.Services.GetRequiredService<DatabaseListener>().Listening, TimeSpan.FromSeconds(10), "the lease and the listener");

            var health = await client.Get("healthz");
            Assert.Equal(200, health.Status);
            Assert.Equal(nodeId, health.Body!["node"]!.GetValue<string>());
            Assert.True(health.Body["lease"]!.GetValue<bool>());
            Assert.Equal(1, health.Body["live_nodes"]!.GetValue<int>());
            Assert.Empty(health.Body["warnings"]!.AsArray());

            // Its sessions, by name: the lease's and the listener's.
            Assert.Equal(
                $"{DatabaseListener.ApplicationPrefix}{nodeId},{PostgresCluster.ApplicationPrefix}{nodeId}",
                await db.ScalarAsync("SELECT string_agg(application_name, ',' ORDER BY application_name) FROM pg_stat_activity WHERE datname = current_database() AND (application_name LIKE 'deconflict-node/%' OR application_name LIKE 'deconflict-listen/%')"));

            // A notification of another node's write reaches this node's streams.
            var hub = app.Services.GetRequiredService<EventHub>();
            var sequence = hub.LastSequence + 5;
            await db.ScalarAsync($"SELECT pg_notify('{DatabaseListener.EventsChannel}', '{sequence}')");
            await PostgresClusterTests.Until(() => hub.LastSequence == sequence, TimeSpan.FromSeconds(1), "the notified sequence");
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }

        // Stopped, it released the lease: no session of it is left.
        Assert.Equal(0L, await db.ScalarAsync("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'deconflict-node/%'"));
    }
}
