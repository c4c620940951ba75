using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Deconflict.Core.Record;
using Deconflict.Core.Strategic;
using Deconflict.Core.Volumes;
using Deconflict.Service;
using Deconflict.Storage;

namespace Deconflict.Cli;

/// <summary>The one `deconflict` command: the server, and client verbs against a running server.</summary>
public static partial class CliApp
{
    public const string ServerVariable = "DECONFLICT_SERVER";
    public const string TokenVariable = "DECONFLICT_TOKEN";
    public const string AdminTokenVariable = "DECONFLICT_ADMIN_TOKEN";

    private static readonly JsonSerializerOptions Pretty = new() { WriteIndented = true };

    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("Deconflict: deconfliction of airspace shared by parties that do not trust each other.");
        root.Subcommands.Add(Serve());
        var server = new Option<string?>("--server") { Description = $"Server URL (or ${ServerVariable})", Recursive = true };
        var token = new Option<string?>("--token") { Description = $"Bearer token (or ${TokenVariable})", Recursive = true };
        var json = new Option<bool>("--json") { Description = "Print the server's JSON", Recursive = true };
        root.Options.Add(server);
        root.Options.Add(token);
        root.Options.Add(json);
        var client = new ClientOptions(server, token, json);
        root.Subcommands.Add(PartyCommands(client));
        root.Subcommands.Add(OperationCommands(client));
        root.Subcommands.Add(ConflictCommands(client));
        root.Subcommands.Add(RecordCommands(client));
        root.Subcommands.Add(LineCommands(client));
        root.Subcommands.Add(AlertCommands(client));
        root.Subcommands.Add(FeedCommands.Create(server, token));
        root.Subcommands.Add(DemoCommand());
        root.Subcommands.Add(SimulateCommand(client));
        var parse = root.Parse(args);

        // What the client verbs print comes from the server and from other parties: it goes to
        // the terminal safe (TerminalText). The server's own log and the demo's live view (which
        // writes its own colour sequences, and escapes what it shows itself) are left as they are.
        if (TopCommand(parse.CommandResult)?.Name is not ("serve" or "demo"))
        {
            Console.SetOut(TerminalText.Writer(Console.Out));
            Console.SetError(TerminalText.Writer(Console.Error));
        }

        return await parse.InvokeAsync();
    }

    private static Command? TopCommand(System.CommandLine.Parsing.CommandResult? result)
    {
        while (result?.Parent is System.CommandLine.Parsing.CommandResult parent && parent.Parent is not null)
        {
            result = parent;
        }

        return result?.Parent is null ? null : result.Command;
    }

    private static Command Serve()
    {
        var db = new Option<string>("--db") { Description = "SQLite database file", DefaultValueFactory = _ => "deconflict.db" };
        var urls = new Option<string>("--urls") { Description = "Where to listen", DefaultValueFactory = _ => "http://127.0.0.1:8080" };
        var policy = new Option<ConflictPolicy>("--policy") { Description = "notify (store and tell both sides) or reject (F3548: refuse conflicts of equal or lower priority)", DefaultValueFactory = _ => ConflictPolicy.Notify };
        var notices = new Option<bool>("--conflict-notices") { Description = "Send the other side a line message requiring acknowledgement for every new conflict" };
        // The agreed parameters, each with its unit (a bare number is refused, not guessed).
        var horizontalBuffer = new Option<string>("--horizontal-buffer") { Description = "Strategic buffer around declared outlines (M, KM, FT or NM)", DefaultValueFactory = _ => "3NM" };
        var verticalBuffer = new Option<string>("--vertical-buffer") { Description = "Strategic buffer between altitude bands (M or FT)", DefaultValueFactory = _ => "1000FT" };
        var horizontalSeparation = new Option<string>("--horizontal-separation") { Description = "Tactical minimum D between aircraft (M, KM, FT or NM)", DefaultValueFactory = _ => "3NM" };
        var verticalSeparation = new Option<string>("--vertical-separation") { Description = "Tactical minimum H between aircraft (M or FT)", DefaultValueFactory = _ => "1000FT" };
        var lookahead = new Option<string>("--lookahead") { Description = "Look-ahead T: entry within it is a caution", DefaultValueFactory = _ => "120s" };
        var warning = new Option<string>("--warning") { Description = "Entry sooner than this is a warning", DefaultValueFactory = _ => "60s" };
        var advisory = new Option<string>("--advisory") { Description = "Entry later than the look-ahead but sooner than this is an advisory", DefaultValueFactory = _ => "180s" };
        var sameParty = new Option<bool>("--same-party-alerts") { Description = "Also alert on pairs of one party's own aircraft" };
        var webhookHttp = new Option<bool>("--webhook-allow-http") { Description = "Also call escalation webhooks over http (default: https only)" };
        var webhookAllow = new Option<string[]>("--webhook-allow")
        {
            Description = "A host name, address or CIDR range escalation webhooks may reach although not public (repeat for several)",
            AllowMultipleArgumentsPerToken = true,
        };
        var quotas = new QuotaOptions();
        var maxLive = new Option<int>("--max-live-declarations") { Description = "Live operations and zones one party may hold", DefaultValueFactory = _ => quotas.MaxLiveDeclarations };
        var maxStreams = new Option<int>("--max-streams") { Description = "Event streams one party may have open", DefaultValueFactory = _ => quotas.MaxStreams };
        var partyRate = new Option<double>("--party-rate") { Description = "Requests a second one party may make, sustained", DefaultValueFactory = _ => quotas.RequestsPerSecond };
        var partyBurst = new Option<int>("--party-burst") { Description = "Requests one party may make at once above its rate", DefaultValueFactory = _ => quotas.RequestBurst };
        var serve = new Command("serve", "Run the Deconflict server on a SQLite file")
        {
            db, urls, policy, notices, horizontalBuffer, verticalBuffer, horizontalSeparation, verticalSeparation, lookahead, warning, advisory, sameParty,
            webhookHttp, webhookAllow, maxLive, maxStreams, partyRate, partyBurst,
        };
        serve.SetAction(async (parse, ct) =>
        {
            DeconflictOptions options;
            try
            {
                options = new DeconflictOptions
                {
                    Policy = parse.GetValue(policy),
                    Line = new LineOptions(ConflictNotices: parse.GetValue(notices)),
                    StrategicBuffer = new(ParseLength(parse.GetValue(horizontalBuffer)!, "--horizontal-buffer", allowZero: true), ParseLength(parse.GetValue(verticalBuffer)!, "--vertical-buffer", allowZero: true)),
                    TacticalSeparation = new(ParseLength(parse.GetValue(horizontalSeparation)!, "--horizontal-separation"), ParseLength(parse.GetValue(verticalSeparation)!, "--vertical-separation")),
                    LookaheadS = ParseDuration(parse.GetValue(lookahead)!).TotalSeconds,
                    Tactical = new TacticalOptions
                    {
                        WarningS = ParseDuration(parse.GetValue(warning)!).TotalSeconds,
                        AdvisoryS = ParseDuration(parse.GetValue(advisory)!).TotalSeconds,
                        SameParty = parse.GetValue(sameParty),
                    },
                    Webhooks = new WebhookOptions { AllowHttp = parse.GetValue(webhookHttp), Allow = [.. parse.GetValue(webhookAllow) ?? []] },
                };
                try
                {
                    options.Webhooks.ParseAllow();
                }
                catch (FormatException e)
                {
                    throw new CliException("--webhook-allow: " + e.Message);
                }

                new Core.Tactical.AlertPolicy(options.Tactical.WarningS, options.LookaheadS, options.Tactical.AdvisoryS, options.Tactical.ClearAfterCycles).Validate();
                if (parse.GetValue(maxLive) < 1 || parse.GetValue(maxStreams) < 1 || parse.GetValue(partyBurst) < 1 || !(parse.GetValue(partyRate) > 0) || double.IsInfinity(parse.GetValue(partyRate)))
                {
                    throw new CliException("--max-live-declarations, --max-streams, --party-rate and --party-burst must be positive.");
                }

                options = options with
                {
                    Quotas = quotas with
                    {
                        MaxLiveDeclarations = parse.GetValue(maxLive),
                        MaxStreams = parse.GetValue(maxStreams),
                        RequestsPerSecond = parse.GetValue(partyRate),
                        RequestBurst = parse.GetValue(partyBurst),
                    },
                };
            }
            catch (Exception e) when (e is CliException or ArgumentException)
            {
                await Console.Error.WriteLineAsync(e is CliException ? e.Message : "--warning, --lookahead and --advisory must be in that order (warning <= look-ahead <= advisory).");
                return 2;
            }

            var adminToken = Environment.GetEnvironmentVariable(AdminTokenVariable);
            if (adminToken is { Length: > 0 } && Api.Tokens.AdminSecretProblem(adminToken) is { } weak)
            {
                await Console.Error.WriteLineAsync($"{AdminTokenVariable} {weak}");
                return 2;
            }

            var settings = new ServerSettings
            {
                DatabasePath = parse.GetValue(db)!,
                Urls = parse.GetValue(urls)!,
                Options = options,
                AdminToken = adminToken,
            };
            WebApplication app;
            try
            {
                app = ServerHost.Build(settings);
            }
            catch (Exception e) when (e is StartRefusedException or Record.RecordCheckException or InvalidDataException)
            {
                await Console.Error.WriteLineAsync(e.Message);
                return 1;
            }

            await using var running = app;
            await app.StartAsync(ct);
            Console.WriteLine($"Deconflict listening on {string.Join(", ", app.Urls)} (database {Path.GetFullPath(settings.DatabasePath)}, policy {settings.Options.Policy.ToString().ToLowerInvariant()}). API reference at /docs.");
            await app.WaitForShutdownAsync(ct);
            return 0;
        });
        return serve;
    }

    private static Command PartyCommands(ClientOptions o)
    {
        var id = new Argument<string>("id") { Description = "Party id (lowercase letters, digits, '-')" };
        var name = new Option<string>("--name") { Description = "Display name", Required = true };
        var role = new Option<string>("--role") { Description = "party or observer", DefaultValueFactory = _ => "party" };
        var add = new Command("add", "Create a party (admin token); prints its token once") { id, name, role };
        add.SetAction(parse => o.Run(parse, async api =>
        {
            var (body, _) = await api.Send(HttpMethod.Post, "v1/parties", new JsonObject { ["id"] = parse.GetValue(id), ["name"] = parse.GetValue(name), ["role"] = parse.GetValue(role) });
            return (body, $"Party {body!["party"]!["id"]} created.\nToken (shown once, keep it safe): {body["token"]}\nToken id: {body["token_id"]}");
        }));
        var list = new Command("list", "List parties");
        list.SetAction(parse => o.Run(parse, async api =>
        {
            var (body, _) = await api.Send(HttpMethod.Get, "v1/parties");
            return (body, Table(body!["items"]!.AsArray(), ("ID", "id"), ("NAME", "name"), ("ROLE", "role")));
        }));
        var tokenId = new Option<string?>("--token-id") { Description = "Revoke only this token (default: every token of the party)" };
        var revoke = new Command("revoke", "Revoke a party's tokens (admin token): its streams and requests in flight end at once") { id, tokenId };
        revoke.SetAction(parse => o.Run(parse, async api =>
        {
            var party = Uri.EscapeDataString(parse.GetValue(id)!);
            if (parse.GetValue(tokenId) is { } one)
            {
                await api.Send(HttpMethod.Delete, $"v1/parties/{party}/tokens/{Uri.EscapeDataString(one)}");
                return (new JsonObject { ["party"] = parse.GetValue(id), ["revoked"] = new JsonArray(one) }, $"Token {one} of party {parse.GetValue(id)} revoked.");
            }

            var (body, _) = await api.Send(HttpMethod.Delete, $"v1/parties/{party}/tokens");
            var ids = body!["revoked"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();
            return (body, ids.Count == 0
                ? $"Party {parse.GetValue(id)} had no valid token."
                : $"Revoked {ids.Count} token(s) of party {parse.GetValue(id)}: {string.Join(", ", ids)}.");
        }));
        return new Command("party", "Parties (admin)") { add, list, revoke };
    }

    private static Command OperationCommands(ClientOptions o)
    {
        var file = new Argument<FileInfo>("file") { Description = "F3548 operation body, or a GeoJSON Feature/FeatureCollection" };
        var submit = new Command("submit", "Declare an operation from a file; prints its conflicts") { file };
        submit.SetAction(parse => o.Run(parse, async api =>
        {
            var path = parse.GetValue(file)!;
            if (!path.Exists)
            {
                throw new CliException($"No file {path.FullName}.");
            }

            var input = GeoJsonInput.Read(path.Name, await File.ReadAllBytesAsync(path.FullName));
            var (body, _) = await api.Send(HttpMethod.Post, "v1/operations", GeoJsonInput.ToOperationBody(input));
            var op = body!["operation"]!;
            var conflicts = body["conflicts"]!.AsArray();
            var text = $"Operation {op["id"]} stored (version {op["version"]}, {op["state"]}).";
            text += conflicts.Count == 0 ? " No conflicts." : $"\n{conflicts.Count} conflict(s):\n" + ConflictTable(conflicts);
            return (body, text);
        }));

        var state = new Option<string?>("--state") { Description = "planned, active, ended or cancelled" };
        var party = new Option<string?>("--party") { Description = "Only this party's operations" };
        var list = new Command("list", "List operations") { state, party };
        list.SetAction(parse => o.Run(parse, async api =>
        {
            var query = Query(("state", parse.GetValue(state)), ("party", parse.GetValue(party)));
            var (body, _) = await api.Send(HttpMethod.Get, "v1/operations" + query);
            return (body, Table(body!["items"]!.AsArray(), ("ID", "id"), ("PARTY", "party"), ("VERSION", "version"), ("STATE", "state"), ("PRIORITY", "priority")));
        }));

        var id = new Argument<string>("id") { Description = "Operation id" };
        var cancel = new Command("cancel", "Cancel an operation (at its current version)") { id };
        cancel.SetAction(parse => o.Run(parse, async api =>
        {
            var (_, etag) = await api.Send(HttpMethod.Get, $"v1/operations/{Uri.EscapeDataString(parse.GetValue(id)!)}");
            var (body, _) = await api.Send(HttpMethod.Delete, $"v1/operations/{Uri.EscapeDataString(parse.GetValue(id)!)}", ifMatch: etag);
            return (body, $"Operation {body!["operation"]!["id"]} cancelled (version {body["operation"]!["version"]}).");
        }));
        return new Command("op", "Operations") { submit, list, cancel };
    }

    private static Command ConflictCommands(ClientOptions o)
    {
        var state = new Option<string?>("--state") { Description = "open, acknowledged, resolved or accepted" };
        var list = new Command("list", "List the conflicts your party is a side of") { state };
        list.SetAction(parse => o.Run(parse, async api =>
        {
            var (body, _) = await api.Send(HttpMethod.Get, "v1/conflicts" + Query(("state", parse.GetValue(state))));
            return (body, ConflictTable(body!["items"]!.AsArray()));
        }));
        var id = new Argument<string>("id") { Description = "Conflict id" };
        var note = new Option<string?>("--note") { Description = "A note for the record" };
        var ack = new Command("ack", "Acknowledge a conflict for your side") { id, note };
        ack.SetAction(parse => o.Run(parse, async api =>
        {
            var (body, _) = await api.Send(HttpMethod.Post, $"v1/conflicts/{Uri.EscapeDataString(parse.GetValue(id)!)}/acknowledge", new JsonObject { ["note"] = parse.GetValue(note) });
            return (body, $"Conflict {body!["id"]} is {body["state"]}; acknowledged by {string.Join(", ", body["acknowledged_by"]!.AsObject().Select(kv => kv.Key))}.");
        }));
        var accept = new Command("accept", "Accept a conflict for your side") { new Argument<string>("id") { Description = "Conflict id" }, note };
        accept.SetAction(parse => o.Run(parse, async api =>
        {
            var cid = parse.GetValue<string>("id")!;
            var (body, _) = await api.Send(HttpMethod.Post, $"v1/conflicts/{Uri.EscapeDataString(cid)}/accept", new JsonObject { ["note"] = parse.GetValue(note) });
            return (body, $"Conflict {body!["id"]} is {body["state"]}.");
        }));
        return new Command("conflicts", "Conflicts") { list, ack, accept };
    }

    private static Command RecordCommands(ClientOptions o)
    {
        var key = new Command("key", "Print the record's signed-note verifier key (name+keyhash+base64key)");
        key.SetAction(parse => o.Run(parse, async api =>
        {
            var text = await api.Text("v1/record/key");
            return (new JsonObject { ["verifier_key"] = text.Trim() }, text.Trim());
        }));

        var state = new Option<FileInfo?>("--state") { Description = "Keep the verified head here; the next run checks the record is consistent with it" };
        var export = new Option<FileInfo?>("--export") { Description = "Verify an export file offline instead of a server (needs --key or --state: the key an export carries proves nothing)" };
        var logKey = new Option<string?>("--key") { Description = "The log's verifier key, as `deconflict record key` printed it: the record must be signed under it" };
        var verify = new Command("verify", "Verify the record: head signature, every leaf, the root, consistency with the last run, and your event stream") { state, export, logKey };
        verify.SetAction((parse, ct) => Reported(async () =>
        {
            var statePath = parse.GetValue(state);
            var exportPath = parse.GetValue(export);
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
                var (snapshot, http) = await RecordSources.FromServerAsync(server, token);
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
                await VerifiedStateFile.WriteAsync(statePath.FullName, verified, ct);
            }

            Console.WriteLine($"Record verified: {verified.Size:N0} entries, root {verified.RootHash}.");
            return 0;
        }));

        var outFile = new Option<FileInfo>("--out") { Description = "Export file to write (JSON Lines)", Required = true };
        var exportCommand = new Command("export", "Download the head, every leaf you may see and your event stream into a file, for offline verification") { outFile };
        exportCommand.SetAction(parse => o.Run(parse, async _ =>
        {
            var (server, token) = o.Connection(parse);
            var path = parse.GetValue(outFile)!.FullName;
            var count = await RecordSources.ExportAsync(server, token, path, Console.Out);
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
        check.SetAction(parse =>
        {
            var path = Path.GetFullPath(parse.GetValue(db)!);
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
                var store = new Storage.Sqlite.SqliteStore(path);
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
            catch (Exception e) when (e is InvalidDataException or InvalidOperationException or Microsoft.Data.Sqlite.SqliteException)
            {
                Console.Error.WriteLine($"Cannot check {path}: {e.Message}");
                return 1;
            }
        });
        return check;
    }

    /// <summary>Refuses a record signed under another key than the one the user trusts, in one line.</summary>
    private static void RequireKey(RecordSnapshot snapshot, string trusted, string from)
    {
        if (!string.Equals(snapshot.VerifierKey.Trim(), trusted, StringComparison.Ordinal))
        {
            throw new CliException($"The record is signed under the key '{snapshot.VerifierKey.Trim()}', not the log's key '{trusted}' from {from}: it is another log's record or a forgery. Nothing was verified.");
        }
    }

    private static Command LineCommands(ClientOptions o)
    {
        var to = new Option<string[]>("--to") { Description = "Recipient party (repeat for several, or 'all')", Required = true, AllowMultipleArgumentsPerToken = true };
        var subject = new Option<string>("--subject") { Description = "Subject", Required = true };
        var body = new Option<string>("--body") { Description = "Plain-text body", Required = true };
        var kind = new Option<string>("--kind") { Description = "free-text, operation-notice, deconflict-request or unsafe-conduct", DefaultValueFactory = _ => "free-text" };
        var language = new Option<string>("--language") { Description = "Language tag of the body (en, ru, ar, ...)", DefaultValueFactory = _ => "en" };
        var ackWithin = new Option<double?>("--ack-within") { Description = "Require acknowledgement within this many seconds" };
        var refs = new Option<string[]>("--ref") { Description = "A reference kind:id (operation:ID, zone:ID, conflict:ID); repeatable", AllowMultipleArgumentsPerToken = true };
        var key = new Option<string?>("--idempotency-key") { Description = "Retrying with the same key sends one message" };
        var send = new Command("send", "Send a message on the deconfliction line") { to, subject, body, kind, language, ackWithin, refs, key };
        send.SetAction(parse => o.Run(parse, async api =>
        {
            var references = new JsonArray();
            foreach (var r in parse.GetValue(refs) ?? [])
            {
                var parts = r.Split(':', 2);
                if (parts.Length != 2)
                {
                    throw new CliException($"--ref must be kind:id, like conflict:cf-123; '{r}' is not.");
                }

                references.Add(new JsonObject { ["kind"] = parts[0], ["id"] = parts[1] });
            }

            var message = new JsonObject
            {
                ["to"] = new JsonArray([.. parse.GetValue(to)!.Select(t => (JsonNode)JsonValue.Create(t))]),
                ["kind"] = parse.GetValue(kind),
                ["subject"] = parse.GetValue(subject),
                ["body"] = parse.GetValue(body),
                ["language"] = parse.GetValue(language),
                ["refs"] = references,
            };
            if (parse.GetValue(ackWithin) is { } seconds)
            {
                message["requires_ack"] = true;
                message["ack_within_s"] = seconds;
            }

            var (sent, _) = await api.Send(HttpMethod.Post, "v1/line/messages", message, idempotencyKey: parse.GetValue(key));
            var due = sent!["ack_due_at"] is { } d ? $", acknowledgement due by {d}" : string.Empty;
            return (sent, $"Message {sent["id"]} sent to {string.Join(", ", sent["to"]!.AsArray().Select(t => t!.ToString()))}{due}.");
        }));

        var follow = new Option<bool>("--follow") { Description = "Keep printing new messages, receipts and overdue notices" };
        var inbox = new Command("inbox", "Your received messages and their clocks") { follow };
        inbox.SetAction((parse, ct) => o.Run(parse, async api =>
        {
            var (body, _) = await api.Send(HttpMethod.Get, "v1/line/messages?box=inbox");
            var items = body!["items"]!.AsArray();
            var text = Table(items, ("ID", "id"), ("FROM", "from"), ("KIND", "kind"), ("SUBJECT", "subject"), ("SENT", "sent_at"), ("ACK DUE", "ack_due_at"));
            if (!parse.GetValue(follow))
            {
                return (body, text);
            }

            Console.WriteLine(text);
            Console.WriteLine("Following the line (Ctrl+C to stop)...");
            try
            {
                await api.FollowAsync(async (type, data) =>
                {
                    var line = type switch
                    {
                        "line-message" => $"{data["message"]!["sent_at"]} message {data["message"]!["id"]} from {data["message"]!["from"]}: {data["message"]!["subject"]}",
                        "line-receipt" => $"receipt: {data["party"]} {data["action"]} {data["message_id"]}",
                        "line-overdue" => $"OVERDUE: {data["recipient"]} has not acknowledged {data["message_id"]} (due {data["due_at"]}), escalation level {data["escalation_level"]}",
                        _ => null,
                    };
                    if (line is not null)
                    {
                        await Console.Out.WriteLineAsync(TerminalText.Safe(line));
                    }
                }, ct);
            }
            catch (OperationCanceledException)
            {
            }

            return (body, string.Empty);
        }));

        var id = new Argument<string>("id") { Description = "Message id" };
        var by = new Option<string>("--by") { Description = "The officer who acknowledges", Required = true };
        var note = new Option<string?>("--note") { Description = "A note for the record" };
        var ack = new Command("ack", "Acknowledge a message, naming the officer") { id, by, note };
        ack.SetAction(parse => o.Run(parse, async api =>
        {
            var (body, _) = await api.Send(HttpMethod.Post, $"v1/line/messages/{Uri.EscapeDataString(parse.GetValue(id)!)}/acknowledge", new JsonObject { ["by"] = parse.GetValue(by), ["note"] = parse.GetValue(note) });
            return (body, $"Message {body!["id"]} acknowledged by {parse.GetValue(by)}.");
        }));
        return new Command("line", "The deconfliction line") { send, inbox, ack };
    }

    private static string ConflictTable(JsonArray items) =>
        Table(items, ("ID", "id"), ("STATE", "state"), ("A", "a.id"), ("A PARTY", "a.party"), ("B", "b.id"), ("B PARTY", "b.party"), ("FROM", "overlap.time_start"), ("TO", "overlap.time_end"));

    /// <summary>A length with its unit: 3NM, 5556M, 5.556KM, 1000FT (exact conversions; no unit is refused).</summary>
    internal static double ParseLength(string text, string option, bool allowZero = false)
    {
        var t = text.Trim().Replace(" ", string.Empty, StringComparison.Ordinal).ToUpperInvariant();
        var (digits, factor) = t.EndsWith("NM", StringComparison.Ordinal) ? (t[..^2], Units.MetresPer(LengthUnit.NM))
            : t.EndsWith("KM", StringComparison.Ordinal) ? (t[..^2], Units.MetresPer(LengthUnit.KM))
            : t.EndsWith("FT", StringComparison.Ordinal) ? (t[..^2], Units.MetresPer(LengthUnit.FT))
            : t.EndsWith('M') ? (t[..^1], Units.MetresPer(LengthUnit.M))
            : (t, double.NaN);
        if (double.IsNaN(factor) || !double.TryParse(digits, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value) || value < 0 || (value == 0 && !allowZero))
        {
            throw new CliException($"{option} needs a {(allowZero ? "non-negative" : "positive")} length with its unit (M, KM, FT or NM), such as 3NM or 1000FT; '{text}' is not one.");
        }

        return value * factor;
    }

    /// <summary>
    /// Runs a client command and turns the failures a user can cause into one clear line on stderr
    /// and exit code 1 (a refused request, an unreachable server), not a stack trace.
    /// </summary>
    private static async Task<int> Reported(Func<Task<int>> command)
    {
        try
        {
            return await command();
        }
        catch (CliException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return 1;
        }
        catch (HttpRequestException e)
        {
            await Console.Error.WriteLineAsync($"Cannot reach the server: {e.Message}");
            return 1;
        }
    }

    internal static string Query(params (string Name, string? Value)[] parts)
    {
        var present = parts.Where(p => !string.IsNullOrEmpty(p.Value)).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}").ToList();
        return present.Count == 0 ? string.Empty : "?" + string.Join('&', present);
    }

    internal static string Table(JsonArray items, params (string Header, string Path)[] columns)
    {
        if (items.Count == 0)
        {
            return "(none)";
        }

        var rows = items.Select(item => columns.Select(c => Field(item, c.Path)).ToArray()).ToList();
        var widths = columns.Select((c, i) => Math.Max(c.Header.Length, rows.Max(r => r[i].Length))).ToArray();
        var lines = new List<string> { string.Join("  ", columns.Select((c, i) => c.Header.PadRight(widths[i]))).TrimEnd() };
        lines.AddRange(rows.Select(r => string.Join("  ", r.Select((v, i) => v.PadRight(widths[i]))).TrimEnd()));
        return string.Join(Environment.NewLine, lines);
    }

    private static string Field(JsonNode? node, string path)
    {
        foreach (var part in path.Split('.'))
        {
            node = node?[part];
        }

        // One line per row: a newline or an escape sequence in a field is shown escaped.
        return TerminalText.Safe(node?.ToString());
    }

    private sealed record ClientOptions(Option<string?> Server, Option<string?> Token, Option<bool> Json)
    {
        /// <summary>The server and token, or a clear message when either is missing.</summary>
        public (string Server, string Token) Connection(ParseResult parse)
        {
            var server = parse.GetValue(Server) ?? Environment.GetEnvironmentVariable(ServerVariable);
            var token = parse.GetValue(Token) ?? Environment.GetEnvironmentVariable(TokenVariable);
            return string.IsNullOrEmpty(server) || string.IsNullOrEmpty(token)
                ? throw new CliException($"Give --server and --token (or set {ServerVariable} and {TokenVariable}).")
                : (server, token);
        }

        public async Task<int> Run(ParseResult parse, Func<ApiClient, Task<(JsonNode? Body, string Text)>> action)
        {
            var server = parse.GetValue(Server) ?? Environment.GetEnvironmentVariable(ServerVariable);
            var token = parse.GetValue(Token) ?? Environment.GetEnvironmentVariable(TokenVariable);
            if (string.IsNullOrEmpty(server) || string.IsNullOrEmpty(token))
            {
                await Console.Error.WriteLineAsync($"Give --server and --token (or set {ServerVariable} and {TokenVariable}).");
                return 2;
            }

            return await Reported(async () =>
            {
                using var api = new ApiClient(server, token);
                var (body, text) = await action(api);
                Console.WriteLine(parse.GetValue(Json) ? body?.ToJsonString(Pretty) : text);
                return 0;
            });
        }
    }
}
