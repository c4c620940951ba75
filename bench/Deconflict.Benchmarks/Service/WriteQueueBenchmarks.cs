using BenchmarkDotNet.Attributes;
using Deconflict.Service;
using Deconflict.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Deconflict.Benchmarks.Service;

/// <summary>
/// The single writer's own cost per request: 256 requests submitted at once, each changing
/// nothing, so the batches commit without an fsync and what is measured is the queue (submit,
/// hand-over to the writer thread, batching, answering), not SQLite. The database is on /dev/shm
/// when there is one. The requests are one party's (counted against its share: 256 is within the
/// default share of a party writing alone, 512).
/// </summary>
[MemoryDiagnoser]
public class WriteQueueBenchmarks : IDisposable
{
    private const int Requests = 256;
    private const string Party = "blue";
    private readonly Task<Outcome<bool>>[] _tasks = new Task<Outcome<bool>>[Requests];
    private string _directory = null!;
    private SqliteStore _store = null!;
    private WriteQueue _queue = null!;

    [GlobalSetup]
    public void Setup()
    {
        var root = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        _directory = Path.Combine(root, "deconflict-bench", Guid.NewGuid().ToString("N"));
        _store = new SqliteStore(Path.Combine(_directory, "bench.db"));
        _store.Migrate();
        _queue = new WriteQueue(_store, TimeProvider.System, new EventHub(), new DeconflictOptions(), NullLogger<WriteQueue>.Instance);
    }

    [Benchmark(OperationsPerInvoke = Requests)]
    public async Task Submit()
    {
        for (var i = 0; i < Requests; i++)
        {
            _tasks[i] = _queue.Submit<bool>(Party, _ => new(true));
        }

        await Task.WhenAll(_tasks);
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _queue.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
        GC.SuppressFinalize(this);
    }
}
