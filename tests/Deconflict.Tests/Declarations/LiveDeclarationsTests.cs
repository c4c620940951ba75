using System.Collections.Immutable;
using Deconflict.Core.Geometry;
using Deconflict.Core.Model;
using Deconflict.Core.Strategic;
using Deconflict.Core.Volumes;
using Deconflict.Declarations;
using Deconflict.Storage;
using Deconflict.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Deconflict.Tests.Declarations;

/// <summary>
/// The writer's index of live declarations over a real SQLite store: on a reopened database it
/// starts from the stored boxes and ends without deriving a stored outline, reads a stored
/// declaration when it is first a candidate, changed or ending, and keeps the expiry order through
/// changes and rollbacks of declarations it has not read. Through a long run of random writes,
/// savepoints and rollbacks it gives what the store's own queries give.
/// </summary>
public sealed class LiveDeclarationsTests : IDisposable
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
        var journal = new UndoJournal();
        var live = new LiveDeclarations(session.Declarations, journal);
        async Task<List<string>> Ended(DateTimeOffset now) => [.. (await live.EndedByAsync(now, 10)).Select(d => d.Id)];

        // Starting the index loads boxes and ends only.
        await session.BeginAsync();
        await live.BeginAsync();
        Assert.Equal(0, store.DecodedVolumeSets);

        // A check far from all of them reads none; one over op-2h reads it alone.
        Assert.Empty(await live.FindCandidatesAsync([VolumeBox.Of(Square(30, 30, T0.AddHours(1))[0])]));
        Assert.Equal(0, store.DecodedVolumeSets);
        Assert.Equal("op-2h", Assert.Single(await live.FindCandidatesAsync([VolumeBox.Of(Square(5, 5, T0.AddHours(1))[0])])).Id);
        Assert.Equal(1, store.DecodedVolumeSets);

        // The expiry order comes from the stored ends; only the ended one is read.
        Assert.Equal(["op-1h"], await Ended(T0.AddHours(1.5)));
        Assert.Equal(2, store.DecodedVolumeSets);

        // op-3h, never read, moved to end later and rolled back: it ends at its stored end again.
        var moved = Operation("op-3h", Square(9, 9, T0.AddHours(5))) with { Version = 2 };
        await live.UpdateAsync(moved);
        Assert.Equal(["op-1h", "op-2h"], await Ended(T0.AddHours(4)));
        journal.Undo(0);
        await session.RollbackAsync();
        await session.BeginAsync();
        await live.BeginAsync();
        Assert.Equal(["op-1h", "op-2h", "op-3h"], await Ended(T0.AddHours(4)));
        Assert.Equal(3, Assert.Single(await live.FindCandidatesAsync([VolumeBox.Of(Square(9, 9, T0.AddHours(1))[0])])).Volumes[0].TimeEnd.Hour);

        // Moved for good: it ends at its new end.
        await live.UpdateAsync(moved);
        await session.CommitAsync();
        journal.Clear();
        await session.BeginAsync();
        await live.BeginAsync();
        Assert.Equal(["op-1h", "op-2h"], await Ended(T0.AddHours(4)));
        Assert.Equal(["op-1h", "op-2h", "op-3h"], await Ended(T0.AddHours(5)));
        await session.CommitAsync();
    }

    [Fact]
    public async Task Through_random_writes_savepoints_and_rollbacks_the_index_answers_as_the_stores_queries()
    {
        Directory.CreateDirectory(_directory);
        await using var store = new SqliteStore(DatabasePath);
        store.Migrate();
        await using var session = store.OpenWriteSession();
        var journal = new UndoJournal();
        var live = new LiveDeclarations(session.Declarations, journal);
        var random = new Random(20261202);
        var ids = new List<string>();
        await session.BeginAsync();
        await live.BeginAsync();
        await session.Parties.InsertAsync(new Party("blue", "Blue", PartyRole.Party, T0));
        await session.Parties.InsertAsync(new Party("red", "Red", PartyRole.Party, T0));
        await session.CommitAsync();
        await session.BeginAsync();
        for (var step = 0; step < 400; step++)
        {
            switch (random.Next(10))
            {
                case < 4:
                    var id = $"op-{step}";
                    await live.InsertAsync(Operation(id, Square(random.NextDouble() * 4, random.NextDouble() * 4, T0.AddMinutes(random.Next(10, 600)))) with { Party = random.Next(2) == 0 ? "blue" : "red" });
                    ids.Add(id);
                    break;
                case < 6 when ids.Count > 0:
                    if (await live.GetAsync(DeclarationKind.Operation, ids[random.Next(ids.Count)]) is { IsLive: true } moved)
                    {
                        await live.UpdateAsync(moved with { Version = moved.Version + 1, Volumes = Square(random.NextDouble() * 4, random.NextDouble() * 4, T0.AddMinutes(random.Next(10, 600))) });
                    }

                    break;
                case 6 when ids.Count > 0:
                    if (await live.GetAsync(DeclarationKind.Operation, ids[random.Next(ids.Count)]) is { IsLive: true } cancelled)
                    {
                        await live.UpdateAsync(cancelled with { Version = cancelled.Version + 1, State = DeclarationState.Cancelled });
                    }

                    break;
                case 7:
                    // A request undone alone: written after a savepoint, then rolled back to it.
                    var mark = journal.Mark;
                    await session.SavepointAsync();
                    await live.InsertAsync(Operation($"op-undone-{step}", Square(random.NextDouble() * 4, random.NextDouble() * 4, T0.AddMinutes(random.Next(10, 600)))));
                    journal.Undo(mark);
                    await session.RollbackToSavepointAsync();
                    await session.ReleaseSavepointAsync();
                    break;
                case 8:
                    await session.CommitAsync();
                    journal.Clear();
                    await session.BeginAsync();
                    await live.BeginAsync();
                    break;
                default:
                    journal.Undo(0);
                    await session.RollbackAsync();
                    ids.RemoveAll(i => store.GetDeclaration(DeclarationKind.Operation, i) is null);
                    await session.BeginAsync();
                    await live.BeginAsync();
                    break;
            }

            var query = VolumeBox.Of(Square(random.NextDouble() * 4, random.NextDouble() * 4, T0.AddHours(10), half: 0.05 + random.NextDouble())[0]);
            Assert.Equal(Ids(await session.Declarations.FindCandidatesAsync([query])), Ids(await live.FindCandidatesAsync([query])));
            var now = T0.AddMinutes(random.Next(0, 600));
            var ended = await live.EndedByAsync(now, 1000);
            Assert.Equal(Ids(await session.Declarations.EndedByAsync(now, 1000)), Ids(ended));
            Assert.Equal(ended.Select(d => d.EndsAt).Order(), ended.Select(d => d.EndsAt));
            foreach (var party in new[] { "blue", "red" })
            {
                Assert.Equal(await session.Declarations.LiveCountAsync(party), await live.LiveCountAsync(party));
            }
        }

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

    private static List<string> Ids(IEnumerable<Declaration> found) => [.. found.Select(d => d.Id).Order(StringComparer.Ordinal)];

    private static ImmutableArray<Volume4D> Square(double lat, double lng, DateTimeOffset end, double half = 0.05)
    {
        var outline = OutlineFactory.Polygon([new(lat - half, lng - half), new(lat - half, lng + half), new(lat + half, lng + half), new(lat + half, lng - half)], new GeometryLimits());
        return [new Volume4D(outline.Outline!, 1000, 5000, T0, end)];
    }
}
