using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;

namespace Deconflict.Cli;

/// <summary>
/// What the command line tells a person who typed something it cannot run: one line naming the
/// mistake and the help to read, instead of System.CommandLine's error list followed by the whole
/// help, and never a .NET type name ("as expected type 'System.Int32'").
/// </summary>
internal static partial class CliUsage
{
    /// <summary>The one line for a command line that did not parse (<see cref="ParseResult.Errors"/> is not empty).</summary>
    public static string Describe(ParseResult parse)
    {
        var command = parse.CommandResult;
        var path = Path(command);
        var unmatched = parse.UnmatchedTokens;
        var help = $"Try '{path} --help'.";
        var verbs = command.Command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name).ToList();
        if (verbs.Count > 0 && (unmatched.Count == 0 || !unmatched[0].StartsWith('-')))
        {
            var list = string.Join(", ", verbs);
            return unmatched.Count == 0
                ? $"'{path}' needs a command: {list}. {help}"
                : $"Unknown command '{unmatched[0]}' for '{path}' (its commands: {list}). {help}";
        }

        var parts = new List<string>();
        foreach (var token in unmatched)
        {
            parts.Add(token.StartsWith('-') ? $"Unknown option '{token}'." : $"Unexpected argument '{token}'.");
        }

        foreach (var error in parse.Errors)
        {
            var line = error.SymbolResult switch
            {
                OptionResult o when o.IdentifierToken is null => $"{o.Option.Name} is required.",
                OptionResult o when o.Tokens.Count == 0 => $"{o.Option.Name} needs {Kind(o.Option.ValueType)}.",
                OptionResult o => $"{o.Option.Name} needs {Kind(o.Option.ValueType)}; '{string.Join(' ', o.Tokens.Select(t => t.Value))}' is not.",
                ArgumentResult a when a.Tokens.Count == 0 => $"{a.Argument.Name.ToUpperInvariant()} is missing.",
                ArgumentResult a => $"{a.Argument.Name.ToUpperInvariant()} needs {Kind(a.Argument.ValueType)}; '{string.Join(' ', a.Tokens.Select(t => t.Value))}' is not.",
                // The unmatched tokens are named above; any other error of the command is System.CommandLine's own sentence.
                _ when unmatched.Any(t => error.Message.Contains($"'{t}'", StringComparison.Ordinal)) => null,
                _ => Plain(error.Message.ReplaceLineEndings(" ")),
            };
            if (line is not null && !parts.Contains(line))
            {
                parts.Add(line);
            }
        }

        return $"{path}: {string.Join(' ', parts)} {help}";
    }

    /// <summary>
    /// The one line for an exception no verb handled (a bug): the message with namespaces taken off
    /// the type names it may quote, and where to report it. DECONFLICT_DEBUG=1 adds the trace.
    /// </summary>
    public static string Internal(Exception e) =>
        $"deconflict: internal error: {Plain(e.Message.ReplaceLineEndings(" ").TrimEnd('.'))}; please report it (DECONFLICT_DEBUG=1 shows where it happened).";

    /// <summary>Takes the namespace off every .NET type name in <paramref name="text"/> ("System.Int32" becomes "Int32").</summary>
    public static string Plain(string text) => TypeName().Replace(text, m => m.Groups["type"].Value);

    /// <summary>"deconflict party add" for the command that <paramref name="result"/> parsed.</summary>
    private static string Path(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? r = result; r is CommandResult c; r = c.Parent)
        {
            names.Insert(0, c.Parent is null ? "deconflict" : c.Command.Name);
        }

        return string.Join(' ', names);
    }

    /// <summary>What an option's value must be, in words.</summary>
    private static string Kind(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type switch
        {
            _ when type == typeof(int) || type == typeof(long) => "a whole number",
            _ when type == typeof(double) => "a number",
            _ when type == typeof(bool) => "true or false",
            _ when type == typeof(FileInfo) => "a file path",
            { IsEnum: true } => "one of " + string.Join(", ", Enum.GetNames(type).Select(n => n.ToLowerInvariant())),
            _ => "a value",
        };
    }

    [GeneratedRegex(@"\b(?:System|Microsoft|Deconflict)(?:\.[A-Za-z_][\w`]*)*\.(?<type>[A-Za-z_][\w`]*)")]
    private static partial Regex TypeName();
}
