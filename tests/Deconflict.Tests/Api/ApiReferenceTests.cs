using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Deconflict.Tests.Infrastructure;

namespace Deconflict.Tests.Api;

/// <summary>
/// GET /docs loads only this server's files, configures Scalar to fetch nothing from another origin
/// (no CDN fonts, no request proxy, no telemetry) and to show no button for a service that does not
/// exist here, and carries a Content-Security-Policy that lets a browser enforce it. What the JS
/// bundle does at run time in a browser is ApiReferenceBrowserTests' part.
/// </summary>
public sealed partial class ApiReferenceTests
{
    [Fact]
    public async Task The_reference_page_loads_nothing_from_another_origin_and_offers_no_foreign_services()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client(null);
        var page = await client.GetAsync("docs");
        Assert.Equal(200, (int)page.StatusCode);
        var pageUri = page.RequestMessage!.RequestUri!;
        var html = await page.Content.ReadAsStringAsync();

        // Every script, style, link and image it references is this server's, and is served.
        var references = Reference().Matches(html).Select(m => m.Groups["url"].Value).ToList();
        Assert.NotEmpty(references);
        foreach (var reference in references)
        {
            var target = new Uri(pageUri, reference);
            Assert.True(target.Authority == pageUri.Authority && target.Scheme == pageUri.Scheme, $"/docs references {reference} on another origin");
            var loaded = await client.GetAsync(target);
            Assert.True((int)loaded.StatusCode == 200, $"{target} answered {(int)loaded.StatusCode}");
        }

        // Scalar's configuration: fonts not from its CDN, test requests not through its proxy, no
        // telemetry, no AI agent, no MCP, no developer toolbar ("Deploy", "Generate SDK"), no client button.
        var config = JsonNode.Parse(Configuration().Match(html).Groups["config"].Value)!;
        string Setting(string name) => config[name]?.ToJsonString() ?? "absent";
        Assert.Equal("false", Setting("withDefaultFonts"));
        Assert.Equal("\"\"", Setting("proxyUrl"));
        Assert.Equal("false", Setting("telemetry"));
        Assert.Equal("{\"disabled\":true}", Setting("agent"));
        Assert.Equal("{\"disabled\":true}", Setting("mcp"));
        Assert.Equal("\"never\"", Setting("showDeveloperTools"));
        Assert.Equal("true", Setting("hideClientButton"));
        Assert.Equal("absent", Setting("_integration"));
        foreach (var source in config["sources"]!.AsArray())
        {
            Assert.False(Uri.TryCreate(source!["url"]!.GetValue<string>(), UriKind.Absolute, out _), $"the document comes from {source["url"]}");
        }

        // The policy: everything from 'self' (scripts also by this response's nonce), no other origin named.
        Assert.True(page.Headers.TryGetValues("Content-Security-Policy", out var policies), "/docs is sent without a Content-Security-Policy");
        var policy = policies.Single();
        var directives = policy.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .ToDictionary(d => d.Split(' ')[0], d => d.Split(' ')[1..], StringComparer.Ordinal);
        Assert.Equal(["'self'"], directives["default-src"]);
        Assert.Equal(["'self'"], directives["connect-src"]);
        Assert.Equal(["'self'", "data:"], directives["font-src"]);
        var nonce = Nonce().Match(html).Groups["nonce"].Value;
        Assert.Equal(["'self'", $"'nonce-{nonce}'"], directives["script-src"]);
        Assert.DoesNotContain(directives.Values.SelectMany(v => v), s => s.Contains("http", StringComparison.Ordinal) || s.Contains('*', StringComparison.Ordinal));
        Assert.All(Regex.Matches(html, "<script[^>]*>").Select(m => m.Value), tag => Assert.Contains($"nonce=\"{nonce}\"", tag, StringComparison.Ordinal));
    }

    [GeneratedRegex("(?:src|href)=\"(?<url>[^\"]+)\"")]
    private static partial Regex Reference();

    [GeneratedRegex(@"initialize\(\s*'[^']*',\s*\w+,\s*(?<config>\{.*\}),\s*'", RegexOptions.Singleline)]
    private static partial Regex Configuration();

    [GeneratedRegex("nonce=\"(?<nonce>[^\"]+)\"")]
    private static partial Regex Nonce();
}
