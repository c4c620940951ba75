using BenchmarkDotNet.Attributes;
using Deconflict.Core.Model;
using Deconflict.Core.Strategic;
using Deconflict.Declarations;
using Deconflict.Service;
using Deconflict.Storage;
using Deconflict.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Deconflict.Benchmarks.Strategic;

/// <summary>
/// The conflict check of one new operation against 100,000 stored ones, in process, exactly as the
/// server's writer runs it (<see cref="DeclarationCommands.DetectAsync"/>): the writer's in-memory grid
/// (loaded from the store's R*Tree) and the exact narrow phase, on a warm cache. The baseline runs
/// the same exact test against every stored operation. Each call checks the next of 1,024
/// different operations.
/// </summary>
[MemoryDiagnoser]
public class ConflictCheckBenchmarks : IDisposable
{
    private const int QueryCount = 1024;
    private string _directory = null!;
    private SqliteStore _store = null!;
    private IWriteSession _session = null!;
    private LiveDeclarations _declarations = null!;
    private DeclarationCommands _commands = null!;
    private Declaration[] _stored = null!;
    private Declaration[] _queries = null!;
    private int _next;

    [Params(100_000)]
    public int Stored { get; set; }

    [GlobalSetup]
    public async Task Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "deconflict-bench", Guid.NewGuid().ToString("N"));
        _store = new SqliteStore(Path.Combine(_directory, "bench.db"));
        _store.Migrate();
        _stored = await SeedAsync(_store, Stored);
        var scenario = new Scenario(seed: 7);
        _queries = [.. Enumerable.Range(0, QueryCount).Select(i => scenario.Operation($"q-{i}", "red"))];
        _commands = new DeclarationCommands(new DeconflictOptions());
        _session = _store.OpenWriteSession();
        await _session.BeginAsync();
        _declarations = new LiveDeclarations(_session.Declarations, new UndoJournal());
        await _declarations.BeginAsync();

        // Warm the decoded-volume cache the way a long-running server has it.
        foreach (var q in _queries)
        {
            await _commands.DetectAsync(_declarations, q);
        }
    }

    /// <summary>Writes n operations of party blue straight into the store, each with its record entry, as the server would have.</summary>
    public static async Task<Declaration[]> SeedAsync(IDeconflictStore store, int n)
    {
        var scenario = new Scenario(seed: 1);
        var stored = new Declaration[n];
        await using var s = store.OpenWriteSession();
        var log = new RecordLog();
        await s.BeginAsync();
        await log.BeginAsync(s.Record);
        foreach (var party in new[] { new Party("blue", "Blue", PartyRole.Party, Scenario.Start), new Party("red", "Red", PartyRole.Party, Scenario.Start) })
        {
            // Each row is followed by the entry it names, as the server writes them: a server
            // started on the store checks every served row against its entry.
            if (await s.Parties.GetAsync(party.Id) is null)
            {
                await s.Parties.InsertAsync(party);
                await log.AppendAsync(s.Record, Record.RecordSeed.PartyEvent(party), party.CreatedAt);
            }
        }

        for (var i = 0; i < n; i++)
        {
            stored[i] = scenario.Operation($"op-seed-{i:D7}", "blue");
            await s.Declarations.InsertAsync(stored[i]);
            await log.AppendAsync(s.Record, Record.RecordSeed.OperationEvent(stored[i]), stored[i].UpdatedAt);
        }

        await s.CommitAsync();
        return stored;
    }

    [Benchmark(Description = "check one operation: grid + exact, as the writer")]
    public async ValueTask<int> IndexedCheck()
    {
        var q = _queries[_next++ % QueryCount];
        return (await _commands.DetectAsync(_declarations, q)).Length;
    }

    [Benchmark(Baseline = true, Description = "check one operation: exact test against all")]
    public int AllPairsCheck()
    {
        var q = _queries[_next++ % QueryCount];
        return ConflictRules.Detect(q, _stored, new DeconflictOptions().StrategicBuffer).Length;
    }

    [GlobalCleanup]
    public void Dispose()
    {
        if (_session is null)
        {
            return;
        }

        // SQLite's session completes every call before it returns.
        _session.RollbackAsync().AsTask().GetAwaiter().GetResult();
        _session.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _session = null!;
        _store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
        GC.SuppressFinalize(this);
    }
}
