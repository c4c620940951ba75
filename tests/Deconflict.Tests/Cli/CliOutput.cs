using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Deconflict.Tests.Infrastructure;

namespace Deconflict.Tests.Cli;

/// <summary>Running the CLI with a chosen terminal width, and reading its tables and errors in tests.</summary>
internal static partial class CliOutput
{
    /// <summary>
    /// Runs the real executable like <see cref="CliTests.Run"/>, with $COLUMNS set to
    /// <paramref name="columns"/> or, when null, removed (output to a pipe: tables are not narrowed).
    /// </summary>
    public static async Task<(int Exit, string Out, string Err)> Run(TestServer server, string token, int? columns, params string[] args)
    {
        var info = CliTests.Command(server.BaseAddress, token, args);
        info.Environment.Remove("COLUMNS");
        if (columns is { } width)
        {
            info.Environment["COLUMNS"] = width.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return await CliTests.Execute(info);
    }

    public static Task<(int Exit, string Out, string Err)> Run(TestServer server, string token, params string[] args) => Run(server, token, null, args);

    /// <summary>The token of a new party, created through the API.</summary>
    public static async Task<string> Party(TestServer server, string id) =>
        (await server.AddPartyAsync(id)).DefaultRequestHeaders.Authorization!.Parameter!;

    /// <summary>The table's lines from its header on, each split into cells at runs of two or more spaces.</summary>
    public static List<string[]> Table(string output, string firstHeader = "ID")
    {
        var lines = output.Replace("\r", string.Empty, StringComparison.Ordinal).Split('\n');
        var start = Array.FindIndex(lines, l => l.StartsWith(firstHeader + "  ", StringComparison.Ordinal));
        Assert.True(start >= 0, $"no table with header {firstHeader} in:\n{output}");
        return [.. lines.Skip(start).TakeWhile(l => l.Length > 0).Select(l => Cells().Split(l.TrimEnd()))];
    }

    /// <summary>Exactly <paramref name="message"/> as the one line on stderr, the exit code, nothing on stdout, no .NET trace or type.</summary>
    public static void PlainError((int Exit, string Out, string Err) result, int exit, string message)
    {
        Assert.True(result.Exit == exit, $"exit {result.Exit}, not {exit}: {result.Out}{result.Err}");
        Assert.Equal(message, result.Err.TrimEnd('\n', '\r'));
        Assert.Equal(string.Empty, result.Out);
        foreach (var bad in new[] { "   at ", "Exception", "Deconflict.", "System." })
        {
            Assert.DoesNotContain(bad, result.Err, StringComparison.Ordinal);
        }
    }

    /// <summary>The CLI's --json output is exactly the API's object.</summary>
    public static void SameJson(JsonNode? api, string cliOut) =>
        Assert.True(JsonNode.DeepEquals(api, JsonNode.Parse(cliOut)), $"CLI printed\n{cliOut}\nbut the API gave\n{api?.ToJsonString()}");

    [GeneratedRegex(" {2,}")]
    private static partial Regex Cells();
}
