using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Deconflict.Cli;
using Deconflict.Tests.Infrastructure;

namespace Deconflict.Tests.Cli;

/// <summary>
/// The command as a person gets it: under `dotnet run` (relative paths from where it was run),
/// as a .NET tool packed from the repository, as a single-file server binary, and with an example
/// in every verb's help.
/// </summary>
public sealed class CliInstallTests
{
    /// <summary>
    /// The verb groups whose help examples this test checks. The other groups get theirs in their
    /// own branches of issue 16; once all are merged this list goes and the walk covers every verb.
    /// </summary>
    [Fact]
    public void Every_runnable_verb_has_examples_in_its_help()
    {
        var missing = Verbs(CliApp.Commands(), "deconflict")
            .Where(v => v.Command.Action is not null)
            .Where(v => v.Command.Description?.Contains($"{Environment.NewLine}Examples:{Environment.NewLine}  deconflict ", StringComparison.Ordinal) != true)
            .Select(v => v.Path)
            .ToList();
        Assert.Empty(missing);
        Assert.Contains(Verbs(CliApp.Commands(), "deconflict"), v => v.Path == "deconflict feed cot");
    }

    [Fact]
    public async Task A_verbs_help_shows_its_examples_and_the_bare_command_shows_the_help()
    {
        var help = await CliTests.RunAt(null, "unused", "serve", "--help");
        Assert.Equal(0, help.Exit);
        Assert.Contains($"Examples:{Environment.NewLine}    deconflict serve --db data/deconflict.db --urls http://127.0.0.1:8080{Environment.NewLine}", help.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("--server", help.Out, StringComparison.Ordinal);

        var bare = await CliTests.RunAt(null, "unused");
        Assert.Equal(2, bare.Exit);
        Assert.Contains("  deconflict [command] [options]", bare.Out, StringComparison.Ordinal);
        Assert.Equal(string.Empty, bare.Err);
    }

    [Fact]
    public async Task Dotnet_run_takes_relative_paths_from_the_directory_it_was_run_in()
    {
        var here = Path.Combine(Path.GetTempPath(), "deconflict-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(here);
        var project = Path.Combine(Repository.Root, "src", "Deconflict");
#if DEBUG
        const string Configuration = "Debug";
#else
        const string Configuration = "Release";
#endif
        // --no-build: the tests were built with the project; this runs what they built.
        var (exit, _, err) = await Run(here, "dotnet", "run", "--no-build", "-c", Configuration, "--project", project, "--", "record", "check", "--db", "rel.db");
        Assert.Equal(1, exit);
        Assert.Equal($"No database file {Path.Combine(here, "rel.db")}.", err.Trim());
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task The_packed_tool_installs_and_runs_with_the_server_settings()
    {
        var work = Path.Combine(Path.GetTempPath(), "deconflict-tests", Guid.NewGuid().ToString("N"));
        var packages = Path.Combine(work, "packages");
        var tools = Path.Combine(work, "tools");
        Directory.CreateDirectory(work);
        var pack = await Run(work, "dotnet", "pack", Path.Combine(Repository.Root, "src", "Deconflict"), "-c", "Release", "-o", packages);
        Assert.True(pack.Exit == 0, pack.Out + pack.Err);
        var install = await Run(work, "dotnet", "tool", "install", "--tool-path", tools, "--add-source", packages, "Deconflict");
        Assert.True(install.Exit == 0, install.Out + install.Err);

        var help = await Run(work, Path.Combine(tools, "deconflict"), "--help");
        Assert.Equal(0, help.Exit);
        Assert.Contains("  deconflict [command] [options]", help.Out, StringComparison.Ordinal);

        // The csproj's server settings travel in the tool's runtimeconfig.json.
        var config = JsonNode.Parse(await File.ReadAllTextAsync(Directory.GetFiles(tools, "deconflict.runtimeconfig.json", SearchOption.AllDirectories).Single()))!["runtimeOptions"]!["configProperties"]!;
        Assert.True(config["System.GC.Server"]!.GetValue<bool>());
        Assert.False(config["System.Runtime.TieredCompilation"]!.GetValue<bool>());
        Assert.Equal(0, config["System.Threading.ThreadPool.UnfairSemaphoreSpinLimit"]!.GetValue<int>());

        await AssertServesTheConsoleAsync(work, Path.Combine(tools, "deconflict"));
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task The_publish_profile_makes_one_self_contained_server_binary()
    {
        var work = Path.Combine(Path.GetTempPath(), "deconflict-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        var output = Path.Combine(work, "publish");
        var publish = await Run(work, "dotnet", "publish", Path.Combine(Repository.Root, "src", "Deconflict"), "-p:PublishProfile=linux-x64", "-o", output);
        Assert.True(publish.Exit == 0, publish.Out + publish.Err);
        Assert.False(File.Exists(Path.Combine(output, "deconflict.dll")));

        var help = await Run(work, Path.Combine(output, "deconflict"), "serve", "--help");
        Assert.Equal(0, help.Exit);
        Assert.Contains("deconflict serve [options]", help.Out, StringComparison.Ordinal);

        await AssertServesTheConsoleAsync(work, Path.Combine(output, "deconflict"));
    }

    /// <summary>`serve` from <paramref name="binary"/> serves the console at /, its page and its script, from its own assembly.</summary>
    private static async Task AssertServesTheConsoleAsync(string work, string binary)
    {
        var port = Infrastructure.TestServer.FreePort();
        var info = new ProcessStartInfo(binary) { WorkingDirectory = work, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "serve", "--db", Path.Combine(work, "console.db"), "--urls", $"http://127.0.0.1:{port}" })
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["DECONFLICT_ADMIN_TOKEN"] = "dcf_" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        using var server = Process.Start(info)!;
        var stdout = server.StandardOutput.ReadToEndAsync();
        var stderr = server.StandardError.ReadToEndAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
            string? page = null;
            for (var attempt = 0; attempt < 120 && page is null && !server.HasExited; attempt++)
            {
                try
                {
                    page = await http.GetStringAsync("/");
                }
                catch (HttpRequestException)
                {
                    await Task.Delay(250);
                }
            }

            Assert.True(page is not null, $"The server did not answer at /: {(server.HasExited ? await stderr : "still starting")}");
            Assert.Contains("<title>Deconflict console</title>", page, StringComparison.Ordinal);
            var script = System.Text.RegularExpressions.Regex.Match(page, "src=\"(/assets/[^\"]+\\.js)\"").Groups[1].Value;
            var served = await http.GetAsync(script);
            Assert.Equal(System.Net.HttpStatusCode.OK, served.StatusCode);
            Assert.Equal("text/javascript", served.Content.Headers.ContentType?.MediaType);
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
            await Task.WhenAll(stdout, stderr);
        }
    }

    private static IEnumerable<(string Path, Command Command)> Verbs(Command command, string path)
    {
        yield return (path, command);
        foreach (var sub in command.Subcommands)
        {
            foreach (var verb in Verbs(sub, $"{path} {sub.Name}"))
            {
                yield return verb;
            }
        }
    }

    private static async Task<(int Exit, string Out, string Err)> Run(string directory, string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        try
        {
            await p.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(10));
        }
        catch (TimeoutException)
        {
            p.Kill(entireProcessTree: true);
            throw;
        }

        return (p.ExitCode, await stdout, await stderr);
    }
}
