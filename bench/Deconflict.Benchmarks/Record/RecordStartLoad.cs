using System.Diagnostics;
using Deconflict.Benchmarks.Load;
using Deconflict.Benchmarks.Strategic;
using Deconflict.Record;
using Deconflict.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Deconflict.Benchmarks.Record;

/// <summary>
/// `record-start --entries N --declarations D`: seeds a record of N entries (D operations, each a row
/// and its entry, then conflict notices up to N) through the writer's session, then times, in
/// process: the full check (`record check --full`), the first server start (which checks every
/// entry: nothing was checked before), and a second start (incremental: only the served rows).
/// </summary>
public static class RecordStartLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        var entries = SubmissionLoad.Arg(args, "--entries", 1_000_000);
        var declarations = SubmissionLoad.Arg(args, "--declarations", 100_000);
        var directory = Path.Combine(Path.GetTempPath(), "deconflict-load", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var db = Path.Combine(directory, "record.db");
        try
        {
            Console.WriteLine($"Seeding {declarations:N0} operations and {entries - declarations:N0} other entries into {db} ...");
            var clock = Stopwatch.StartNew();
            var store = new SqliteStore(db);
            store.Migrate();
            await ConflictCheckBenchmarks.SeedAsync(store, declarations);
            await RecordSeed.AppendEventsAsync(store, entries - declarations);
            Console.WriteLine($"Seeded in {clock.Elapsed.TotalSeconds:F1} s.");

            using (var key = RecordKey.LoadOrCreate(db))
            {
                clock.Restart();
                var full = new RecordCheck(store, key, RecordAnchor.Load(db)).Run(full: true);
                Console.WriteLine($"Full check: {clock.Elapsed.TotalSeconds:F2} s ({full.EntriesChecked:N0} entries, {full.RowsChecked:N0} rows, {full.Failure ?? "passed"}).");
            }

            await store.DisposeAsync();
            SqliteConnection.ClearAllPools();

            // The full check kept its mark: start once with nothing checked, as a first start after an upgrade would.
            File.Delete(RecordAnchor.PathFor(db));
            foreach (var label in new[] { "first start (checks every entry)", "second start (incremental)" })
            {
                clock.Restart();
                var app = ServerHost.Build(new ServerSettings
                {
                    DatabasePath = db,
                    Urls = $"http://127.0.0.1:{SubmissionLoad.FreePort()}",
                    AdminToken = Deconflict.Api.Tokens.New(DateTimeOffset.UtcNow).Secret, // fresh per run: nothing reads it
                    Out = TextWriter.Null,
                    Quiet = true,
                });
                await app.StartAsync();
                Console.WriteLine($"{label}: listening after {clock.Elapsed.TotalSeconds:F2} s.");
                await app.StopAsync();
                await app.DisposeAsync();
                SqliteConnection.ClearAllPools();
            }

            return 0;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
