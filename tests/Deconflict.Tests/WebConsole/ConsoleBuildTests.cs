using System.Diagnostics;
using Deconflict.Tests.Infrastructure;

namespace Deconflict.Tests.WebConsole;

/// <summary>
/// The server's build makes the console with node and npm; on a machine without them it stops with
/// one line that says what to install (the build's first console step, run alone here).
/// </summary>
public sealed class ConsoleBuildTests
{
    [Fact]
    public async Task A_build_without_node_on_the_path_stops_with_one_line_saying_what_to_install()
    {
        // A PATH with the dotnet host and a shell, and neither node nor npm.
        var bin = Path.Combine(Path.GetTempPath(), "deconflict-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(bin);
        File.CreateSymbolicLink(Path.Combine(bin, "sh"), "/bin/sh");
        try
        {
            // The dotnet host that runs the tests (dotnet test names it in DOTNET_HOST_PATH).
            var dotnet = Path.GetDirectoryName(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? Environment.ProcessPath)!;
            var (exit, output) = await MsBuild(Path.Combine(dotnet, "dotnet"), $"{dotnet}:{bin}");

            Assert.Equal(1, exit);
            var errors = output.Split('\n').Where(l => l.Contains(": error", StringComparison.Ordinal)).Select(l => l.Trim()).Distinct().ToList();
            var error = Assert.Single(errors);
            Assert.EndsWith(
                "error : Building the console (src/console) needs Node.js 20 or later with npm, and `node` was not found on PATH. Install it (Debian: apt-get install nodejs npm) and build again.",
                error,
                StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(bin, recursive: true);
        }
    }

    private static async Task<(int Exit, string Output)> MsBuild(string dotnet, string path)
    {
        var info = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "msbuild", Path.Combine(Repository.Root, "src", "Deconflict", "Deconflict.csproj"), "-t:ConsoleNode", "-nologo", "-v:m" })
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["PATH"] = path;
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        return (p.ExitCode, await stdout + await stderr);
    }
}
