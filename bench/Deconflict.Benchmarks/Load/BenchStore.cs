using System.Diagnostics;
using Deconflict.Core.Model;
using Deconflict.Storage;
using Deconflict.Storage.Postgres;
using Deconflict.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Deconflict.Benchmarks.Load;

/// <summary>
/// Where a load tool's servers keep their data: a fresh SQLite file in a temporary directory, or a
/// fresh database of its own on a PostgreSQL server (never one another run uses), dropped at the
/// end. The PostgreSQL server is the one the tests use: env <c>DECONFLICT_TEST_POSTGRES</c>, or
/// <c>--postgres</c>; the NATS server likewise (<c>DECONFLICT_TEST_NATS</c>, <c>--nats</c>).
/// </summary>
public sealed class BenchStore : IAsyncDisposable
{
    public const string DefaultPostgres = "Host=127.0.0.1;Port=5432;Username=deconflict;Password=deconflict;Database=postgres";
    public const string DefaultNats = "nats://127.0.0.1:4222";

    private readonly string? _server;
    private readonly string? _database;

    private BenchStore(string directory, string? server, string? database, string nats, string? template = null)
    {
        Template = template;
        Directory = directory;
        _server = server;
        _database = database;
        Nats = nats;
        SqlitePath = Path.Combine(directory, "load.db");
        KeysDirectory = Path.Combine(directory, "keys");
        if (server is not null)
        {
            Connection = new NpgsqlConnectionStringBuilder(server) { Database = database }.ConnectionString;
        }
    }

    public string Directory { get; }

    /// <summary>The SQLite file (when not on PostgreSQL).</summary>
    public string SqlitePath { get; }

    /// <summary>The connection string of this run's own PostgreSQL database, or null on SQLite.</summary>
    public string? Connection { get; }

    public bool IsPostgres => Connection is not null;

    public string Nats { get; }

    /// <summary>The service's record and webhook keys, shared by every node (`deconflict keys create`).</summary>
    public string KeysDirectory { get; }

    public string Name => IsPostgres ? "PostgreSQL" : "SQLite";

    /// <summary>The seeded database this one was copied from (`--template`), or null when it starts empty.</summary>
    public string? Template { get; }

    /// <summary>
    /// `--store sqlite` (the default) or `--store postgres`; `--postgres CONN` and `--nats URL`
    /// override the servers; `--template NAME` (PostgreSQL) copies a database seeded by
    /// `seed-template` instead of seeding a new one, which at 100,000 operations takes minutes.
    /// </summary>
    public static async Task<BenchStore> CreateAsync(string[] args)
    {
        var kind = Text(args, "--store") ?? "sqlite";
        if (kind is not ("sqlite" or "postgres"))
        {
            throw new ArgumentException($"--store must be sqlite or postgres, not '{kind}'.");
        }

        var directory = Path.Combine(Path.GetTempPath(), "deconflict-load", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        var nats = Text(args, "--nats") ?? Environment.GetEnvironmentVariable("DECONFLICT_TEST_NATS") ?? DefaultNats;
        if (kind == "sqlite")
        {
            return new BenchStore(directory, null, null, nats);
        }

        var server = Text(args, "--postgres") ?? Environment.GetEnvironmentVariable("DECONFLICT_TEST_POSTGRES") ?? DefaultPostgres;
        var database = "deconflict_bench_" + Guid.NewGuid().ToString("N")[..12];
        var template = Text(args, "--template");
        var store = new BenchStore(directory, server, database, nats, template);
        try
        {
            CreateKeys(store.KeysDirectory);
            await using var c = new NpgsqlConnection(server);
            await c.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database}\"" + (template is null ? string.Empty : $" TEMPLATE \"{template}\""), c);
            await create.ExecuteNonQueryAsync();
            return store;
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Makes the store ready for the servers: migrated, <paramref name="stored"/> operations of blue
    /// (unless copied from a template, which holds them already), and a token for each party;
    /// returns the tokens' secrets by party.
    /// </summary>
    public async Task<Dictionary<string, string>> PrepareAsync(int stored, params string[] parties)
    {
        var clock = Stopwatch.StartNew();
        var store = Open();
        await using (store)
        {
            store.Migrate();
            if (Template is null)
            {
                Console.WriteLine($"Seeding {stored:N0} operations into {Name} ...");
                await Strategic.ConflictCheckBenchmarks.SeedAsync(store, stored);
                Console.WriteLine($"Seeded in {clock.Elapsed.TotalSeconds:F1} s.");
            }
            else
            {
                Console.WriteLine($"Copied the seeded database {Template} (its operations stand for --stored).");
            }

            return await SubmissionLoad.PartyTokensAsync(store, parties);
        }
    }

    /// <summary>
    /// `seed-template --stored N --name NAME [--postgres CONN]`: a PostgreSQL database seeded once,
    /// for `--template NAME` to copy (CREATE DATABASE ... TEMPLATE, a file copy). Drop it when done:
    /// `DROP DATABASE NAME`.
    /// </summary>
    public static async Task<int> SeedTemplateAsync(string[] args)
    {
        var stored = SubmissionLoad.Arg(args, "--stored", 100_000);
        var name = Text(args, "--name") ?? $"deconflict_bench_seed_{stored}";
        var server = Text(args, "--postgres") ?? Environment.GetEnvironmentVariable("DECONFLICT_TEST_POSTGRES") ?? DefaultPostgres;
        await using (var c = new NpgsqlConnection(server))
        {
            await c.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", c);
            await create.ExecuteNonQueryAsync();
        }

        var clock = Stopwatch.StartNew();
        var store = new PostgresStore(new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString);
        await using (store)
        {
            store.Migrate();
            await Strategic.ConflictCheckBenchmarks.SeedAsync(store, stored);
        }

        NpgsqlConnection.ClearAllPools();
        Console.WriteLine($"Seeded {stored:N0} operations into the database {name} in {clock.Elapsed.TotalSeconds:F1} s; copy it with --template {name}, drop it when done.");
        return 0;
    }

    /// <summary>Opens the store itself, in this process (to seed it before the servers start, or to count after they stop).</summary>
    public IDeconflictStore Open() => IsPostgres ? new PostgresStore(Connection!) : new SqliteStore(SqlitePath);

    /// <summary>The arguments of `deconflict serve` that name the store (and, on PostgreSQL, NATS and the keys).</summary>
    public IEnumerable<string> ServeArguments() => IsPostgres
        ? ["--store", Connection!, "--nats", Nats, "--keys", KeysDirectory]
        : ["--db", SqlitePath];

    /// <summary>The PostgreSQL backends serving this run's database now (none on SQLite).</summary>
    public List<int> BackendPids()
    {
        if (_server is null)
        {
            return [];
        }

        using var c = new NpgsqlConnection(_server);
        c.Open();
        using var cmd = new NpgsqlCommand("SELECT pid FROM pg_stat_activity WHERE datname = @db", c);
        cmd.Parameters.AddWithValue("db", _database!);
        using var r = cmd.ExecuteReader();
        var pids = new List<int>();
        while (r.Read())
        {
            pids.Add(r.GetInt32(0));
        }

        return pids;
    }

    /// <summary>How many operations of the party the store holds: counted after the servers were killed.</summary>
    public long CountOperations(string party)
    {
        if (!IsPostgres)
        {
            SqliteConnection.ClearAllPools();
            using var c = new SqliteConnection($"Data Source={SqlitePath}");
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT COUNT(*) FROM declarations WHERE party = $party";
            cmd.Parameters.AddWithValue("$party", party);
            return (long)cmd.ExecuteScalar()!;
        }

        // Through the store's own reads, so the count does not depend on its table layout.
        var store = Open();
        try
        {
            long count = 0;
            long? after = null;
            do
            {
                var page = store.ListDeclarations(new DeclarationQuery(DeclarationKind.Operation, Party: party, Limit: 1000, After: after));
                count += page.Items.Count;
                after = page.Next;
            }
            while (after is not null);
            return count;
        }
        finally
        {
            store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    public async ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        NpgsqlConnection.ClearAllPools();
        if (_server is not null)
        {
            await using var c = new NpgsqlConnection(_server);
            await c.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_database}\" WITH (FORCE)", c);
            await drop.ExecuteNonQueryAsync();
        }

        System.IO.Directory.Delete(Directory, recursive: true);
    }

    internal static string? Text(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    /// <summary>`deconflict keys create DIR`: the one record key and webhook key of the service, which every node loads.</summary>
    private static void CreateKeys(string directory)
    {
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "exec", Path.Combine(AppContext.BaseDirectory, "deconflict.dll"), "keys", "create", directory })
        {
            info.ArgumentList.Add(a);
        }

        using var p = Process.Start(info)!;
        var error = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"deconflict keys create {directory} failed ({p.ExitCode}): {error.Result.Trim()}");
        }
    }
}
