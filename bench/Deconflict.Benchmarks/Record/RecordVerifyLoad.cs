using System.Diagnostics;
using Deconflict.Benchmarks.Load;
using Deconflict.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Deconflict.Benchmarks.Record;

/// <summary>
/// `record-verify --entries N`: seeds a record of N events (each about 700 bytes of payload, visible
/// to the verifying party) through the writer's session, starts `deconflict serve` on it as its own
/// process on loopback, signs a head, and times `deconflict record verify` run as a third process
/// with that party's token: head, every leaf and entry, the root, and the party's whole stream.
/// </summary>
public static class RecordVerifyLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        var entries = SubmissionLoad.Arg(args, "--entries", 1_000_000);
        var directory = Path.Combine(Path.GetTempPath(), "deconflict-load", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var db = Path.Combine(directory, "record.db");
        const string admin = "dcf_load-admin-secret-of-the-benchmarks-0123456789ab";
        try
        {
            Console.WriteLine($"Seeding {entries:N0} events into {db} ...");
            var clock = Stopwatch.StartNew();
            var store = new SqliteStore(db);
            store.Migrate();
            var secret = (await SubmissionLoad.PartyTokensAsync(store, "blue"))["blue"];
            await RecordSeed.AppendEventsAsync(store, entries);
            await store.DisposeAsync();
            SqliteConnection.ClearAllPools();
            Console.WriteLine($"Seeded in {clock.Elapsed.TotalSeconds:F1} s ({entries / clock.Elapsed.TotalSeconds:N0} appends/s, durable batches of 10,000).");

            var port = SubmissionLoad.FreePort();
            using var server = SubmissionLoad.StartServer(db, port, admin);
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", admin);
            await SubmissionLoad.WaitHealthy(http, server);
            (await http.PostAsync("v1/record/head", null)).EnsureSuccessStatusCode();

            var info = new ProcessStartInfo("dotnet") { UseShellExecute = false };
            foreach (var a in new[] { "exec", Path.Combine(AppContext.BaseDirectory, "deconflict.dll"), "record", "verify", "--server", $"http://127.0.0.1:{port}", "--token", secret })
            {
                info.ArgumentList.Add(a);
            }

            clock.Restart();
            using var verify = Process.Start(info)!;
            await verify.WaitForExitAsync();
            var elapsed = clock.Elapsed;
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
            Console.WriteLine();
            Console.WriteLine($"record verify of {entries:N0} entries: exit {verify.ExitCode}, {elapsed.TotalSeconds:F1} s");
            return verify.ExitCode;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }
}
