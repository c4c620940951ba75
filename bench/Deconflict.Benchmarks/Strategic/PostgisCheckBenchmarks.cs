using BenchmarkDotNet.Attributes;
using Deconflict.Benchmarks.Load;
using Deconflict.Core.Model;
using Deconflict.Core.Strategic;
using Deconflict.Core.Volumes;
using Deconflict.Service;
using Deconflict.Storage;

namespace Deconflict.Benchmarks.Strategic;

/// <summary>
/// The conflict check of <see cref="ConflictCheckBenchmarks"/> (the same 100,000 stored operations
/// and the same 1,024 queries) with the PostgreSQL store's broad phase instead of the writer's
/// in-memory grid: the store's <see cref="IStoreReader.FindCandidates"/> (a PostGIS query, one round
/// trip on loopback) and then the same exact test. Its own fresh database on the PostgreSQL server
/// of the tests (env <c>DECONFLICT_TEST_POSTGRES</c>), dropped at the end, seeded or copied from
/// a template database (env <c>DECONFLICT_BENCH_TEMPLATE</c>). Run it beside
/// `*ConflictCheck*` so both come from one run on the same machine.
/// </summary>
[MemoryDiagnoser]
public class PostgisCheckBenchmarks : IDisposable
{
    private const int QueryCount = 1024;
    private BenchStore _bench = null!;
    private IDeconflictStore _store = null!;
    private Declaration[] _queries = null!;
    private VolumeBox[][] _boxes = null!;
    private Separation _buffer;
    private int _next;

    [Params(100_000)]
    public int Stored { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        // Seeding 100,000 operations into PostgreSQL takes minutes: DECONFLICT_BENCH_TEMPLATE names
        // a database made by `seed-template --stored 100000` to copy instead.
        var template = Environment.GetEnvironmentVariable("DECONFLICT_BENCH_TEMPLATE");
        _bench = BenchStore.CreateAsync(template is null ? ["--store", "postgres"] : ["--store", "postgres", "--template", template]).GetAwaiter().GetResult();
        _store = _bench.Open();
        _store.Migrate();
        if (template is null)
        {
            ConflictCheckBenchmarks.SeedAsync(_store, Stored).GetAwaiter().GetResult();
        }
        var scenario = new Scenario(seed: 7);
        _queries = [.. Enumerable.Range(0, QueryCount).Select(i => scenario.Operation($"q-{i}", "red"))];
        _buffer = new DeconflictOptions().StrategicBuffer;

        // The boxes around each query with the buffer, as the writer and /check make them.
        _boxes = [.. _queries.Select(q => q.Volumes.Select(v => VolumeBox.Around(v, _buffer)).ToArray())];

        // Warm the store's caches and the database's pages the way a long-running server has them.
        for (var i = 0; i < QueryCount; i++)
        {
            Check(i);
        }
    }

    [Benchmark(Description = "check one operation: PostGIS query + exact")]
    public int PostgisCheck() => Check(_next++ % QueryCount);

    private int Check(int i) => ConflictRules.DetectAmong(_queries[i], _store.FindCandidates(_boxes[i]), _buffer).Length;

    [GlobalCleanup]
    public void Dispose()
    {
        if (_bench is null)
        {
            return;
        }

        _store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _bench.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _bench = null!;
        GC.SuppressFinalize(this);
    }
}
