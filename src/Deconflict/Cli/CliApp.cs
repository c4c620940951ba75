using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Deconflict.Core.Volumes;

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
        var root = Commands();
        var parse = root.Parse(args);

        // What the client verbs print comes from the server and from other parties: it goes to
        // the terminal safe (TerminalText). The server's own log and the demo's live view (which
        // writes its own colour sequences, and escapes what it shows itself) are left as they are.
        if (TopCommand(parse.CommandResult)?.Name is not ("serve" or "demo"))
        {
            Console.SetOut(TerminalText.Writer(Console.Out));
            Console.SetError(TerminalText.Writer(Console.Error));
        }

        if (args.Length == 0)
        {
            // `deconflict` alone: the help is what a person wants to see (still a usage mistake).
            await root.Parse(["--help"]).InvokeAsync();
            return 2;
        }

        if (parse.Action is System.CommandLine.Invocation.ParseErrorAction)
        {
            await Console.Error.WriteLineAsync(CliUsage.Describe(parse));
            return 2;
        }

        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C: the verbs that run until stopped end quietly; 130 is the shell's code for it.
            return 130;
        }
        catch (Exception e)
        {
            // A bug: one line for the person, the trace only when asked for.
            await Console.Error.WriteLineAsync(CliUsage.Internal(e));
            if (Environment.GetEnvironmentVariable("DECONFLICT_DEBUG") == "1")
            {
                await Console.Error.WriteLineAsync(e.ToString());
            }

            return 1;
        }
    }

    /// <summary>Every command and verb, with its options, examples and actions.</summary>
    internal static RootCommand Commands()
    {
        var root = new RootCommand("Deconflict: deconfliction of airspace shared by parties that do not trust each other.");
        root.Subcommands.Add(Serve());
        // The connection options are listed only on the verbs that talk to a server (not on
        // `serve`, `demo` or `record check`), and --json only where a verb prints the API's objects.
        var server = new Option<string?>("--server") { Description = $"Server URL, e.g. http://127.0.0.1:8080 (or ${ServerVariable})" };
        var token = new Option<string?>("--token") { Description = $"Bearer token (or ${TokenVariable})" };
        var json = new Option<bool>("--json") { Description = "Print the server's JSON objects instead of text" };
        var client = new ClientOptions(server, token, json);
        root.Subcommands.Add(client.Attach(PartyCommands(client)));
        root.Subcommands.Add(client.Attach(OperationCommands(client)));
        root.Subcommands.Add(client.Attach(ZoneCommands(client)));
        root.Subcommands.Add(client.Attach(ConflictCommands(client)));
        root.Subcommands.Add(client.Attach(RecordCommands(client), json: false, except: "check"));
        root.Subcommands.Add(KeysCommands());
        root.Subcommands.Add(client.Attach(LineCommands(client)));
        root.Subcommands.Add(client.Attach(AlertCommands(client)));
        root.Subcommands.Add(client.Attach(EventCommands(client)));
        root.Subcommands.Add(client.Attach(FeedCommands.Create(server, token), json: false));
        root.Subcommands.Add(DemoCommand());
        root.Subcommands.Add(client.Attach(
            SimulateCommand(client).WithExamples(
                "deconflict simulate --party vks --server http://127.0.0.1:8080 --token \"$VKS_TOKEN\"",
                "deconflict simulate --party coalition --duration 20m --start 2026-11-26T09:00:00Z --token \"$COALITION_TOKEN\""),
            json: false));
        return root;
    }

    private static Command? TopCommand(System.CommandLine.Parsing.CommandResult? result)
    {
        while (result?.Parent is System.CommandLine.Parsing.CommandResult parent && parent.Parent is not null)
        {
            result = parent;
        }

        return result?.Parent is null ? null : result.Command;
    }

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
    /// and its exit code (2 for a usage mistake, 1 for a refused request or an unreachable server), not a stack trace.
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
            return e.ExitCode;
        }
        catch (HttpRequestException e)
        {
            // Requests made without ApiClient (the record's download, the event stream).
            await Console.Error.WriteLineAsync($"Cannot reach the server: {ApiClient.Reason(e)}.");
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
                ? throw new CliException($"Give --server and --token (or set {ServerVariable} and {TokenVariable}).", exitCode: 2)
                : (ApiClient.ServerAddress(server).ToString(), token);
        }

        /// <summary>
        /// Adds --server and --token (and --json unless <paramref name="json"/> is false) to every
        /// verb under <paramref name="command"/> that runs (has an action), but not to those named in
        /// <paramref name="except"/>. Returns the command.
        /// </summary>
        public Command Attach(Command command, bool json = true, params string[] except)
        {
            if (except.Contains(command.Name))
            {
                return command;
            }

            if (command.Action is not null)
            {
                command.Options.Add(Server);
                command.Options.Add(Token);
                if (json && command.Options.All(o => o.Name != Json.Name))
                {
                    command.Options.Add(Json);
                }
            }

            foreach (var sub in command.Subcommands)
            {
                Attach(sub, json, except);
            }

            return command;
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
