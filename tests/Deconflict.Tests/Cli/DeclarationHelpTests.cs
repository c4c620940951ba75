using System.Text.RegularExpressions;

namespace Deconflict.Tests.Cli;

/// <summary>Every op, zone and conflicts verb's help has an example of itself and a description for each option.</summary>
public sealed partial class DeclarationHelpTests
{
    [Theory]
    [InlineData("op", "submit,check,update,show,list,cancel,activate")]
    [InlineData("zone", "submit,check,update,show,list,cancel,activate")]
    [InlineData("conflicts", "list,show,ack,accept")]
    public async Task Each_verb_shows_an_example_and_describes_each_option(string group, string verbs)
    {
        foreach (var verb in verbs.Split(','))
        {
            var help = await CliTests.RunAt(null, string.Empty, group, verb, "--help");
            Assert.True(help.Exit == 0, help.Err);
            var lines = help.Out.ReplaceLineEndings("\n").Split('\n');
            Assert.Contains(lines, l => l.Trim().StartsWith($"deconflict {group} {verb}", StringComparison.Ordinal));
            var options = lines.SkipWhile(l => l != "Options:").Skip(1).TakeWhile(l => l.Length > 0).ToList();
            Assert.NotEmpty(options);
            Assert.All(options, l => Assert.Matches(OptionWithDescription(), l));
            if (group == "zone" && verb is "submit" or "check" or "update")
            {
                Assert.Contains(options, l => l.TrimStart().StartsWith("--rule", StringComparison.Ordinal));
                Assert.Contains(options, l => l.TrimStart().StartsWith("--name", StringComparison.Ordinal));
            }
        }
    }

    /// <summary>An option (such as --state), two spaces or more, then its description.</summary>
    [GeneratedRegex(@"^\s+-\S.*?\s{2,}\S")]
    private static partial Regex OptionWithDescription();
}
