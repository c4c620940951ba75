using System.Diagnostics;
using Npgsql;

namespace Deconflict.Tests.Infrastructure;

/// <summary>
/// A fresh database of one test's own, with PostGIS, on the PostgreSQL server the tests share
/// (DECONFLICT_TEST_POSTGRES, a role that may create databases), dropped when disposed. Each is a
/// copy of a template made once per test process with the postgis extension already created in it,
/// so that a test pays a fraction of a second for its database rather than the extension's scripts.
/// </summary>
public sealed class PostgresDatabase : IAsyncDisposable
{
    public const string DefaultServer = "Host=127.0.0.1;Port=5432;Username=deconflict;Password=deconflict;Database=postgres";

    private const string TemplatePrefix = "deconflict_template_";

    private const string DatabasePrefix = "deconflict_test_";

    private static readonly Lazy<Task<string>> Template = new(CreateTemplateAsync);

    /// <summary>The databases of this process not yet dropped: what is left at its exit is dropped then.</summary>
    private static readonly HashSet<string> Live = [];

    private readonly string _name;
    private int _disposed;

    static PostgresDatabase() => AppDomain.CurrentDomain.ProcessExit += (_, _) => DropLeftovers();

    private PostgresDatabase(string name)
    {
        _name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(Server) { Database = name }.ConnectionString;
    }

    /// <summary>The server's connection string (any database on it): DECONFLICT_TEST_POSTGRES, or the default.</summary>
    public static string Server =>
        Environment.GetEnvironmentVariable("DECONFLICT_TEST_POSTGRES") is { Length: > 0 } given ? given : DefaultServer;

    /// <summary>The connection string of this database.</summary>
    public string ConnectionString { get; }

    public static async Task<PostgresDatabase> CreateAsync()
    {
        var template = await Template.Value;
        var name = $"{DatabasePrefix}{Environment.ProcessId}_{Guid.NewGuid():N}";
        lock (Live)
        {
            Live.Add(name);
        }

        await ExecuteAsync($"CREATE DATABASE {name} TEMPLATE {template}");
        return new PostgresDatabase(name);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await DropAsync(_name);
        lock (Live)
        {
            Live.Remove(_name);
        }
    }

    /// <summary>
    /// The template of this process. Its name, like each database's, carries the process id, so
    /// that a later run can tell what a process that died before its exit left (the only databases
    /// it removes besides its own).
    /// </summary>
    private static async Task<string> CreateTemplateAsync()
    {
        await DropLeftoversOfDeadProcessesAsync();
        var name = $"{TemplatePrefix}{Environment.ProcessId}_{Guid.NewGuid().ToString("N")[..8]}";
        lock (Live)
        {
            Live.Add(name);
        }

        await ExecuteAsync($"CREATE DATABASE {name}");
        // Unpooled: an idle connection left on the template would make every copy of it fail.
        var builder = new NpgsqlConnectionStringBuilder(Server) { Database = name, Pooling = false };
        await using (var connection = new NpgsqlConnection(builder.ConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand("CREATE EXTENSION postgis", connection);
            await create.ExecuteNonQueryAsync();
        }

        // A template that admits no connection cannot be held open by mistake.
        await ExecuteAsync($"ALTER DATABASE {name} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false");
        return name;
    }

    private static async Task DropLeftoversOfDeadProcessesAsync()
    {
        var stale = new List<string>();
        await using (var connection = new NpgsqlConnection(Server))
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
            await DropAsync(name);
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
    private static async Task DropAsync(string name)
    {
        if (name.StartsWith(TemplatePrefix, StringComparison.Ordinal))
        {
            try
            {
                await ExecuteAsync($"ALTER DATABASE {name} WITH IS_TEMPLATE false");
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidCatalogName)
            {
                return; // another process dropped it first
            }
        }

        await ExecuteAsync($"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    }

    private static void DropLeftovers()
    {
        string[] left;
        lock (Live)
        {
            left = [.. Live];
            Live.Clear();
        }

        foreach (var name in left)
        {
            try
            {
                DropAsync(name).GetAwaiter().GetResult();
            }
            catch (NpgsqlException)
            {
                // The server went away first: nothing more can be done from here.
            }
        }
    }

    private static async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(Server);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
