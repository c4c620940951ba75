using Npgsql;

namespace Deconflict.Tests.Infrastructure;

/// <summary>
/// A fresh PostgreSQL database of its own for one test, on the server named by the environment
/// variable DECONFLICT_TEST_POSTGRES (an Npgsql connection string to any database of it, by
/// default the local server's "postgres"): created as dcf_&lt;guid&gt;, dropped WITH (FORCE) when
/// disposed, so tests never share one and a test's open connections do not keep it.
/// </summary>
public sealed class PostgresDatabase : IAsyncDisposable
{
    public const string DefaultServer = "Host=127.0.0.1;Port=5432;Username=deconflict;Password=deconflict;Database=postgres";

    private readonly string _server;
    private readonly string _name;

    private PostgresDatabase(string server, string name, string connectionString)
    {
        _server = server;
        _name = name;
        ConnectionString = connectionString;
    }

    /// <summary>The new database's connection string.</summary>
    public string ConnectionString { get; }

    public static async Task<PostgresDatabase> CreateAsync()
    {
        var server = Environment.GetEnvironmentVariable("DECONFLICT_TEST_POSTGRES") is { Length: > 0 } set ? set : DefaultServer;
        var name = "dcf_" + Guid.NewGuid().ToString("N");
        await using (var c = new NpgsqlConnection(server))
        {
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", c);
            await cmd.ExecuteNonQueryAsync();
        }

        var connectionString = new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
        return new PostgresDatabase(server, name, connectionString);
    }

    public async ValueTask DisposeAsync()
    {
        // The pool would otherwise keep idle connections to a database that no longer exists.
        NpgsqlConnection.ClearAllPools();
        await using var c = new NpgsqlConnection(_server);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_name} WITH (FORCE)", c);
        await cmd.ExecuteNonQueryAsync();
    }
}
