using System.Collections.Immutable;
using Deconflict.Core.Geometry;
using Deconflict.Core.Model;
using Deconflict.Core.Strategic;
using Deconflict.Core.Volumes;
using Deconflict.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Deconflict.Tests.Storage;

/// <summary>
/// The writer's session on a reopened database starts from the stored boxes and ends without
/// deriving a stored outline, reads a stored declaration when it is first a candidate, changed or
/// ending, and keeps the expiry order through changes and rollbacks of declarations it has not read.
/// </summary>
public sealed class LazyStartTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "deconflict-tests", Guid.NewGuid().ToString("N"));

    private string DatabasePath => Path.Combine(_directory, "store.db");

    [Fact]
    public async Task A_reopened_store_reads_stored_declarations_only_when_needed_and_still_ends_them_in_order()
    {
        Directory.CreateDirectory(_directory);
        await using (var first = new SqliteStore(DatabasePath))
        {
            first.Migrate();
            await using var s = first.OpenWriteSession();
            await s.BeginAsync();
            await s.Parties.InsertAsync(new Party("blue", "Blue", PartyRole.Party, T0));
            await s.Declarations.InsertAsync(Operation("op-1h", Square(1, 1, T0.AddHours(1))));
            await s.Declarations.InsertAsync(Operation("op-2h", Square(5, 5, T0.AddHours(2))));
            await s.Declarations.InsertAsync(Operation("op-3h", Square(9, 9, T0.AddHours(3))));
            await s.CommitAsync();
        }

        SqliteConnection.ClearAllPools();
        await using var store = new SqliteStore(DatabasePath);
        store.Migrate();
        await using var session = store.OpenWriteSession();
        async Task<List<string>> Ended(DateTimeOffset now) => [.. (await session.Declarations.EndedByAsync(now, 10)).Select(d => d.Id)];

        // Opening the session loads boxes and ends only.
        await session.BeginAsync();
        Assert.Equal(0, store.DecodedVolumeSets);

        // A check far from all of them reads none; one over op-2h reads it alone.
        Assert.Empty(await session.Declarations.FindCandidatesAsync([VolumeBox.Of(Square(30, 30, T0.AddHours(1))[0])]));
        Assert.Equal(0, store.DecodedVolumeSets);
        Assert.Equal("op-2h", Assert.Single(await session.Declarations.FindCandidatesAsync([VolumeBox.Of(Square(5, 5, T0.AddHours(1))[0])])).Id);
        Assert.Equal(1, store.DecodedVolumeSets);

        // The expiry order comes from the stored ends; only the ended one is read.
        Assert.Equal(["op-1h"], await Ended(T0.AddHours(1.5)));
        Assert.Equal(2, store.DecodedVolumeSets);

        // op-3h, never read, moved to end later and rolled back: it ends at its stored end again.
        var moved = Operation("op-3h", Square(9, 9, T0.AddHours(5))) with { Version = 2 };
        await session.Declarations.UpdateAsync(moved);
        Assert.Equal(["op-1h", "op-2h"], await Ended(T0.AddHours(4)));
        await session.RollbackAsync();
        await session.BeginAsync();
        Assert.Equal(["op-1h", "op-2h", "op-3h"], await Ended(T0.AddHours(4)));
        Assert.Equal(3, Assert.Single(await session.Declarations.FindCandidatesAsync([VolumeBox.Of(Square(9, 9, T0.AddHours(1))[0])])).Volumes[0].TimeEnd.Hour);

        // Moved for good: it ends at its new end.
        await session.Declarations.UpdateAsync(moved);
        await session.CommitAsync();
        await session.BeginAsync();
        Assert.Equal(["op-1h", "op-2h"], await Ended(T0.AddHours(4)));
        Assert.Equal(["op-1h", "op-2h", "op-3h"], await Ended(T0.AddHours(5)));
        await session.CommitAsync();
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static Declaration Operation(string id, ImmutableArray<Volume4D> volumes) =>
        new(DeclarationKind.Operation, id, "blue", 1, DeclarationState.Planned, 0, null, null, volumes, null, T0, T0);

    private static ImmutableArray<Volume4D> Square(double lat, double lng, DateTimeOffset end)
    {
        var outline = OutlineFactory.Polygon([new(lat - 0.05, lng - 0.05), new(lat - 0.05, lng + 0.05), new(lat + 0.05, lng + 0.05), new(lat + 0.05, lng - 0.05)], new GeometryLimits());
        return [new Volume4D(outline.Outline!, 1000, 5000, T0, end)];
    }
}
