using Deconflict.Service;
using Deconflict.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Deconflict.Tests.Service;

/// <summary>A real single writer on its own temporary SQLite file, for commands tested without HTTP.</summary>
public sealed class SqliteWriter : IAsyncDisposable
{
    public SqliteWriter()
    {
        Directory.CreateDirectory(Folder);
        Store = new SqliteStore(Path.Combine(Folder, "store.db"));
        Store.Migrate();
        Queue = new WriteQueue(Store, TimeProvider.System, new EventHub(), new DeconflictOptions(), NullLogger<WriteQueue>.Instance);
    }

    /// <summary>The file's directory, removed on dispose: other files a test needs go here too.</summary>
    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "deconflict-tests", Guid.NewGuid().ToString("N"));

    public SqliteStore Store { get; }

    public WriteQueue Queue { get; }

    public async ValueTask DisposeAsync()
    {
        await Queue.DisposeAsync();
        await Store.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(Folder, recursive: true);
    }
}
