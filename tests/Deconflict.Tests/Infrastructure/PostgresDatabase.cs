using Npgsql;

namespace Deconflict.Tests.Infrastructure;

/// <summary>
/// A fresh database of its own on the test PostgreSQL server (env <c>DECONFLICT_TEST_POSTGRES</c>,
/// else the one .ci/run starts on 127.0.0.1:5432), with PostGIS, dropped with everything connected
/// to it when disposed: tests never share one, so they run in parallel and assert exact state.
/// </summary>
public sealed class PostgresDatabase : IAsyncDisposable
{
    public const string ServerVariable = "DECONFLICT_TEST_POSTGRES";
    public const string DefaultServer = "Host=127.0.0.1;Port=5432;Username=deconflict;Password=deconflict;Database=postgres";

    private readonly string _server;
    private readonly string _name;

    private PostgresDatabase(string server, string name)
    {
        _server = server;
        _name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }

    /// <summary>The new database's connection string (the server's, with its name).</summary>
    public string ConnectionString { get; }

    /// <summary>The server the tests use: <c>DECONFLICT_TEST_POSTGRES</c> or the default.</summary>
    public static string Server => Environment.GetEnvironmentVariable(ServerVariable) is { Length: > 0 } s ? s : DefaultServer;

    public static Task<PostgresDatabase> CreateAsync() => CreateAsync(Server);

    /// <summary>A fresh database on this server (a connection string to any database on it, as a superuser).</summary>
    public static async Task<PostgresDatabase> CreateAsync(string server)
    {
        var name = "deconflict_test_" + Guid.NewGuid().ToString("N");
        await using (var admin = new NpgsqlConnection(server))
        {
            await admin.OpenAsync();
            await Execute(admin, $"CREATE DATABASE {name}");
        }

        var database = new PostgresDatabase(server, name);
        await using (var connection = new NpgsqlConnection(database.ConnectionString))
        {
            await connection.OpenAsync();
            await Execute(connection, "CREATE EXTENSION IF NOT EXISTS postgis");
        }

        return database;
    }

    public async ValueTask DisposeAsync()
    {
        // Pooled connections of this process to the database would otherwise stay open (FORCE
        // ends them on the server; clearing the pool forgets them here).
        await using (var pooled = new NpgsqlConnection(ConnectionString))
        {
            NpgsqlConnection.ClearPool(pooled);
        }

        try
        {
            await using var admin = new NpgsqlConnection(_server);
            await admin.OpenAsync();
            await Execute(admin, $"DROP DATABASE IF EXISTS {_name} WITH (FORCE)");
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            // The server is gone (a test that stopped its own): nothing is left to drop.
        }
    }

    private static async Task Execute(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
