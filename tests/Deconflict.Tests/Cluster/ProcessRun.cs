using System.Diagnostics;

namespace Deconflict.Tests.Cluster;

/// <summary>Runs a command of the machine (initdb, chown) to its end, for the servers the cluster tests start of their own.</summary>
internal static class ProcessRun
{
    /// <summary>Runs the command and fails with its output unless it exits 0 within 120 s.</summary>
    public static async Task<string> RunAsync(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        var all = await output + await error;
        return process.ExitCode == 0 ? all : throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {process.ExitCode}: {all}");
    }

    /// <summary>Starts a long-running command, each line of its output to <paramref name="output"/> (read, so it never blocks on a full pipe).</summary>
    public static Process Start(Action<string> output, string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        process.OutputDataReceived += (_, e) => Forward(output, e.Data);
        process.ErrorDataReceived += (_, e) => Forward(output, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static void Forward(Action<string> output, string? line)
    {
        if (line is not null)
        {
            output(line);
        }
    }

    /// <summary>SIGKILL to the process and everything it started, and wait for them to be gone.</summary>
    public static void Kill(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        process.WaitForExit(10_000);
    }
}
