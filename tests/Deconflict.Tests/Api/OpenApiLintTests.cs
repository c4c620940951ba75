using System.Diagnostics;
using System.Text.Json.Nodes;
using Deconflict.Tests.Infrastructure;

namespace Deconflict.Tests.Api;

/// <summary>
/// The served OpenAPI document passes Redocly's recommended ruleset (tools/openapi-lint: the pinned
/// @redocly/cli and its redocly.yaml) with no error. The linter is installed with `npm ci` when it is
/// not there yet; without npm the test fails saying so (it never skips).
/// </summary>
public sealed class OpenApiLintTests
{
    /// <summary>
    /// The warnings left, each for a reason: info-license, because the repository has chosen no
    /// licence and the document must not claim one.
    /// </summary>
    private static readonly string[] KnownWarnings = ["info-license"];

    [Fact]
    public async Task The_served_document_passes_redocly_recommended_lint_without_errors()
    {
        var tools = Path.Combine(Repository.Root, "tools", "openapi-lint");
        var redocly = Path.Combine(tools, "node_modules", ".bin", "redocly");
        if (!File.Exists(redocly))
        {
            var install = await RunAsync("npm", ["ci", "--no-audit", "--no-fund"], tools);
            Assert.True(install.Exit == 0, $"`npm ci` in tools/openapi-lint failed ({install.Exit}):\n{install.Out}\n{install.Err}");
        }

        await using var server = await TestServer.StartAsync();
        var document = Path.Combine(server.Directory, "openapi.json");
        var served = await server.Client(null).GetAsync("openapi/v1.json");
        Assert.Equal(200, (int)served.StatusCode);
        await File.WriteAllTextAsync(document, await served.Content.ReadAsStringAsync());

        var lint = await RunAsync(redocly, ["lint", "--config", Path.Combine(tools, "redocly.yaml"), "--format", "json", document], tools);
        var json = lint.Out[lint.Out.IndexOf('{', StringComparison.Ordinal)..];
        var result = JsonNode.Parse(json)!;
        var problems = result["problems"]!.AsArray().Select(p => $"{p!["severity"]} {p["ruleId"]}: {p["message"]} at {p["location"]?[0]?["pointer"]}").ToList();
        Assert.True(lint.Exit == 0 && result["totals"]!["errors"]!.GetValue<int>() == 0, $"redocly lint exited {lint.Exit}:\n{string.Join("\n", problems)}\n{lint.Err}");
        var warnings = result["problems"]!.AsArray().Where(p => p!["severity"]!.GetValue<string>() == "warn").Select(p => p!["ruleId"]!.GetValue<string>()).Distinct().Order(StringComparer.Ordinal).ToArray();
        Assert.True(warnings.SequenceEqual(KnownWarnings), "New warnings:\n" + string.Join("\n", problems));
    }

    private static async Task<(int Exit, string Out, string Err)> RunAsync(string file, string[] args, string directory)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        // No telemetry, no update check: the lint talks to nothing but the files it is given.
        start.Environment["REDOCLY_TELEMETRY"] = "off";
        start.Environment["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true";
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new Xunit.Sdk.XunitException($"Cannot run '{file}' ({e.Message}): the OpenAPI lint needs Node.js and npm on the PATH (tools/openapi-lint/package.json).");
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            await process.WaitForExitAsync(timeout.Token);
            return (process.ExitCode, await output, await error);
        }
    }
}
