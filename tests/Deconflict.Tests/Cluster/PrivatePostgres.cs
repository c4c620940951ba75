using System.Diagnostics;
using Deconflict.Tests.Infrastructure;
using Npgsql;

namespace Deconflict.Tests.Cluster;

/// <summary>
/// A PostgreSQL server of one test's own (initdb into a temporary directory as the postgres user,
/// on a free loopback port), so the test may kill it outright and start it again: the shared
/// server of the other tests is never touched. It has the role the tests use (deconflict, a
/// superuser) and PostGIS is installed in each database made by <see cref="CreateDatabaseAsync"/>.
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    private const string Binaries = "/usr/lib/postgresql/15/bin";
    private readonly string _directory;
    private readonly Queue<string> _log = new();
    private Process? _postmaster;

    private PrivatePostgres(string directory, int port)
    {
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The connection string of the server's postgres database, as the deconflict role.</summary>
    public string ServerConnectionString =>
        $"Host=127.0.0.1;Port={Port};Username=deconflict;Password=deconflict;Database=postgres;Timeout=5;Command Timeout=30";

    public bool Running => _postmaster is { HasExited: false };

    private void Keep(string line)
    {
        lock (_log)
        {
            _log.Enqueue(line);
            while (_log.Count > 100)
            {
                _log.Dequeue();
            }
        }
    }

    private string DataDirectory => Path.Combine(_directory, "data");

    /// <summary>initdb, start, and create the deconflict role.</summary>
    public static async Task<PrivatePostgres> StartAsync()
    {
        var directory = Path.Combine(Path.GetTempPath(), "deconflict-tests", "pg-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var server = new PrivatePostgres(directory, TestServer.FreePort());
        try
        {
            // The server refuses to run as root: the directory is the postgres user's.
            await ProcessRun.RunAsync("chown", "postgres:postgres", directory);
            await ProcessRun.RunAsync(
                "runuser", "-u", "postgres", "--", Path.Combine(Binaries, "initdb"), "-D", server.DataDirectory,
                "--auth-local=trust", "--auth-host=trust", "--username=postgres", "--no-sync");
            await server.RestartAsync();
            await using var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={server.Port};Username=postgres;Database=postgres");
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("CREATE ROLE deconflict LOGIN SUPERUSER PASSWORD 'deconflict'", connection);
            await command.ExecuteNonQueryAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>A fresh database on this server with PostGIS (dropped with the server).</summary>
    public Task<PostgresDatabase> CreateDatabaseAsync() => PostgresDatabase.CreateAsync(ServerConnectionString);

    /// <summary>
    /// SIGKILL to the postmaster alone, as a crash would: its backends find it gone and end, and
    /// runuser (its parent) reaps it, so nothing of it is left to hold the data directory's lock.
    /// </summary>
    public void Kill()
    {
        if (_postmaster is not { } wrapper)
        {
            return;
        }

        var pidFile = Path.Combine(DataDirectory, "postmaster.pid");
        if (File.Exists(pidFile) && int.TryParse(File.ReadLines(pidFile).First(), out var pid))
        {
            try
            {
                using var postmaster = Process.GetProcessById(pid);
                postmaster.Kill();
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                // Already gone.
            }
        }

        if (!wrapper.WaitForExit(10_000))
        {
            ProcessRun.Kill(wrapper);
        }

        wrapper.Dispose();
        _postmaster = null;

        // Npgsql's pools of this process hold connections to the dead server.
        NpgsqlConnection.ClearAllPools();
    }

    /// <summary>Starts the postmaster on the same port and data (crash recovery after a kill) and waits until it accepts connections.</summary>
    public async Task RestartAsync()
    {
        if (Running)
        {
            throw new InvalidOperationException("the private PostgreSQL is already running");
        }

        _postmaster = ProcessRun.Start(
            Keep,
            "runuser", "-u", "postgres", "--", Path.Combine(Binaries, "postgres"), "-D", DataDirectory, "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-k", _directory, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=on", "-c", "max_connections=200");
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Timeout=2;Pooling=false");
                await connection.OpenAsync();
                return;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                if (_postmaster.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(60))
                {
                    throw new InvalidOperationException($"the private PostgreSQL did not start on port {Port}: {e.Message}; its log: {Log}");
                }

                await Task.Delay(100);
            }
        }
    }

    /// <summary>The server's last lines of log, for a failing test's message.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return string.Join('\n', _log);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        await Task.Yield();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
