using System.Collections.Concurrent;
using System.Diagnostics;
using Npgsql;

namespace Deconflict.Tests.Infrastructure;

/// <summary>
/// A fresh database of one test's own, with PostGIS, on a PostgreSQL server (by default the one the
/// tests share: DECONFLICT_TEST_POSTGRES, as a role that may create databases), dropped with
/// everything connected to it when disposed: tests never share one, so they run in parallel and
/// assert exact state. Each is a copy of a template made once per test process and server with the
/// postgis extension already created in it, so that a test pays a fraction of a second for its
/// database rather than the extension's scripts.
/// </summary>
public sealed class PostgresDatabase : IAsyncDisposable
{
    public const string ServerVariable = "DECONFLICT_TEST_POSTGRES";

    public const string DefaultServer = "Host=127.0.0.1;Port=5432;Username=deconflict;Password=deconflict;Database=postgres";

    private const string TemplatePrefix = "deconflict_template_";

    private const string DatabasePrefix = "deconflict_test_";

    /// <summary>This process's template on each server.</summary>
    private static readonly ConcurrentDictionary<string, Lazy<Task<string>>> Templates = new();

    /// <summary>The databases of this process not yet dropped (with their server): what is left at its exit is dropped then.</summary>
    private static readonly HashSet<(string Server, string Name)> Live = [];

    private readonly string _server;
    private readonly string _name;
    private int _disposed;

    static PostgresDatabase() => AppDomain.CurrentDomain.ProcessExit += (_, _) => DropLeftovers();

    private PostgresDatabase(string server, string name)
    {
        _server = server;
        _name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }

    /// <summary>The server the tests share: DECONFLICT_TEST_POSTGRES (a connection string to any database on it), or the default.</summary>
    public static string Server =>
        Environment.GetEnvironmentVariable(ServerVariable) is { Length: > 0 } given ? given : DefaultServer;

    /// <summary>The connection string of this database (the server's, with its name).</summary>
    public string ConnectionString { get; }

    public static Task<PostgresDatabase> CreateAsync() => CreateAsync(Server);

    /// <summary>A fresh database on this server (a connection string to any database on it, as a superuser).</summary>
    public static async Task<PostgresDatabase> CreateAsync(string server)
    {
        var template = await Templates.GetOrAdd(server, s => new Lazy<Task<string>>(() => CreateTemplateAsync(s))).Value;
        var name = $"{DatabasePrefix}{Environment.ProcessId}_{Guid.NewGuid():N}";
        lock (Live)
        {
            Live.Add((server, name));
        }

        await ExecuteAsync(server, $"CREATE DATABASE {name} TEMPLATE {template}");
        return new PostgresDatabase(server, name);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        // FORCE ends the connections on the server; clearing the pool forgets them here.
        await using (var pooled = new NpgsqlConnection(ConnectionString))
        {
            NpgsqlConnection.ClearPool(pooled);
        }

        try
        {
            await DropAsync(_server, _name);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            // The server is gone (a test that stopped its own): nothing is left to drop.
        }

        lock (Live)
        {
            Live.Remove((_server, _name));
        }
    }

    /// <summary>
    /// This process's template on the server. Its name, like each database's, carries the process
    /// id, so that a later run can tell what a process that died before its exit left there (the
    /// only databases it removes besides its own).
    /// </summary>
    private static async Task<string> CreateTemplateAsync(string server)
    {
        await DropLeftoversOfDeadProcessesAsync(server);
        var name = $"{TemplatePrefix}{Environment.ProcessId}_{Guid.NewGuid().ToString("N")[..8]}";
        lock (Live)
        {
            Live.Add((server, name));
        }

        await ExecuteAsync(server, $"CREATE DATABASE {name}");
        // Unpooled: an idle connection left on the template would make every copy of it fail.
        var builder = new NpgsqlConnectionStringBuilder(server) { Database = name, Pooling = false };
        await using (var connection = new NpgsqlConnection(builder.ConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand("CREATE EXTENSION postgis", connection);
            await create.ExecuteNonQueryAsync();
        }

        // A template that admits no connection cannot be held open by mistake.
        await ExecuteAsync(server, $"ALTER DATABASE {name} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false");
        return name;
    }

    private static async Task DropLeftoversOfDeadProcessesAsync(string server)
    {
        var stale = new List<string>();
        await using (var connection = new NpgsqlConnection(server))
        {
            await connection.OpenAsync();
            await using var list = new NpgsqlCommand("SELECT datname FROM pg_database WHERE starts_with(datname, $1) OR starts_with(datname, $2)", connection);
            list.Parameters.AddWithValue(TemplatePrefix);
            list.Parameters.AddWithValue(DatabasePrefix);
            await using var reader = await list.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var name = reader.GetString(0);
                var pid = name[(name.StartsWith(TemplatePrefix, StringComparison.Ordinal) ? TemplatePrefix : DatabasePrefix).Length..].Split('_')[0];
                if (int.TryParse(pid, out var id) && !Running(id))
                {
                    stale.Add(name);
                }
            }
        }

        foreach (var name in stale)
        {
            await DropAsync(server, name);
        }
    }

    private static bool Running(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Drops a database, a template too (PostgreSQL drops no template). FORCE: a pooled connection of a stopped server's store may still be open.</summary>
    private static async Task DropAsync(string server, string name)
    {
        if (name.StartsWith(TemplatePrefix, StringComparison.Ordinal))
        {
            try
            {
                await ExecuteAsync(server, $"ALTER DATABASE {name} WITH IS_TEMPLATE false");
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidCatalogName)
            {
                return; // another process dropped it first
            }
        }

        await ExecuteAsync(server, $"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    }

    private static void DropLeftovers()
    {
        (string Server, string Name)[] left;
        lock (Live)
        {
            left = [.. Live];
            Live.Clear();
        }

        // Bounded: the test host's exit must not wait on a server that stopped answering.
        var until = Stopwatch.StartNew();
        foreach (var (server, name) in left)
        {
            if (until.Elapsed > TimeSpan.FromSeconds(30))
            {
                return; // the next run on the server drops what is left
            }

            try
            {
                // A drop still waiting after 10 s is left to the next run on the server.
                _ = DropAsync(server, name).Wait(TimeSpan.FromSeconds(10));
            }
            catch (AggregateException e) when (e.InnerException is NpgsqlException or TimeoutException)
            {
                // The server went away first: the next run on it drops what this process left.
            }
        }
    }

    private static async Task ExecuteAsync(string server, string sql)
    {
        await using var connection = new NpgsqlConnection(server);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
