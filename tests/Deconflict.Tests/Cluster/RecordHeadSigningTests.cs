using Deconflict.Core.Model;
using Deconflict.Record;
using Deconflict.Service;
using Deconflict.Storage.Postgres;
using Deconflict.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Deconflict.Tests.Cluster;

/// <summary>
/// Heads signed on request may be signed by any node (POST /v1/record/head): two nodes, each its
/// own store, writer and anchor with the service's one key, on one fresh PostgreSQL database, sign
/// at the same moment. The newest head is read inside the write, under the head lock, so the
/// second signer of an unchanged record gets the first one's head, never a second head of one size.
/// </summary>
public sealed class RecordHeadSigningTests : IAsyncLifetime
{
    private const int Rounds = 8;

    private readonly List<IAsyncDisposable> _owned = [];
    private readonly List<IDisposable> _disposed = [];
    private PostgresDatabase? _database;
    private DirectoryInfo? _keys;

    public async Task InitializeAsync()
    {
        _database = await PostgresDatabase.CreateAsync();
        _keys = Directory.CreateTempSubdirectory("deconflict-heads-");
    }

    public async Task DisposeAsync()
    {
        foreach (var d in _disposed)
        {
            d.Dispose();
        }

        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }

        await _database!.DisposeAsync();
        _keys!.Delete(recursive: true);
    }

    [Fact]
    public async Task Two_nodes_signing_an_unchanged_record_at_once_make_exactly_one_head_of_its_size()
    {
        var key = RecordKey.Create(Path.Combine(_keys!.FullName, RecordKey.FileName));
        var (alpha, alphaWrites) = Node(key, "alpha");
        var (bravo, _) = Node(key, "bravo");

        for (var round = 0; round < Rounds; round++)
        {
            // Round 0 signs the empty record; each later one a record one entry longer.
            if (round > 0)
            {
                await alphaWrites.Submit<bool>(null, async ctx =>
                {
                    await ctx.EmitAsync(new DomainEvent("test", null, [], $$"""{"round":{{round}}}"""));
                    return true;
                });
            }

            using var start = new Barrier(2);
            var signed = await Task.WhenAll(
                Task.Run(() => { start.SignalAndWait(); return alpha.SignAsync(); }),
                Task.Run(() => { start.SignalAndWait(); return bravo.SignAsync(); }));

            Assert.Equal(round, signed[0].Size);
            Assert.Equal(signed[0].Size, signed[1].Size);
            Assert.Equal(signed[0].RootHash, signed[1].RootHash);
            Assert.Equal(signed[0].Signature, signed[1].Signature);
            Assert.Equal(1L, await ScalarAsync($"SELECT count(*) FROM record_heads WHERE size = {round}"));
        }

        Assert.Equal((long)Rounds, await ScalarAsync("SELECT count(*) FROM record_heads"));
        Assert.Equal((long)Rounds, await ScalarAsync("SELECT count(DISTINCT size) FROM record_heads"));

        // Asked again with nothing appended, either node returns the newest head.
        var again = await bravo.SignAsync();
        Assert.Equal(Rounds - 1, again.Size);
        Assert.Equal((long)Rounds, await ScalarAsync("SELECT count(*) FROM record_heads"));
    }

    private (RecordHeads Heads, WriteQueue Writes) Node(RecordKey key, string name)
    {
        var store = new PostgresStore(_database!.ConnectionString);
        _owned.Add(store);
        store.Migrate();
        var options = new DeconflictOptions();
        var hub = new EventHub();
        var writes = new WriteQueue(store, TimeProvider.System, hub, options, NullLogger<WriteQueue>.Instance);
        _owned.Add(writes);
        var anchor = RecordAnchor.LoadFile(Path.Combine(_keys!.FullName, name + "-" + RecordAnchor.FileName));
        var heads = new RecordHeads(store, writes, hub, key, anchor, options, TimeProvider.System, new FakeCluster(), NullLogger<RecordHeads>.Instance);
        _disposed.Add(heads);
        return (heads, writes);
    }

    private async Task<object?> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_database!.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }
}
