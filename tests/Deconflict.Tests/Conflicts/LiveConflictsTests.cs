using System.Collections.Immutable;
using Deconflict.Conflicts;
using Deconflict.Core.Model;
using Deconflict.Core.Volumes;
using Deconflict.Storage;
using Deconflict.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Deconflict.Tests.Conflicts;

/// <summary>
/// The writer's index of live conflicts over a real SQLite store: through a long run of random
/// conflicts opened and resolved, savepoints, rollbacks, commits and a restart, it names the same
/// live conflicts of every declaration as the store's own query.
/// </summary>
public sealed class LiveConflictsTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "deconflict-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Through_random_writes_savepoints_and_rollbacks_the_index_answers_as_the_stores_query()
    {
        Directory.CreateDirectory(_directory);
        var path = Path.Combine(_directory, "store.db");
        var random = new Random(20261202);
        string[] declarations = [.. Enumerable.Range(0, 12).Select(i => $"op-{i}")];
        var opened = new List<string>();
        for (var life = 0; life < 2; life++)
        {
            // The second life reopens the file: the index starts from the stored live conflicts.
            await using var store = new SqliteStore(path);
            store.Migrate();
            await using var session = store.OpenWriteSession();
            var journal = new UndoJournal();
            var live = new LiveConflicts(session.Conflicts, journal);
            await session.BeginAsync();
            await live.BeginAsync();
            for (var step = 0; step < 250; step++)
            {
                switch (random.Next(10))
                {
                    case < 4:
                        var a = declarations[random.Next(declarations.Length)];
                        var b = declarations[random.Next(declarations.Length)];
                        var id = $"cf-{life}-{step:D3}";
                        await live.InsertAsync(Conflict(id, a, b));
                        opened.Add(id);
                        break;
                    case < 6 when opened.Count > 0:
                        if (await live.GetAsync(opened[random.Next(opened.Count)]) is { IsLive: true } c)
                        {
                            await live.UpdateAsync(c with { Version = c.Version + 1, State = ConflictState.Resolved, ResolvedAt = T0 });
                        }

                        break;
                    case 6:
                        var mark = journal.Mark;
                        await session.SavepointAsync();
                        await live.InsertAsync(Conflict($"cf-undone-{life}-{step:D3}", declarations[0], declarations[1]));
                        journal.Undo(mark);
                        await session.RollbackToSavepointAsync();
                        await session.ReleaseSavepointAsync();
                        break;
                    case < 9:
                        await session.CommitAsync();
                        journal.Clear();
                        await session.BeginAsync();
                        await live.BeginAsync();
                        break;
                    default:
                        journal.Undo(0);
                        await session.RollbackAsync();
                        opened.RemoveAll(i => store.GetConflict(i) is null);
                        await session.BeginAsync();
                        await live.BeginAsync();
                        break;
                }

                foreach (var d in declarations)
                {
                    Assert.Equal(Ids(await session.Conflicts.LiveOfAsync(d)), Ids(await live.LiveOfAsync(d)));
                }
            }

            await session.CommitAsync();
        }

        Assert.NotEmpty(opened);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    // In the order both give: creation (id) order.
    private static List<string> Ids(IEnumerable<Conflict> found) => [.. found.Select(c => c.Id)];

    private static Conflict Conflict(string id, string a, string b) => new(
        id, 1, ConflictState.Open, new ConflictRef(DeclarationKind.Operation, a, "blue", 1), new ConflictRef(DeclarationKind.Operation, b, "red", 1),
        new VolumeOverlap(T0, T0.AddHours(1), 0, 1000), ImmutableSortedDictionary<string, DateTimeOffset>.Empty, ImmutableSortedDictionary<string, DateTimeOffset>.Empty, T0, T0, null);
}
