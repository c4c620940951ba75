using Deconflict.Core.Model;
using Deconflict.Service;
using Deconflict.Storage.Postgres;
using Deconflict.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Deconflict.Tests.Storage;

/// <summary>
/// A write on PostgreSQL awaits the server at every statement; each await comes back to the
/// writer's own thread (<see cref="WriterThreadContext"/>), so a batch never runs on, nor waits for,
/// the thread pool, and its writes commit as on SQLite.
/// </summary>
public sealed class PostgresWriterThreadTests : IAsyncLifetime
{
    private static readonly string[] Parties = ["blue", "red", "green"];

    private PostgresDatabase? _database;

    public async Task InitializeAsync() => _database = await PostgresDatabase.CreateAsync();

    public async Task DisposeAsync() => await _database!.DisposeAsync();

    [Fact]
    public async Task Every_await_of_a_write_on_postgresql_continues_on_the_writers_thread()
    {
        await using var store = new PostgresStore(_database!.ConnectionString);
        store.Migrate();
        await using var writes = new WriteQueue(store, TimeProvider.System, new EventHub(), new DeconflictOptions(), NullLogger<WriteQueue>.Instance);

        var threads = new List<int>();
        var written = await writes.Submit<int>(null, async ctx =>
        {
            threads.Add(Environment.CurrentManagedThreadId);
            foreach (var id in Parties)
            {
                await ctx.Store.Parties.InsertAsync(new Party(id, id, PartyRole.Party, ctx.Now));
                threads.Add(Environment.CurrentManagedThreadId);
                await ctx.EmitAsync(new DomainEvent("party", null, [], $$"""{"party":"{{id}}"}"""));
                threads.Add(Environment.CurrentManagedThreadId);
            }

            return threads.Count;
        });

        Assert.Equal(7, written.Value);
        Assert.Single(threads.Distinct());
        Assert.NotEqual(Environment.CurrentManagedThreadId, threads[0]);
        Assert.Equal(["blue", "green", "red"], store.ListParties().Select(p => p.Id));
        Assert.Equal(3, store.LastEventSequence());
    }
}
