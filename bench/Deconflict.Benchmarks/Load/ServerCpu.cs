namespace Deconflict.Benchmarks.Load;

/// <summary>
/// The servers' CPU over a measured run: the node processes, and on PostgreSQL the database's
/// backends serving them, sampled every half second while the run lasts (a pool opens and closes
/// them, and one that exits still counts up to its last sample).
/// </summary>
public sealed class ServerCpu : IAsyncDisposable
{
    private readonly ProcessCpu _nodes = new();
    private readonly ProcessCpu _backends = new();
    private readonly IReadOnlyList<int> _nodePids;
    private readonly BenchStore _bench;
    private readonly CancellationTokenSource _sampling = new();
    private readonly Task _sampler;
    private bool _stopped;

    private ServerCpu(IReadOnlyList<int> nodePids, BenchStore bench)
    {
        _nodePids = nodePids;
        _bench = bench;
        _nodes.Begin(nodePids);
        _backends.Begin(bench.BackendPids());
        _sampler = Task.Run(async () =>
        {
            while (!_sampling.IsCancellationRequested)
            {
                await Task.Delay(500, CancellationToken.None);
                _backends.Sample(bench.BackendPids());
            }
        });
    }

    /// <summary>CPU seconds of the node processes.</summary>
    public double Nodes => _nodes.Used;

    /// <summary>CPU seconds of PostgreSQL's backends serving the run's database (0 on SQLite).</summary>
    public double Backends => _backends.Used;

    /// <summary>Both together: the server side's CPU seconds.</summary>
    public double Used => Nodes + Backends;

    /// <summary>Takes the baselines now, and samples the backends until <see cref="StopAsync"/>.</summary>
    public static ServerCpu Start(IEnumerable<int> nodePids, BenchStore bench) => new([.. nodePids], bench);

    /// <summary>Takes the last readings and stops sampling: <see cref="Used"/> is then the run's.</summary>
    public async Task StopAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        _nodes.Sample(_nodePids);
        _backends.Sample(_bench.BackendPids());
        await _sampling.CancelAsync();
        await _sampler;
        _sampling.Dispose();
    }

    /// <summary>Stops sampling if <see cref="StopAsync"/> was not reached (a run that failed).</summary>
    public async ValueTask DisposeAsync() => await StopAsync();
}
