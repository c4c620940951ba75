using System.CommandLine;

namespace Deconflict.Cli;

/// <summary>
/// Examples in a verb's help. System.CommandLine's help shows a command's description and has no
/// examples section, so the examples go at the end of the description, one command line each.
/// </summary>
internal static class CliHelp
{
    /// <summary>Appends "Examples:" and one indented line per example to the command's description.</summary>
    public static T WithExamples<T>(this T command, params string[] examples)
        where T : Command
    {
        ArgumentNullException.ThrowIfNull(command);
        if (examples.Length > 0)
        {
            command.Description = $"{command.Description}{Environment.NewLine}{Environment.NewLine}Examples:{Environment.NewLine}"
                + string.Join(Environment.NewLine, examples.Select(e => "  " + e));
        }

        return command;
    }
}
