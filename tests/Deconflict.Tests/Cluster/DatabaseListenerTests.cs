using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Deconflict.Api;
using Deconflict.Cluster;
using Deconflict.Service;
using Deconflict.Storage;
using Deconflict.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Deconflict.Tests.Cluster;

/// <summary>
/// What a node hears of the others through PostgreSQL: an event notification wakes its streams
/// within the 200 ms, a token notification refuses the token within 1 s, and a lost
/// listening connection loses neither (the streams catch up, the token cache is dropped). The
/// node is a real server on SQLite; the other node is this test, notifying as the PostgreSQL
/// store's writes do and revoking in the database behind the server's back.
/// </summary>
public sealed class DatabaseListenerTests
{
    private static readonly TimeSpan Delivery = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan Revocation = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task An_event_notification_wakes_the_event_streams_with_its_sequence_within_200_ms()
    {
        await using var db = await ClusterTestDatabase.CreateAsync();
        await using var server = await TestServer.StartAsync();
        var hub = server.Get<EventHub>();
        await using var listener = await Listener.StartAsync(db, server);
        var start = hub.LastSequence;

        await using var other = new NpgsqlConnection(db.ConnectionString);
        await other.OpenAsync();
        var slowest = TimeSpan.Zero;
        for (var i = 1; i <= 10; i++)
        {
            var sequence = start + (i * 7);
            await using var notify = new NpgsqlCommand($"SELECT pg_notify('{DatabaseListener.EventsChannel}', '{sequence}')", other);
            var watch = Stopwatch.StartNew();
            await notify.ExecuteNonQueryAsync();
            while (hub.LastSequence < sequence && watch.Elapsed < TimeSpan.FromSeconds(5))
            {
                await hub.WaitAfterAsync(sequence - 1, hub.Head.Version, TimeSpan.FromSeconds(5), CancellationToken.None);
            }

            Assert.Equal(sequence, hub.LastSequence);
            slowest = watch.Elapsed > slowest ? watch.Elapsed : slowest;
        }

        Assert.True(slowest < Delivery, $"the slowest notification reached the streams after {slowest.TotalMilliseconds} ms");
    }

    [Fact]
    public async Task A_token_revoked_on_another_node_is_refused_here_within_1_s_of_its_notification()
    {
        await using var db = await ClusterTestDatabase.CreateAsync();
        await using var server = await TestServer.StartAsync();
        await using var listener = await Listener.StartAsync(db, server);
        var (client, tokenId) = await PartyAsync(server, "blue");
        Assert.Equal(200, (await client.Get("v1/config")).Status);

        // Revoked in the database by another node: this node's cache still knows the token.
        RevokeBehindTheServer(server, tokenId);
        Assert.Equal(200, (await client.Get("v1/config")).Status);

        await db.ScalarAsync($"SELECT pg_notify('{DatabaseListener.TokensChannel}', '{tokenId}')");
        var refused = await UntilRefused(client, Revocation);
        Assert.True(refused < Revocation, $"refused after {refused.TotalMilliseconds} ms");

        // The other tokens are still served from the cache's fresh reads.
        var (red, _) = await PartyAsync(server, "red");
        Assert.Equal(200, (await red.Get("v1/config")).Status);
    }

    [Fact]
    public async Task After_losing_its_connection_the_listener_reconnects_drops_the_token_cache_and_catches_the_streams_up()
    {
        await using var db = await ClusterTestDatabase.CreateAsync();
        await using var server = await TestServer.StartAsync();
        var warnings = new HealthWarnings();
        var node = new FakeCluster();
        await using var listener = await Listener.StartAsync(db, server, node, warnings);
        var (client, tokenId) = await PartyAsync(server, "blue");
        Assert.Equal(200, (await client.Get("v1/config")).Status);
        var (other, _) = await PartyAsync(server, "red");

        // A revocation whose notification is lost with the connection.
        RevokeBehindTheServer(server, tokenId);
        Assert.Equal(200, (await client.Get("v1/config")).Status);
        Assert.Equal(1, await db.TerminateAsync(DatabaseListener.ApplicationPrefix + node.NodeId));

        await UntilRefused(client, TimeSpan.FromSeconds(10));
        await PostgresClusterTests.Until(() => listener.Service.Listening && warnings.Current.Count == 0, TimeSpan.FromSeconds(10), "the listener connected again");
        Assert.Equal(200, (await other.Get("v1/config")).Status);

        // Listening again: a notification is heard as before.
        var hub = server.Get<EventHub>();
        var sequence = hub.LastSequence + 100;
        await db.ScalarAsync($"SELECT pg_notify('{DatabaseListener.EventsChannel}', '{sequence}')");
        await PostgresClusterTests.Until(() => hub.LastSequence == sequence, Delivery * 5, "the notified sequence");
    }

    [Fact]
    public async Task Without_a_connection_the_listener_warns_and_still_refuses_a_revoked_token_within_1_s()
    {
        await using var server = await TestServer.StartAsync();
        var warnings = new HealthWarnings();
        await using var listener = await Listener.StartAsync("Host=127.0.0.1;Port=1;Username=nobody;Password=x;Database=none", server, new FakeCluster(), warnings, waitForConnection: false);
        await PostgresClusterTests.Until(() => warnings.Current.Count == 1, TimeSpan.FromSeconds(10), "a warning");
        Assert.StartsWith("the database listener is not connected (", warnings.Current[0], StringComparison.Ordinal);
        Assert.EndsWith("): events of other nodes reach the streams, and revocations the requests, by polling every 1 s", warnings.Current[0], StringComparison.Ordinal);

        var (client, tokenId) = await PartyAsync(server, "blue");
        Assert.Equal(200, (await client.Get("v1/config")).Status);
        RevokeBehindTheServer(server, tokenId);
        var refused = await UntilRefused(client, TimeSpan.FromSeconds(5));
        Assert.True(refused < Revocation + TimeSpan.FromMilliseconds(500), $"refused after {refused.TotalMilliseconds} ms");
    }

    private static async Task<(HttpClient Client, string TokenId)> PartyAsync(TestServer server, string id)
    {
        var response = await server.Admin.PostAsJsonAsync("v1/parties", new { id, name = id.ToUpperInvariant() + " operations centre" });
        response.EnsureSuccessStatusCode();
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return (server.Client(body["token"]!.GetValue<string>()), body["token_id"]!.GetValue<string>());
    }

    /// <summary>What another node's revocation leaves in the shared database, without this node's knowing.</summary>
    private static void RevokeBehindTheServer(TestServer server, string tokenId)
    {
        using var connection = new SqliteConnection($"Data Source={server.DatabasePath};Pooling=False");
        connection.Open();
        using var revoke = connection.CreateCommand();
        revoke.CommandText = "UPDATE tokens SET revoked_at = 1 WHERE id = $id";
        revoke.Parameters.AddWithValue("$id", tokenId);
        Assert.Equal(1, revoke.ExecuteNonQuery());
    }

    private static async Task<TimeSpan> UntilRefused(HttpClient client, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var status = (await client.Get("v1/config")).Status;
            if (status == 401)
            {
                return watch.Elapsed;
            }

            Assert.Equal(200, status);
            Assert.True(watch.Elapsed < timeout, $"the revoked token was still served after {timeout.TotalSeconds} s");
            await Task.Delay(20);
        }
    }

    /// <summary>A listener started for the server's hub, token cache and store, stopped at the end of the test.</summary>
    private sealed class Listener(DatabaseListener service) : IAsyncDisposable
    {
        public DatabaseListener Service { get; } = service;

        public static Task<Listener> StartAsync(ClusterTestDatabase db, TestServer server) =>
            StartAsync(db.ConnectionString, server, new FakeCluster(), new HealthWarnings());

        public static Task<Listener> StartAsync(ClusterTestDatabase db, TestServer server, FakeCluster node, HealthWarnings warnings) =>
            StartAsync(db.ConnectionString, server, node, warnings);

        public static async Task<Listener> StartAsync(string connectionString, TestServer server, FakeCluster node, HealthWarnings warnings, bool waitForConnection = true)
        {
            var service = new DatabaseListener(
                connectionString, node, server.Get<EventHub>(), server.Get<Authentication>(), server.Get<LiveRequests>(), server.Get<IDeconflictStore>(), warnings, NullLogger<DatabaseListener>.Instance);
            await service.StartAsync(CancellationToken.None);
            if (waitForConnection)
            {
                await PostgresClusterTests.Until(() => service.Listening, TimeSpan.FromSeconds(10), "a listening connection");
            }

            return new Listener(service);
        }

        public async ValueTask DisposeAsync()
        {
            await Service.StopAsync(CancellationToken.None);
            Service.Dispose();
        }
    }
}
