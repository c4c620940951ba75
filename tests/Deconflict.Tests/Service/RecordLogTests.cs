using Deconflict.Core.Model;
using Deconflict.Core.Record;
using Deconflict.Service;
using Deconflict.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Deconflict.Tests.Service;

/// <summary>
/// The writer's record log on a real SQLite file: a log whose store was appended to by another
/// writer (another node, on PostgreSQL) takes the stored frontier again before it appends, and the
/// tree it leaves is the one the stored leaves make (a whole tree in memory, rebuilt from them).
/// </summary>
public sealed class RecordLogTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "deconflict-tests", Guid.NewGuid().ToString("N"));
    private readonly SqliteStore _store;

    public RecordLogTests()
    {
        Directory.CreateDirectory(_directory);
        _store = new SqliteStore(Path.Combine(_directory, "store.db"));
        _store.Migrate();
    }

    [Fact]
    public async Task A_log_behind_the_store_loads_the_frontier_again_and_continues_the_same_tree()
    {
        var mine = new RecordLog();
        await AppendAsync(mine, 3, "mine");
        await AppendAsync(new RecordLog(), 5, "other");

        var appended = await AppendAsync(mine, 2, "mine again");

        Assert.Equal([9L, 10L], appended.Select(e => e.Sequence));
        var leaves = _store.ReadRecord(0, 100);
        Assert.Equal(10, leaves.Count);
        var reference = new MemoryMerkleNodes();
        foreach (var leaf in leaves)
        {
            Assert.Equal(MerkleTree.LeafHash(leaf.Entry), leaf.LeafHash);
            reference.Append(leaf.LeafHash);
        }

        Assert.Equal(Convert.ToHexString(reference.Root()), Convert.ToHexString(_store.RecordRoot(10)));
        Assert.Equal(Convert.ToHexString(reference.Root()), Convert.ToHexString((await HeadAfterBeginAsync(mine)).Root));
    }

    [Fact]
    public async Task Appending_without_taking_the_grown_record_first_is_refused_and_writes_nothing()
    {
        var mine = new RecordLog();
        await AppendAsync(mine, 2, "mine");
        await AppendAsync(new RecordLog(), 1, "other");

        await using (var session = _store.OpenWriteSession())
        {
            await session.BeginAsync();
            var refused = await Assert.ThrowsAsync<InvalidOperationException>(async () => await mine.AppendAsync(session.Record, Event("late"), T0));
            Assert.Equal("The record holds 3 entries but the writer's frontier 2: the transaction did not begin through the record log.", refused.Message);
            Assert.Equal(3, session.Record.Size);
            await session.RollbackAsync();
        }

        Assert.Equal(3, _store.LastEventSequence());
    }

    public void Dispose()
    {
        _store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private static DomainEvent Event(string payload) => new("operation", "blue", [], $"{{\"n\":\"{payload}\"}}");

    private async Task<List<StoredEvent>> AppendAsync(RecordLog log, int count, string payload)
    {
        await using var session = _store.OpenWriteSession();
        await session.BeginAsync();
        await log.BeginAsync(session.Record);
        var appended = new List<StoredEvent>();
        for (var i = 0; i < count; i++)
        {
            appended.Add(await log.AppendAsync(session.Record, Event(payload), T0));
        }

        await session.CommitAsync();
        log.Committed();
        return appended;
    }

    private async Task<(long Size, byte[] Root)> HeadAfterBeginAsync(RecordLog log)
    {
        await using var session = _store.OpenWriteSession();
        await session.BeginAsync();
        await log.BeginAsync(session.Record);
        var head = log.Head();
        await session.RollbackAsync();
        return head;
    }
}
