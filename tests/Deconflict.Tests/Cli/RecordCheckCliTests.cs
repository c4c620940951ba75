using Deconflict.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace Deconflict.Tests.Cli;

/// <summary>
/// `deconflict record check --db PATH [--full]` on a stopped server's files: passes on untouched
/// files, names the first bad entry (one line, exit 1) on tampered ones, and with --full checks a
/// database whose head file is missing and keeps its head again, so that the server starts.
/// </summary>
public sealed class RecordCheckCliTests
{
    [Fact]
    public async Task Untouched_files_pass_and_an_edited_row_is_named_in_one_line()
    {
        var (directory, db) = await StoppedServer();
        var clean = await CliTests.Run(null, string.Empty, "record", "check", "--db", db, "--full");
        Assert.True(clean.Exit == 0, clean.Out + clean.Err);
        Assert.Contains("Record checked: ", clean.Out, StringComparison.Ordinal);

        var index = Exec(db, "SELECT record_index FROM declarations");
        Exec(db, "UPDATE declarations SET priority = 7");
        var tampered = await CliTests.Run(null, string.Empty, "record", "check", "--db", db);
        Assert.Equal(1, tampered.Exit);
        var line = Assert.Single(tampered.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"Record check failed: entry {index} does not state operation ", line, StringComparison.Ordinal);
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task Serve_on_tampered_files_refuses_with_one_line_naming_the_entry()
    {
        var (directory, db) = await StoppedServer();
        var index = Exec(db, "SELECT record_index FROM declarations");
        Exec(db, "UPDATE declarations SET state = 'cancelled'");
        var serve = await CliTests.Run(null, string.Empty, "serve", "--db", db, "--urls", "http://127.0.0.1:0");
        Assert.Equal(1, serve.Exit);
        var line = Assert.Single(serve.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"Record check failed: entry {index} does not state operation ", line, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", serve.Err, StringComparison.Ordinal);
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task A_missing_head_file_is_written_again_by_a_full_check_and_the_server_starts()
    {
        var (directory, db) = await StoppedServer();
        File.Delete(db + ".record-head");
        var incremental = await CliTests.Run(null, string.Empty, "record", "check", "--db", db);
        Assert.Equal(1, incremental.Exit);
        Assert.Contains("is missing, but the database holds signed heads", incremental.Err, StringComparison.Ordinal);

        var full = await CliTests.Run(null, string.Empty, "record", "check", "--db", db, "--full");
        Assert.True(full.Exit == 0, full.Out + full.Err);
        Assert.True(File.Exists(db + ".record-head"));
        await using var server = await TestServer.StartAsync(directory: directory);
        Assert.Equal(200, (await server.Admin.Get("v1/record/head")).Status);
    }

    [Fact]
    public async Task A_missing_database_is_one_line()
    {
        var db = Path.Combine(Path.GetTempPath(), "deconflict-tests", Guid.NewGuid().ToString("N"), "none.db");
        var result = await CliTests.Run(null, string.Empty, "record", "check", "--db", db);
        Assert.Equal(1, result.Exit);
        Assert.Equal($"No database file {db}.", result.Err.Trim());
    }

    private static async Task<(string Directory, string Db)> StoppedServer()
    {
        var directory = Path.Combine(Path.GetTempPath(), "deconflict-tests", Guid.NewGuid().ToString("N"));
        var server = await TestServer.StartAsync(directory: directory);
        var blue = await server.AddPartyAsync("blue");
        await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(35.5, 35.8)));
        await server.Admin.Post("v1/record/head", null);
        await server.DisposeAsyncKeepFiles();
        return (directory, server.DatabasePath);
    }

    private static long Exec(string db, string sql)
    {
        using var c = new SqliteConnection($"Data Source={db};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar() is long value ? value : 0;
    }
}
