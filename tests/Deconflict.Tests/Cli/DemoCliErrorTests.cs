namespace Deconflict.Tests.Cli;

/// <summary>
/// `demo` and `simulate` refuse a malformed command line in one line with exit code 2, before a
/// server is started or asked anything (no --server is given here: none is needed to be refused).
/// </summary>
public sealed class DemoCliErrorTests
{
    [Theory]
    [InlineData("demo --speed -1", "--speed must be at least 1.")]
    [InlineData("demo --duration soon", "A duration is like 45m, 1h30m or 90s; 'soon' is not one.")]
    [InlineData("simulate --party nobody", "--party must be coalition or vks (the scenario's two sides), not 'nobody'.")]
    [InlineData("simulate --party vks --duration abc", "A duration is like 45m, 1h30m or 90s; 'abc' is not one.")]
    [InlineData("simulate --party vks --start tomorrow", "--start must be an RFC 3339 time like 2026-11-26T09:00:00Z, not 'tomorrow'.")]
    public async Task A_malformed_option_is_one_line_and_exit_code_2(string line, string message)
    {
        var run = await CliTests.RunAt(null, "unused", line.Split(' '));
        Assert.Equal(2, run.Exit);
        Assert.Equal(message, CliErrorTests.PlainLine(run.Err));
    }

    [Fact]
    public async Task A_demo_database_that_already_exists_is_refused_and_left_alone()
    {
        var directory = Path.Combine(Path.GetTempPath(), "deconflict-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var file = Path.Combine(directory, "old.db");
        await File.WriteAllTextAsync(file, "someone's data");

        foreach (var given in new[] { directory, file })
        {
            var run = await CliTests.RunAt(null, "unused", "demo", "--db", given);
            Assert.Equal(2, run.Exit);
            Assert.Equal($"The demo needs a fresh database, and {given} exists: delete it or give another --db.", CliErrorTests.PlainLine(run.Err));
        }

        Assert.Equal("someone's data", await File.ReadAllTextAsync(file));
        Directory.Delete(directory, recursive: true);
    }
}
