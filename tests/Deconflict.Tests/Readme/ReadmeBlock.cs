using System.Globalization;
using System.Text.RegularExpressions;

namespace Deconflict.Tests.Readme;

/// <summary>
/// One ```sh block of a Markdown document, with the <c>&lt;!-- readme-test: ... --&gt;</c> directives
/// written on the line just before its opening fence (ReadmeCommandTests explains them).
/// </summary>
/// <param name="Line">The 1-based line of the opening fence.</param>
/// <param name="Heading">The nearest heading above the block, to name it in a failure.</param>
/// <param name="Code">The block's text, without the fences.</param>
/// <param name="Skip">Why the block is not run, or null when it is.</param>
/// <param name="Slow">Why the block is run only by the slow variant of the test, or null.</param>
/// <param name="ExpectedExit">The exit status the block must end with.</param>
/// <param name="StopServers">Stop the servers earlier blocks started before running this one.</param>
public sealed partial record ReadmeBlock(int Line, string Heading, string Code, string? Skip, string? Slow, int ExpectedExit, bool StopServers)
{
    /// <summary>The ```sh blocks of a Markdown text, in order; other fences (```text, ```json) are not commands.</summary>
    /// <exception cref="FormatException">A directive is unknown or malformed, or a fence is not closed.</exception>
    public static IReadOnlyList<ReadmeBlock> Parse(string markdown)
    {
        var lines = markdown.ReplaceLineEndings("\n").Split('\n');
        var blocks = new List<ReadmeBlock>();
        var heading = "(top)";
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.StartsWith('#'))
            {
                heading = line.TrimStart('#').Trim();
                continue;
            }

            if (!line.StartsWith("```", StringComparison.Ordinal))
            {
                continue;
            }

            var language = line[3..].Trim();
            var start = i;
            var end = Array.FindIndex(lines, i + 1, l => l.TrimEnd() == "```");
            if (end < 0)
            {
                throw new FormatException($"line {start + 1}: the fence is not closed");
            }

            i = end;
            if (language is not ("sh" or "bash" or "shell"))
            {
                continue;
            }

            var (skip, slow, exit, stop) = Directives(start > 0 ? lines[start - 1] : string.Empty, start + 1);
            blocks.Add(new ReadmeBlock(start + 1, heading, string.Join('\n', lines[(start + 1)..end]), skip, slow, exit, stop));
        }

        return blocks;
    }

    /// <summary>Reads <c>&lt;!-- readme-test: skip: WHY; slow: WHY; exit: N; stop-servers --&gt;</c> (any of them, in any order).</summary>
    private static (string? Skip, string? Slow, int Exit, bool Stop) Directives(string line, int fenceLine)
    {
        var match = DirectiveComment().Match(line.Trim());
        if (!match.Success)
        {
            return (null, null, 0, false);
        }

        string? skip = null;
        string? slow = null;
        var exit = 0;
        var stop = false;
        foreach (var part in match.Groups[1].Value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = part.IndexOf(':', StringComparison.Ordinal);
            var (name, value) = colon < 0 ? (part, string.Empty) : (part[..colon].Trim(), part[(colon + 1)..].Trim());
            switch (name)
            {
                case "skip" when value.Length > 0:
                    skip = value;
                    break;
                case "slow" when value.Length > 0:
                    slow = value;
                    break;
                case "exit" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n):
                    exit = n;
                    break;
                case "stop-servers" when value.Length == 0:
                    stop = true;
                    break;
                default:
                    throw new FormatException($"line {fenceLine - 1}: unknown or malformed readme-test directive '{part}' (skip: WHY; slow: WHY; exit: N; stop-servers)");
            }
        }

        return (skip, slow, exit, stop);
    }

    [GeneratedRegex(@"^<!--\s*readme-test:\s*(.*?)\s*-->$")]
    private static partial Regex DirectiveComment();
}
