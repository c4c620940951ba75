using System.Text.Json.Nodes;
using Deconflict.Tests.Cli;
using Deconflict.Tests.Infrastructure;

namespace Deconflict.Tests.Api;

/// <summary>
/// `deconflict serve --db FILE` refusing its arguments before it makes the SQLite file: not compiled
/// into tests/Deconflict.Tests.Postgres (it would start the same SQLite servers again there).
/// </summary>
public sealed partial class LimitTests
{
    [Fact]
    public async Task Serve_refuses_a_short_admin_token_from_the_environment_with_one_line_and_exit_code_2()
    {
        var db = Path.Combine(Path.GetTempPath(), "deconflict-tests", Guid.NewGuid().ToString("N") + ".db");
        var info = CliTests.Command(null, "unused", "serve", "--db", db, "--urls", "http://127.0.0.1:0");
        info.Environment["DECONFLICT_ADMIN_TOKEN"] = "dcf_short-admin";
        using var p = System.Diagnostics.Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        try
        {
            await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            p.Kill(entireProcessTree: true);
            throw;
        }

        Assert.Equal(2, p.ExitCode);
        Assert.Equal(string.Empty, await stdout);
        var line = Assert.Single((await stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("DECONFLICT_ADMIN_TOKEN is too short (11 characters)", line, StringComparison.Ordinal);
        Assert.False(File.Exists(db));
    }

    [Fact]
    public async Task Serve_takes_the_per_party_quotas_and_shows_them_in_the_config()
    {
        const string admin = "dcf_limits-test-admin-secret-0123456789abcdefgh";
        var directory = Path.Combine(Path.GetTempPath(), "deconflict-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        using var server = await ServerProcess.StartAsync(Path.Combine(directory, "d.db"), admin,
            "--max-live-declarations", "7", "--max-streams", "3", "--party-rate", "50", "--party-burst", "60");
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", admin);
        var quotas = JsonNode.Parse(await http.GetStringAsync("v1/config"))!["quotas"]!;
        Assert.Equal((7, 3, 50.0, 60), (quotas["max_live_declarations"]!.GetValue<int>(), quotas["max_streams"]!.GetValue<int>(), quotas["requests_per_s"]!.GetValue<double>(), quotas["request_burst"]!.GetValue<int>()));

        var db = Path.Combine(directory, "refused.db");
        var refused = await CliTests.Run(null, "unused", "serve", "--db", db, "--urls", "http://127.0.0.1:0", "--max-streams", "0");
        Assert.Equal(2, refused.Exit);
        Assert.Equal("--max-live-declarations, --max-streams, --party-rate and --party-burst must be positive.", refused.Err.Trim());
        Assert.False(File.Exists(db));
    }
}
