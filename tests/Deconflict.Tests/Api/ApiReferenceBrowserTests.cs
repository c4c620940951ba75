using System.Collections.Concurrent;
using Deconflict.Api;
using Deconflict.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Deconflict.Tests.Api;

/// <summary>
/// GET /docs opened in a real browser (Debian's chromium, driven by Playwright): what Scalar's JS
/// bundle fetches at run time, and whether the page renders under its Content-Security-Policy, only
/// a browser can show. ApiReferenceTests checks the HTML, its references and the policy header.
/// </summary>
public sealed class ApiReferenceBrowserTests
{
    /// <summary>Debian's package (installed by .ci/run); Playwright's own browser download is not used.</summary>
    private const string Chromium = "/usr/bin/chromium";

    /// <summary>
    /// Every CSP violation the page meets, kept on the page for the test to read (a violation in a
    /// worker or before the console is attached would otherwise go unseen).
    /// </summary>
    private const string ViolationRecorder = """
        window.__violations = [];
        document.addEventListener('securitypolicyviolation', e =>
          window.__violations.push(e.violatedDirective + ' blocked ' + (e.blockedURI || '(inline)') + ' at ' + e.sourceFile + ':' + e.lineNumber + ':' + e.columnNumber));
        """;

    [Fact]
    public async Task The_reference_renders_in_a_browser_loading_only_from_its_own_origin()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: run `apt-get install chromium` (Debian's package; .ci/run installs it).");
        await using var server = await TestServer.StartAsync();
        var origin = server.BaseAddress.GetLeftPart(UriPartial.Authority);

        using var playwright = await Playwright.CreateAsync();

        // --no-sandbox: chromium refuses to start its sandbox as root, as the tests run in CI.
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox"],
        });
        var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.AddInitScriptAsync(ViolationRecorder);

        var requests = new ConcurrentQueue<string>();
        var errors = new ConcurrentQueue<string>();
        context.Request += (_, request) => requests.Enqueue(request.Url);
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                errors.Enqueue(message.Text);
            }
        };
        page.PageError += (_, error) => errors.Enqueue(error);

        var response = await page.GotoAsync(new Uri(server.BaseAddress, "docs#tag/service/GET/v1/config").ToString());
        Assert.Equal(200, response!.Status);

        // Rendered: the document's title, then GET /v1/config's operation, which needs the bundle to
        // run under the policy and to fetch the OpenAPI document from this server.
        try
        {
            await page.Locator("h1", new() { HasText = "Deconflict" }).First.WaitForAsync(new() { Timeout = 30_000 });
            await page.GetByText("The parameters in force, agreed by the parties").First.WaitForAsync(new() { Timeout = 30_000 });
        }
        catch (TimeoutException)
        {
            var refused = await page.EvaluateAsync<string[]>("window.__violations");
            Assert.Fail($"/docs did not render GET /v1/config within 30 s; refused: [{string.Join("; ", refused)}]; errors: [{string.Join("; ", errors)}]");
        }

        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        var text = await page.InnerTextAsync("body");

        // Only this server was asked for anything, the OpenAPI document included.
        Assert.All(requests, url => Assert.True(url.StartsWith(origin + "/", StringComparison.Ordinal), $"/docs made a request to another origin: {url}"));
        Assert.Contains(origin + "/openapi/v1.json", requests);

        // Nothing was refused and nothing failed. The one refusal the bundle meets and survives is its
        // validation library (zod) probing once whether it may compile code (`Function('')`): it
        // catches the refusal and validates without compiling, so script-src stays without
        // 'unsafe-eval'. Any other refusal, or a second eval, fails here.
        var violations = await page.EvaluateAsync<string[]>("window.__violations");
        var probe = $"script-src blocked eval at {origin}{ApiReference.Path}/scalar.js:";
        Assert.True(violations.Count(v => v.StartsWith(probe, StringComparison.Ordinal)) <= 1, string.Join("\n", violations));
        Assert.DoesNotContain(violations, v => !v.StartsWith(probe, StringComparison.Ordinal));
        Assert.Empty(errors);

        // The page is this API's, with no button for a service that does not exist here.
        Assert.Equal("Deconflict API", await page.TitleAsync());
        foreach (var foreign in new[] { "Ask AI", "Deploy", "Generate SDK" })
        {
            Assert.DoesNotContain(foreign, text, StringComparison.OrdinalIgnoreCase);
        }

        // GET /v1/config's 200 response shows its schema's example (members named in API.md), not "No Body".
        Assert.DoesNotContain("No Body", text, StringComparison.Ordinal);
        Assert.Contains("\"strategic_buffer\": {", text, StringComparison.Ordinal);
        Assert.Contains("\"separation\": {", text, StringComparison.Ordinal);
    }
}
