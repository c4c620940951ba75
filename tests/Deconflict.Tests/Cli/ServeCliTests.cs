using System.Text.Json.Nodes;
using Deconflict.Tests.Infrastructure;

namespace Deconflict.Tests.Cli;

/// <summary>`deconflict serve` with the parameters the parties agreed, each with its unit.</summary>
public sealed class ServeCliTests
{
    [Fact]
    public async Task The_agreed_parameters_are_given_with_units_and_shown_by_the_config()
    {
        var directory = Path.Combine(Path.GetTempPath(), "deconflict-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        using var server = await ServerProcess.StartAsync(Path.Combine(directory, "d.db"), "dcf_serve-test-admin-secret-0123456789abcdefghijkl",
            "--horizontal-buffer", "2NM", "--vertical-buffer", "500FT", "--horizontal-separation", "5 nm", "--vertical-separation", "2000FT",
            "--lookahead", "3m", "--warning", "90s", "--advisory", "5m", "--same-party-alerts",
            "--webhook-allow-http", "--webhook-allow", "10.0.0.0/8", "--webhook-allow", "hooks.internal");
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", "dcf_serve-test-admin-secret-0123456789abcdefghijkl");
        var config = JsonNode.Parse(await http.GetStringAsync("v1/config"))!;
        Assert.Equal(3704.0, config["strategic_buffer"]!["horizontal_m"]!.GetValue<double>(), 9);
        Assert.Equal(152.4, config["strategic_buffer"]!["vertical_m"]!.GetValue<double>(), 9);
        Assert.Equal(9260.0, config["separation"]!["horizontal_m"]!.GetValue<double>(), 9);
        Assert.Equal(609.6, config["separation"]!["vertical_m"]!.GetValue<double>(), 9);
        Assert.Equal(180.0, config["separation"]!["lookahead_s"]!.GetValue<double>());
        Assert.Equal((90.0, 180.0, 300.0, true), (config["tactical"]!["warning_s"]!.GetValue<double>(), config["tactical"]!["caution_s"]!.GetValue<double>(), config["tactical"]!["advisory_s"]!.GetValue<double>(), config["tactical"]!["same_party"]!.GetValue<bool>()));
        Assert.True(config["webhooks"]!["allow_http"]!.GetValue<bool>());
        Assert.Equal(["10.0.0.0/8", "hooks.internal"], config["webhooks"]!["allow"]!.AsArray().Select(a => a!.GetValue<string>()));
    }

    [Theory]
    [InlineData("--horizontal-separation", "3", "--horizontal-separation needs a positive length with its unit")]
    [InlineData("--vertical-separation", "0FT", "--vertical-separation needs a positive length with its unit")]
    [InlineData("--horizontal-buffer", "-1NM", "--horizontal-buffer needs a non-negative length with its unit")]
    [InlineData("--horizontal-separation", "3 miles", "'3 miles' is not one")]
    [InlineData("--lookahead", "120", "A duration is like 45m, 1h30m or 90s")]
    [InlineData("--warning", "200s", "--warning, --lookahead and --advisory must be in that order")]
    [InlineData("--webhook-allow", "10.0.0.0/33", "--webhook-allow: The webhook allowlist entry '10.0.0.0/33' is neither a host name, an address nor a CIDR range")]
    public async Task A_parameter_without_its_unit_or_out_of_order_stops_the_server_with_a_clear_message(string option, string value, string message)
    {
        var db = Path.Combine(Path.GetTempPath(), "deconflict-tests", Guid.NewGuid().ToString("N") + ".db");
        var run = await CliTests.Run(null, "unused", "serve", "--db", db, "--urls", "http://127.0.0.1:0", option, value);
        Assert.Equal(2, run.Exit);
        Assert.Contains(message, run.Err, StringComparison.Ordinal);
        Assert.False(File.Exists(db));
    }
}
