using System.CommandLine;
using System.Text.Json.Nodes;
using Deconflict.Core.Record;

namespace Deconflict.Cli;

/// <summary>`deconflict record`: the tamper-evident record.</summary>
public static partial class CliApp
{
    private static Command RecordCommands(ClientOptions o)
    {
        var key = new Command("key", "Print the record's signed-note verifier key (name+keyhash+base64key)")
            .WithExamples("deconflict record key --token \"$BLUE_TOKEN\"");
        key.SetAction(parse => o.Run(parse, async api =>
        {
            var text = await api.Text("v1/record/key");
            return (new JsonObject { ["verifier_key"] = text.Trim() }, text.Trim());
        }));

        var state = new Option<FileInfo?>("--state") { Description = "Keep the verified head here; the next run checks the record is consistent with it" };
        var export = new Option<FileInfo?>("--export") { Description = "Verify an export file offline instead of a server (needs --key or --state: the key an export carries proves nothing)" };
        var logKey = new Option<string?>("--key") { Description = "The log's verifier key, as `deconflict record key` printed it: the record must be signed under it" };
        var verify = new Command("verify", "Verify the record: head signature, every leaf, the root, consistency with the last run, and your event stream") { state, export, logKey };
        verify.WithExamples(
            "deconflict record verify --state blue-record.json --token \"$BLUE_TOKEN\"",
            "deconflict record verify --export blue-record.jsonl --key \"$LOG_KEY\"");
        verify.SetAction((parse, ct) => Reported(async () =>
        {
            var statePath = parse.GetValue(state);
            var exportPath = parse.GetValue(export);
            if (statePath is not null && Directory.Exists(statePath.FullName))
            {
                throw new CliException($"--state {statePath.FullName} is a directory; give a file, like {Path.Combine(statePath.FullName, "record-state.json")}.", exitCode: 2);
            }

            if (exportPath is not null && Directory.Exists(exportPath.FullName))
            {
                throw new CliException($"--export {exportPath.FullName} is a directory; give the file `deconflict record export` wrote.", exitCode: 2);
            }
            VerifiedState? previous = null;
            if (statePath is { Exists: true })
            {
                previous = await VerifiedStateFile.ReadAsync(statePath.FullName, ct);
                Console.WriteLine($"Last verified: {previous.Size:N0} entries, root {previous.RootHash}.");
            }

            var given = parse.GetValue(logKey)?.Trim();
            if (given is not null && SignedNote.ParseVerifierKey(given) is null)
            {
                throw new CliException($"--key '{given}' is not a signed-note verifier key (name+keyhash+base64key, as `deconflict record key` prints it).");
            }

            var verifier = new RecordVerifier(Console.Out);
            VerifiedState? verified;
            if (exportPath is not null)
            {
                if (!exportPath.Exists)
                {
                    throw new CliException($"No export file {exportPath.FullName}.");
                }

                // Anyone can sign an export with a key of their own: the log's key must come from elsewhere.
                var trusted = given ?? previous?.VerifierKey
                    ?? throw new CliException("Give the log's key with --key (as `deconflict record key` prints it from the server) or --state with the state file of an earlier verify: the key inside an export proves nothing.");
                Console.WriteLine($"Verifying the export {exportPath.FullName} offline.");
                var snapshot = RecordSources.FromExport(exportPath.FullName);
                RequireKey(snapshot, trusted, given is not null ? "--key" : "the state file");
                verified = verifier.Verify(snapshot, previous);
            }
            else
            {
                var (server, token) = o.Connection(parse);
                Console.WriteLine($"Verifying the record of {server}.");
                var (snapshot, http) = await Reachable(server, () => RecordSources.FromServerAsync(server, token));
                using (http)
                {
                    if (given is not null)
                    {
                        RequireKey(snapshot, given, "--key");
                    }

                    verified = verifier.Verify(snapshot, previous);
                }
            }

            if (verified is null)
            {
                await Console.Error.WriteLineAsync($"Record verification FAILED: {verifier.Failures.Count} problem(s).");
                return 1;
            }

            if (statePath is not null)
            {
                try
                {
                    await VerifiedStateFile.WriteAsync(statePath.FullName, verified, ct);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new CliException($"The record verified, but the state file {statePath.FullName} cannot be written: {CliUsage.Plain(e.Message.ReplaceLineEndings(" "))}");
                }
            }

            Console.WriteLine($"Record verified: {verified.Size:N0} entries, root {verified.RootHash}.");
            return 0;
        }));

        var outFile = new Option<FileInfo>("--out") { Description = "Export file to write (JSON Lines)", Required = true };
        var exportCommand = new Command("export", "Download the head, every leaf you may see and your event stream into a file, for offline verification") { outFile };
        exportCommand.WithExamples("deconflict record export --out blue-record.jsonl --token \"$BLUE_TOKEN\"");
        exportCommand.SetAction(parse => o.Run(parse, async _ =>
        {
            var (server, token) = o.Connection(parse);
            var path = parse.GetValue(outFile)!.FullName;
            if (Directory.Exists(path))
            {
                throw new CliException($"--out {path} is a directory; give a file, like {Path.Combine(path, "record.jsonl")}.", exitCode: 2);
            }

            long count;
            try
            {
                count = await Reachable(server, () => RecordSources.ExportAsync(server, token, path, Console.Out));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliException($"Cannot write the export {path}: {CliUsage.Plain(e.Message.ReplaceLineEndings(" "))}");
            }

            return (new JsonObject { ["file"] = path, ["leaves"] = count }, $"Exported {count:N0} leaves to {path}. Verify it with: deconflict record verify --export {path} --key KEY (the log's key as `deconflict record key` prints it; never one taken from the file).");
        }));
        return new Command("record", "The tamper-evident record") { key, verify, exportCommand, CheckCommand() };
    }

    /// <summary>`record check --db PATH [--full]`: the server's own check of its files (docs/record.md, "Served state"), offline.</summary>
    private static Command CheckCommand()
    {
        var db = new Option<string>("--db") { Description = "The stopped server's SQLite database file", Required = true };
        var full = new Option<bool>("--full") { Description = "Check every entry, head and row from the first, not only what changed since the last check" };
        var check = new Command("check", "Check a server's files: the record against its signed heads, and every served row against the entry that made it") { db, full };
        check.WithExamples("deconflict record check --db data/deconflict.db", "deconflict record check --db data/deconflict.db --full");
        check.SetAction(parse =>
        {
            var path = Path.GetFullPath(parse.GetValue(db)!);
            if (Directory.Exists(path))
            {
                Console.Error.WriteLine(IsDirectory(path));
                return 1;
            }

            if (!File.Exists(path))
            {
                Console.Error.WriteLine($"No database file {path}.");
                return 1;
            }

            if (!File.Exists(Record.RecordKey.PathFor(path)))
            {
                Console.Error.WriteLine($"No record key file {Record.RecordKey.PathFor(path)}: the record's heads cannot be checked without it.");
                return 1;
            }

            try
            {
                var store = new Storage.Sqlite.SqliteStore(path, stated: Record.StatedEvents.Instance);
                store.Migrate();
                using var recordKey = Record.RecordKey.LoadOrCreate(path);
                var anchor = Record.RecordAnchor.Load(path);
                var isFull = parse.GetValue(full);
                Console.WriteLine($"Checking the record of {path} ({(isFull ? "every entry" : $"from entry {anchor.Verified:N0}")}) under the key {recordKey.VerifierKey}.");
                var result = new Record.RecordCheck(store, recordKey, anchor, Console.Out).Run(isFull);
                store.DisposeAsync().AsTask().GetAwaiter().GetResult();
                if (!result.Ok)
                {
                    Console.Error.WriteLine(result.Failure);
                    return 1;
                }

                Console.WriteLine($"Record checked: {result.Size:N0} entries, {result.EntriesChecked:N0} entries hashed, {result.HeadsChecked:N0} signed heads, {result.RowsChecked:N0} served rows; the head is kept in {anchor.Path}.");
                return 0;
            }
            catch (Exception e) when (e is InvalidDataException or InvalidOperationException or Microsoft.Data.Sqlite.SqliteException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"Cannot check {path}: {CliUsage.Plain(e.Message.ReplaceLineEndings(" "))}");
                return 1;
            }
        });
        return check;
    }

    /// <summary>The record's download, with a server that does not answer told in one line naming it.</summary>
    private static async Task<T> Reachable<T>(string server, Func<Task<T>> download)
    {
        try
        {
            return await download();
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            throw new CliException(ApiClient.Unreachable(new Uri(server), e));
        }
    }

    /// <summary>Refuses a record signed under another key than the one the user trusts, in one line.</summary>
    private static void RequireKey(RecordSnapshot snapshot, string trusted, string from)
    {
        if (!string.Equals(snapshot.VerifierKey.Trim(), trusted, StringComparison.Ordinal))
        {
            throw new CliException($"The record is signed under the key '{snapshot.VerifierKey.Trim()}', not the log's key '{trusted}' from {from}: it is another log's record or a forgery. Nothing was verified.");
        }
    }
}
