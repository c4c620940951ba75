using System.Text.RegularExpressions;
using Deconflict.Demo;
using Deconflict.Tests.Cli;

namespace Deconflict.Tests.WebConsole;

/// <summary>
/// `deconflict demo --serve` (the real executable) prints, before the scenario's first event, a link
/// per party and the admin's read-only one; each signs a browser tab in as its holder.
/// </summary>
public sealed partial class ConsoleDemoLinkTests
{
    [Fact]
    public async Task The_demo_prints_a_link_per_party_before_the_scenario_and_each_signs_the_console_in_as_that_party()
    {
        // Output redirected: the plain transcript. 2 simulated minutes at 120x, then the server stays up.
        using var demo = CliFollower.Start(null, string.Empty, "demo", "--serve", "--speed", "120", "--duration", "2m");
        await demo.LineAsync(l => l.StartsWith("The server stays up at ", StringComparison.Ordinal));

        // The summary's links follow that line: wait for the admin's, the last of them, a second time.
        await demo.LineAsync(_ => demo.Out.Count(l => LinkLine().Match(l) is { Success: true } m && m.Groups["label"].Value.StartsWith("admin", StringComparison.Ordinal)) == 2);
        var output = demo.Out.ToList();

        var links = output.Select(l => LinkLine().Match(l)).Where(m => m.Success).Select(m => (Label: m.Groups["label"].Value, Link: m.Groups["link"].Value)).ToList();
        string[] labels = [SyriaScenario.Coalition, SyriaScenario.Vks, "admin (read-only, every party)"];
        // Printed twice: before the scenario, and again with the summary once it is over.
        Assert.Equal([.. labels, .. labels], links.Select(l => l.Label));
        Assert.Equal(links[..3], links[3..]);
        var server = Regex.Match(output[0], @"the server runs at (http://127\.0\.0\.1:\d+) ").Groups[1].Value;
        Assert.All(links, l => Assert.StartsWith(server + "/#token=dcf_", l.Link, StringComparison.Ordinal));
        Assert.Equal(3, links.Select(l => l.Link).Distinct(StringComparer.Ordinal).Count());

        // Before the scenario's first event (T+... lines of the transcript), after the heading that says what they are.
        var heading = output.FindIndex(l => l.StartsWith("Watch it in the browser:", StringComparison.Ordinal));
        var firstEvent = output.FindIndex(l => l.StartsWith("T+", StringComparison.Ordinal));
        var firstLink = output.FindIndex(l => l.Contains(links[0].Link, StringComparison.Ordinal));
        Assert.True(heading >= 0 && firstEvent > 0, string.Join('\n', output));
        Assert.True(heading < firstLink && firstLink + 2 < firstEvent, string.Join('\n', output));

        await using var browser = await ConsoleBrowser.LaunchAsync();
        var expected = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [SyriaScenario.Coalition] = "Coalition CAOC (Al Udeid) (coalition)",
            [SyriaScenario.Vks] = "VKS air operations centre (Hmeimim) (vks)",
            ["admin (read-only, every party)"] = "admin, read-only view of everything",
        };
        foreach (var (label, link) in links[..3])
        {
            await using var console = await browser.OpenLinkAsync(link);
            Assert.Equal(expected[label], (await console.Page.InnerTextAsync("#who")).Trim());
            // The token went from the fragment into session storage and into no request's address.
            var token = link[(link.IndexOf("#token=", StringComparison.Ordinal) + 7)..];
            Assert.Equal(token, await console.Page.EvaluateAsync<string>("sessionStorage.getItem('deconflict.token')"));
            Assert.All(console.Requests, url => Assert.DoesNotContain(token, url, StringComparison.Ordinal));
            console.AssertOnlyOwnOrigin();
        }

        Assert.Equal(0, await demo.InterruptAsync());
    }

    [GeneratedRegex(@"^  (?<label>\S.*?)  +(?<link>http://\S+/#token=\S+)$")]
    private static partial Regex LinkLine();
}
