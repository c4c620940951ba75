using Npgsql;

namespace Deconflict.Tests.Cluster;

/// <summary>
/// A fresh PostgreSQL database of the test server (DECONFLICT_TEST_POSTGRES) for one test, dropped
/// after it: tests never share one, so they can run in parallel and count the sessions in theirs.
/// </summary>
internal sealed class ClusterTestDatabase : IAsyncDisposable
{
    private const string DefaultServer = "Host=127.0.0.1;Port=5432;Username=deconflict;Password=deconflict;Database=postgres";

    private readonly string _server;

    private ClusterTestDatabase(string server, string name)
    {
        _server = server;
        Name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }

    public string Name { get; }

    public string ConnectionString { get; }

    public static async Task<ClusterTestDatabase> CreateAsync()
    {
        var server = Environment.GetEnvironmentVariable("DECONFLICT_TEST_POSTGRES") is { Length: > 0 } given ? given : DefaultServer;
        var name = "dcf_" + Guid.NewGuid().ToString("N");
        await using var connection = new NpgsqlConnection(server);
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await create.ExecuteNonQueryAsync();
        return new ClusterTestDatabase(server, name);
    }

    /// <summary>Runs a statement on a connection of its own (pooled, named "deconflict-tests").</summary>
    public async Task<object?> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString) { ApplicationName = "deconflict-tests" }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    /// <summary>Ends the sessions named <paramref name="applicationName"/> as a crash of their process would; returns how many.</summary>
    public async Task<int> TerminateAsync(string applicationName)
    {
        var ended = await ScalarAsync(
            $"SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND application_name = '{applicationName.Replace("'", "''", StringComparison.Ordinal)}'");
        return (int)(long)ended!;
    }

    public async ValueTask DisposeAsync()
    {
        await using var connection = new NpgsqlConnection(_server);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }
}
