using System.Diagnostics;

namespace Deconflict.Tests.Cli;

/// <summary>
/// A following `deconflict` verb (events follow, alerts follow, line inbox --follow) run as the
/// real executable: its standard output and error read line by line as they come, and ended as a
/// person ends it, with Ctrl+C (SIGINT).
/// </summary>
internal sealed class CliFollower : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);
    private readonly Process _process;
    private readonly Task _reading;
    private readonly List<string> _out = [];
    private readonly List<string> _err = [];
    private readonly SemaphoreSlim _changed = new(0);

    private CliFollower(Process process)
    {
        _process = process;
        _reading = Task.WhenAll(Read(process.StandardOutput, _out), Read(process.StandardError, _err));
    }

    public static CliFollower Start(Uri? server, string token, params string[] args) => new(Process.Start(CliTests.Command(server, token, args))!);

    /// <summary>Every line written to standard output so far.</summary>
    public IReadOnlyList<string> Out
    {
        get
        {
            lock (_out)
            {
                return [.. _out];
            }
        }
    }

    /// <summary>Every line written to standard error so far.</summary>
    public IReadOnlyList<string> Err
    {
        get
        {
            lock (_err)
            {
                return [.. _err];
            }
        }
    }

    /// <summary>The first line of standard output (or error, with <paramref name="error"/>) that matches, waiting for it; fails after a minute.</summary>
    public async Task<string> LineAsync(Func<string, bool> match, bool error = false)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (true)
        {
            if ((error ? Err : Out).FirstOrDefault(match) is { } line)
            {
                return line;
            }

            var left = deadline - DateTime.UtcNow;
            Assert.True(left > TimeSpan.Zero, $"No such line within {Wait.TotalSeconds} s. Out:\n{string.Join('\n', Out)}\nErr:\n{string.Join('\n', Err)}");
            await _changed.WaitAsync(left < TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1));
        }
    }

    /// <summary>Sends Ctrl+C (SIGINT) and returns the exit code, once every line has been read.</summary>
    public async Task<int> InterruptAsync()
    {
        using (var kill = Process.Start("kill", ["-INT", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        await _process.WaitForExitAsync().WaitAsync(Wait);
        await _reading.WaitAsync(Wait);
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
        _changed.Dispose();
    }

    private async Task Read(StreamReader reader, List<string> lines)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (lines)
            {
                lines.Add(line);
            }

            try
            {
                _changed.Release();
            }
            catch (ObjectDisposedException)
            {
                // Disposed while the killed process's last lines were read: nobody waits any more.
            }
        }
    }
}
