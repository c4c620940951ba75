using Deconflict.Storage;
using Deconflict.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Deconflict.Tests.Storage;

/// <summary>The store contract on the embedded default: a real SQLite file per test.</summary>
public sealed class SqliteStoreContractTests : StoreContract
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "deconflict-tests", Guid.NewGuid().ToString("N"));

    protected override Task<IDeconflictStore> CreateEmptyStoreAsync()
    {
        Directory.CreateDirectory(_directory);
        return Task.FromResult<IDeconflictStore>(new SqliteStore(Path.Combine(_directory, "store.db")));
    }

    protected override Task DeleteStoreAsync()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public void A_database_from_a_newer_build_is_refused()
    {
        var path = Path.Combine(_directory, "store.db");
        using (var c = new SqliteConnection($"Data Source={path}"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "INSERT INTO schema_migrations(version, applied_at) VALUES (999, 0)";
            cmd.ExecuteNonQuery();
        }

        var e = Assert.Throws<InvalidOperationException>(() => new SqliteStore(path).Migrate());
        Assert.Contains("schema version 999", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Migrations_are_stamped_with_the_service_clock()
    {
        var path = Path.Combine(_directory, "clocked.db");
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2031, 2, 3, 4, 5, 6, 789, TimeSpan.Zero));
        new SqliteStore(path, clock).Migrate();

        using var c = new SqliteConnection($"Data Source={path}");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*), MIN(applied_at), MAX(applied_at) FROM schema_migrations";
        using var r = cmd.ExecuteReader();
        Assert.True(r.Read());
        Assert.Equal(SqliteSchema.Migrations.Count, r.GetInt64(0));
        Assert.Equal(clock.GetUtcNow().ToUnixTimeMilliseconds(), r.GetInt64(1));
        Assert.Equal(clock.GetUtcNow().ToUnixTimeMilliseconds(), r.GetInt64(2));
    }

    [Fact]
    public void The_file_is_in_WAL_mode()
    {
        using var c = new SqliteConnection($"Data Source={Path.Combine(_directory, "store.db")}");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", (string)cmd.ExecuteScalar()!);
    }
}
