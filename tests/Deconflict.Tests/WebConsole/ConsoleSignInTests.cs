using System.Text.Json.Nodes;
using Deconflict.Tests.Infrastructure;

namespace Deconflict.Tests.WebConsole;

/// <summary>Signing in to the console: the token's way in, where it is kept, and what a refused one does.</summary>
public sealed class ConsoleSignInTests
{
    [Fact]
    public async Task A_link_with_the_token_in_its_fragment_signs_in_and_keeps_it_only_in_session_storage()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        await using var browser = await ConsoleBrowser.LaunchAsync();
        await using var console = await browser.OpenAsync(server, ConsoleBrowser.TokenOf(blue));

        // The fragment is gone from the address bar and the token never went into a URL.
        Assert.DoesNotContain("token", console.Page.Url, StringComparison.Ordinal);
        Assert.All(console.Requests, url => Assert.DoesNotContain(ConsoleBrowser.TokenOf(blue), url, StringComparison.Ordinal));
        Assert.Equal(ConsoleBrowser.TokenOf(blue), await console.Page.EvaluateAsync<string>("sessionStorage.getItem('deconflict.token')"));
        Assert.Equal(0, await console.Page.EvaluateAsync<int>("localStorage.length === 0 ? 0 : Object.keys(localStorage).filter(k => localStorage.getItem(k).includes(sessionStorage.getItem('deconflict.token'))).length"));
        Assert.Equal("BLUE operations centre (blue)", await console.Page.InnerTextAsync("#who"));
        console.AssertOnlyOwnOrigin();
        Assert.Empty(console.Errors);
    }

    [Fact]
    public async Task A_revoked_token_returns_the_officer_to_sign_in_with_a_plain_reason()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        await using var browser = await ConsoleBrowser.LaunchAsync();
        await using var console = await browser.OpenAsync(server, ConsoleBrowser.TokenOf(blue));

        var me = JsonNode.Parse(await blue.GetStringAsync("v1/me"))!;
        var revoked = await server.Admin.DeleteAsync($"v1/parties/blue/tokens/{me["token_id"]!.GetValue<string>()}");
        Assert.True(revoked.IsSuccessStatusCode);

        await console.Page.Locator("#sign-in-problem").WaitForAsync(new() { Timeout = 15_000 });
        Assert.Equal("Your token is no longer accepted (expired or revoked). Sign in again.", (await console.Page.InnerTextAsync("#sign-in-problem")).Trim());
        Assert.Null(await console.Page.EvaluateAsync<string?>("sessionStorage.getItem('deconflict.token')"));
    }

    [Fact]
    public async Task A_wrong_token_typed_in_is_refused_with_a_plain_reason()
    {
        await using var server = await TestServer.StartAsync();
        await using var browser = await ConsoleBrowser.LaunchAsync();
        await using var console = await browser.OpenAsync(server, token: null);

        await console.Page.FillAsync("#token", "dcf_not-a-token");
        await console.Page.PressAsync("#token", "Enter");
        await console.Page.Locator("#sign-in-problem").WaitForAsync(new() { Timeout = 15_000 });
        Assert.Equal("The token was refused: it is wrong, expired or revoked. Sign in with a valid one.", (await console.Page.InnerTextAsync("#sign-in-problem")).Trim());
        Assert.DoesNotContain(console.Errors, e => !e.Contains("401", StringComparison.Ordinal));
    }
}
