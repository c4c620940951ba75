using System.Diagnostics;
using Deconflict.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Deconflict.Tests.Readme;

/// <summary>
/// Runs every ```sh block of README.md, in order, as a reader would from the repository's root:
/// with bash, in a fresh temporary directory holding a copy of the repository's files (those git
/// tracks or would track: a fresh clone, with the working tree's changes), with HOME there too (the
/// machine's NuGet package cache is kept), and <c>deconflict</c> on PATH as a shim that runs this
/// build's deconflict.dll. Variables a block exports (<c>DECONFLICT_SERVER</c>, a token taken from
/// <c>party add --json</c> with jq) are there for the blocks after it. Each block runs under
/// <c>set -eo pipefail</c>, so every command in it must succeed, and must end with exit 0 or the
/// status its directive names; a failure prints the block as run, its stdout and its stderr.
/// <para>
/// What the test does that a reader does by hand:
/// - <c>deconflict serve ...</c> (a server in the foreground of the reader's terminal) is started in
///   the background after stopping the one an earlier line started, and waited for on /healthz;
/// - a command that runs until stopped (<c>--follow</c>, <c>events follow</c>, <c>alerts follow</c>, <c>feed</c>,
///   <c>curl -N</c>) is run until it has printed its first output and 3 s more, then interrupted as by
///   Ctrl+C; it must not have failed by itself or printed a stack trace;
/// - every loopback port written as <c>127.0.0.1:PORT</c> (8080 and the others) is replaced by a free
///   one, the same one wherever the same port is written, so that the test never collides with
///   another server on the machine;
/// - <c>dotnet run --project src/Deconflict -- ARGS</c> is run as <c>deconflict ARGS</c>, the same
///   command, without building again.
/// </para>
/// <para>
/// Directives, in an HTML comment on the line just before a block's opening fence (invisible on the
/// rendered page), separated by ';':
/// - <c>&lt;!-- readme-test: skip: WHY --&gt;</c>: the block is not run; the reason is required. Only
///   for blocks that cannot run here: the quick start (CI runs exactly those commands, and
///   <c>dotnet test</c> inside a test would run this test again), what plays for minutes, and what
///   needs root or servers of the machine's own (the services and nginx of several nodes).
/// - <c>&lt;!-- readme-test: slow: WHY --&gt;</c>: the block is run only by the slow variant of this
///   test (<c>Category=Slow</c>), for a block that takes minutes but must still be proven, such as
///   installing the command (a Release build and pack: about 100 s on the 2-core machine under
///   load). Blocks after it must not depend on it: the shim gives them <c>deconflict</c>.
/// - <c>&lt;!-- readme-test: exit: N --&gt;</c>: the block's expected exit status (default 0).
/// - <c>&lt;!-- readme-test: stop-servers --&gt;</c>: stop the servers earlier blocks started before this
///   block runs, where the README asks the reader to (a check of a stopped server's files).
/// </para>
/// </summary>
public sealed class ReadmeCommandTests(ITestOutputHelper output)
{
    private static readonly TimeSpan BlockTimeout = TimeSpan.FromMinutes(5);

    [Fact]
    public Task Every_command_block_of_the_README_runs_in_order_against_a_fresh_server() => RunReadme(slow: false);

    [Fact]
    [Trait("Category", "Slow")]
    public Task Every_command_block_of_the_README_the_slow_ones_included_runs_in_order() => RunReadme(slow: true);

    private async Task RunReadme(bool slow)
    {
        var repository = Repository.Root;
        var blocks = ReadmeBlock.Parse(await File.ReadAllTextAsync(Path.Combine(repository, "README.md")));
        Assert.Contains(blocks, b => b.Skip is null);

        var root = Path.Combine(Path.GetTempPath(), "deconflict-tests", "readme-" + Guid.NewGuid().ToString("N"));
        var work = Path.Combine(root, "work");
        var harness = Path.Combine(root, "harness");
        var bin = Path.Combine(root, "bin");
        foreach (var directory in new[] { work, harness, bin, Path.Combine(root, "home") })
        {
            Directory.CreateDirectory(directory);
        }

        await CopyRepository(repository, work);
        var shim = Path.Combine(bin, "deconflict");
        await File.WriteAllTextAsync(shim, $"#!/bin/sh\nexec dotnet \"{typeof(ServerHost).Assembly.Location}\" \"$@\"\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(shim, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        var script = new ReadmeScript();
        var prelude = Path.Combine(harness, "prelude.sh");
        await File.WriteAllTextAsync(prelude, ReadmeScript.Prelude);
        var pids = Path.Combine(harness, "servers.pids");
        var env = Path.Combine(harness, "env.sh");
        await File.WriteAllTextAsync(pids, string.Empty);
        await File.WriteAllTextAsync(env, string.Empty);
        var variables = new Dictionary<string, string>
        {
            ["HOME"] = Path.Combine(root, "home"),
            ["PATH"] = bin + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH"),
            ["README_HARNESS"] = harness,
            ["README_PIDS"] = pids,
            ["README_ENV"] = env,
            ["README_DEFAULT_URL"] = script.DefaultUrl,
            ["DOTNET_NOLOGO"] = "1",
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["NUGET_PACKAGES"] = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"),
            ["NO_COLOR"] = "1",
        };

        try
        {
            // The tools the README's blocks use besides deconflict, checked first so that a machine
            // without one fails here, by name, rather than later with an empty token.
            var tools = await Bash(work, variables, "for t in curl jq openssl; do command -v $t >/dev/null || echo \"$t\"; done");
            Assert.True(tools.Out.Length == 0, $"The README's blocks need these commands, missing on this machine: {tools.Out.ReplaceLineEndings(" ")}");

            foreach (var (block, index) in blocks.Select((b, i) => (b, i)))
            {
                var name = $"README.md line {block.Line} ({block.Heading})";
                if (block.Skip is not null || (block.Slow is not null && !slow))
                {
                    output.WriteLine($"{name}: skipped: {block.Skip ?? block.Slow}");
                    continue;
                }

                if (block.StopServers)
                {
                    var stop = await Bash(work, variables, $"source \"{prelude}\"\nreadme_stop_servers\n");
                    Assert.True(stop.Exit == 0, $"stopping the servers before {name}: {stop.Err}");
                }

                var code = script.Rewrite(block.Code);
                var file = Path.Combine(harness, $"block-{index:00}.sh");
                await File.WriteAllTextAsync(file, $"source \"{prelude}\"\nsource \"{env}\"\ntrap 'export -p > \"$README_ENV\"' EXIT\nset -eo pipefail\n{code}");
                var run = await Bash(work, variables, file);
                output.WriteLine($"{name}: exit {run.Exit}\n{run.Out}{run.Err}");
                Assert.True(run.Exit == block.ExpectedExit,
                    $"{name} ended with exit {run.Exit}, not {block.ExpectedExit}.\n--- block as run:\n{code}\n--- stdout:\n{run.Out}\n--- stderr:\n{run.Err}");
            }
        }
        finally
        {
            foreach (var line in await File.ReadAllLinesAsync(pids))
            {
                StopProcess(int.Parse(line, System.Globalization.CultureInfo.InvariantCulture));
            }

            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    [Fact]
    public void Blocks_and_their_directives_are_read_from_the_markdown()
    {
        var blocks = ReadmeBlock.Parse("""
            # Title
            ```sh
            echo one
            ```
            ```text
            not a command
            ```
            ## Later
            <!-- readme-test: skip: CI runs it -->
            ```sh
            dotnet test
            ```
            <!-- readme-test: exit: 2; stop-servers -->
            ```sh
            false
            ```
            <!-- readme-test: slow: a Release build -->
            ```sh
            dotnet pack
            ```
            """);

        Assert.Equal(
            [new ReadmeBlock(2, "Title", "echo one", null, null, 0, false), new ReadmeBlock(10, "Later", "dotnet test", "CI runs it", null, 0, false),
                new ReadmeBlock(14, "Later", "false", null, null, 2, true), new ReadmeBlock(18, "Later", "dotnet pack", null, "a Release build", 0, false)],
            blocks);
        Assert.Throws<FormatException>(() => ReadmeBlock.Parse("<!-- readme-test: skip -->\n```sh\nls\n```\n"));
        Assert.Throws<FormatException>(() => ReadmeBlock.Parse("<!-- readme-test: timeout: 5 -->\n```sh\nls\n```\n"));
    }

    [Fact]
    public void Servers_and_long_running_commands_are_wrapped_and_ports_replaced()
    {
        var script = new ReadmeScript();
        var port = script.DefaultUrl[(script.DefaultUrl.LastIndexOf(':') + 1)..];
        var code = script.Rewrite("""
            # a comment with deconflict serve
            dotnet run --project src/Deconflict -- serve --db data/deconflict.db --urls http://127.0.0.1:8080 --policy notify
            deconflict serve --horizontal-buffer 3NM \
              --lookahead 120s
            export DECONFLICT_SERVER=http://127.0.0.1:8080
            deconflict alerts --follow --token "$RED_TOKEN"
            deconflict feed cot --listen 127.0.0.1:4242 --token "$RED_TOKEN"
            curl -N -H "Authorization: Bearer $RED_TOKEN" http://127.0.0.1:8080/v1/events
            deconflict line inbox \
              --follow
            deconflict op list
            DECONFLICT_ADMIN_TOKEN="$(openssl rand -base64 32)" deconflict serve --db x.db
            """);

        var lines = code.Split('\n');
        Assert.Equal("# a comment with deconflict serve", lines[0]);
        Assert.Equal($"readme_serve deconflict serve --db data/deconflict.db --urls http://127.0.0.1:{port} --policy notify", lines[1]);
        Assert.Equal("readme_serve deconflict serve --horizontal-buffer 3NM \\", lines[2]);
        Assert.Equal("  --lookahead 120s", lines[3]);
        Assert.Equal($"export DECONFLICT_SERVER=http://127.0.0.1:{port}", lines[4]);
        Assert.Equal("readme_long deconflict alerts --follow --token \"$RED_TOKEN\"", lines[5]);
        Assert.StartsWith("readme_long deconflict feed cot --listen 127.0.0.1:", lines[6], StringComparison.Ordinal);
        Assert.DoesNotContain(":4242", lines[6], StringComparison.Ordinal);
        Assert.Equal($"readme_long curl -N -H \"Authorization: Bearer $RED_TOKEN\" http://127.0.0.1:{port}/v1/events", lines[7]);
        Assert.Equal("readme_long deconflict line inbox \\", lines[8]);
        Assert.Equal("deconflict op list", lines[10]);
        Assert.Equal("readme_serve env DECONFLICT_ADMIN_TOKEN=\"$(openssl rand -base64 32)\" deconflict serve --db x.db", lines[11]);
    }

    private static async Task<(int Exit, string Out, string Err)> Bash(string directory, Dictionary<string, string> variables, string scriptOrFile)
    {
        var info = new ProcessStartInfo("bash")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("--noprofile");
        info.ArgumentList.Add("--norc");
        if (File.Exists(scriptOrFile))
        {
            info.ArgumentList.Add(scriptOrFile);
        }
        else
        {
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add(scriptOrFile);
        }

        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("DECONFLICT_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(name);
        }

        foreach (var (name, value) in variables)
        {
            info.Environment[name] = value;
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start bash");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(BlockTimeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return (-1, await stdout, await stderr + $"\nreadme-test: the block did not finish in {BlockTimeout.TotalMinutes} minutes and was killed.");
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>A server an earlier block started in the background and no block stopped.</summary>
    private static void StopProcess(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }
        catch (ArgumentException)
        {
        }
        catch (InvalidOperationException)
        {
        }
    }

    /// <summary>The files git tracks, or would (untracked but not ignored), as they are in the working tree.</summary>
    private static async Task CopyRepository(string from, string to)
    {
        var info = new ProcessStartInfo("git") { WorkingDirectory = from, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { "ls-files", "-z", "--cached", "--others", "--exclude-standard" })
        {
            info.ArgumentList.Add(arg);
        }

        using var git = Process.Start(info) ?? throw new InvalidOperationException("could not start git");
        var files = (await git.StandardOutput.ReadToEndAsync()).Split('\0', StringSplitOptions.RemoveEmptyEntries);
        await git.WaitForExitAsync();
        Assert.True(git.ExitCode == 0 && files.Length > 0, "git ls-files listed nothing: the test copies the repository's files with git");
        foreach (var file in files)
        {
            var source = Path.Combine(from, file);
            if (!File.Exists(source))
            {
                continue; // deleted in the working tree
            }

            var target = Path.Combine(to, file);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(source, target);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(target, File.GetUnixFileMode(source));
            }
        }
    }
}
