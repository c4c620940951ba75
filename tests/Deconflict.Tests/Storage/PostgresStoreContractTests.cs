using Deconflict.Storage;
using Deconflict.Storage.Postgres;
using Deconflict.Tests.Infrastructure;

namespace Deconflict.Tests.Storage;

/// <summary>The store contract on PostgreSQL + PostGIS: a fresh database per test.</summary>
public sealed class PostgresStoreContractTests : StoreContract
{
    private PostgresDatabase? _database;

    protected override async Task<IDeconflictStore> CreateEmptyStoreAsync()
    {
        _database = await PostgresDatabase.CreateAsync();
        return new PostgresStore(_database.ConnectionString);
    }

    // A database no node has yet taken the lease of.
    protected override long? FreshLeaseEpoch => 0;

    protected override async Task DeleteStoreAsync()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
