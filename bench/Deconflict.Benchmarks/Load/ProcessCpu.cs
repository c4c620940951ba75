using System.Globalization;

namespace Deconflict.Benchmarks.Load;

/// <summary>
/// CPU time of processes from /proc/PID/stat (utime + stime, Linux only). A figure per unit of work
/// from it does not depend on how busy the rest of the machine is, unlike a latency or a rate.
/// Processes that come and go (PostgreSQL backends of a connection pool) are sampled: the last
/// value seen of each is kept, so one that exits during a run still counts up to its last sample.
/// </summary>
public sealed class ProcessCpu
{
    // USER_HZ: the unit of utime and stime. 100 on every Linux architecture .NET runs on.
    private const double TicksPerSecond = 100;

    private readonly Dictionary<int, long> _first = [];
    private readonly Dictionary<int, long> _last = [];

    /// <summary>The process's CPU seconds so far (user + system), or null when it is gone or unreadable.</summary>
    public static double? Seconds(int pid) => Ticks(pid) is { } t ? t / TicksPerSecond : null;

    /// <summary>Reads each process now; the first reading of a process is its baseline (0 for one first seen after <see cref="Begin"/>).</summary>
    public void Sample(IEnumerable<int> pids)
    {
        foreach (var pid in pids)
        {
            if (Ticks(pid) is not { } ticks)
            {
                continue;
            }

            // A process first seen after the start began within the run: all its time counts.
            _first.TryAdd(pid, _began ? 0 : ticks);
            _last[pid] = ticks;
        }
    }

    private bool _began;

    /// <summary>Takes the baselines of the processes given; any process first seen later counts from 0.</summary>
    public void Begin(IEnumerable<int> pids)
    {
        Sample(pids);
        _began = true;
    }

    /// <summary>CPU seconds used since each process's baseline, up to its last sample.</summary>
    public double Used => _last.Sum(kv => kv.Value - _first[kv.Key]) / TicksPerSecond;

    private static long? Ticks(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        // The command name (field 2) is in parentheses and may hold spaces: count fields after its
        // closing one. utime and stime are fields 14 and 15, so the 12th and 13th after it.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }
}
