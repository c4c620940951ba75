using Deconflict.Core.Model;
using Deconflict.Service;
using Deconflict.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Deconflict.Tests.Service;

/// <summary>A real single writer on its own temporary SQLite file, for commands tested without HTTP.</summary>
public sealed class SqliteWriter : IAsyncDisposable
{
    /// <param name="clock">The writer's clock; the system clock when null, a fake one where a test moves time.</param>
    public SqliteWriter(TimeProvider? clock = null)
    {
        Directory.CreateDirectory(Folder);
        Store = new SqliteStore(Path.Combine(Folder, "store.db"));
        Store.Migrate();
        Queue = new WriteQueue(Store, clock ?? TimeProvider.System, new EventHub(), new DeconflictOptions(), NullLogger<WriteQueue>.Instance);
    }

    /// <summary>The file's directory, removed on dispose: other files a test needs go here too.</summary>
    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "deconflict-tests", Guid.NewGuid().ToString("N"));

    public SqliteStore Store { get; }

    public WriteQueue Queue { get; }

    /// <summary>Writes a test's starting state through the writer, as no party, so it is stored as the service would.</summary>
    public async Task SeedAsync(Func<WriteContext, Task> write) =>
        await Queue.Submit<bool>(null, async ctx =>
        {
            await write(ctx);
            return true;
        });

    /// <summary>Every event recorded, in order, as the admin sees them.</summary>
    public IReadOnlyList<StoredEvent> Events() => Store.ReadEvents(0, Callers.Admin, 100);

    public async ValueTask DisposeAsync()
    {
        await Queue.DisposeAsync();
        await Store.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(Folder, recursive: true);
    }
}
