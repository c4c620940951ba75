using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Deconflict.Api;
using Deconflict.Core.Model;
using Deconflict.Service;
using Deconflict.Storage;
using Deconflict.Tests.Infrastructure;

namespace Deconflict.Tests.Api;

/// <summary>
/// Limits on guessing and on volume, each reached against a real server with small configured
/// values: failed authentication per client address and per secret prefix (429 rate-limited), a
/// party's live declarations and open streams (429 quota-exceeded), its request rate (429
/// rate-limited), each with Retry-After and nothing changed; and an admin token too weak to serve.
/// </summary>
public sealed partial class LimitTests
{
    // Retry-After values are the configured periods, in whole seconds.
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    [Fact]
    public async Task Failed_logins_from_one_address_get_429_after_the_limit_and_then_even_a_valid_token_from_it_waits()
    {
        await using var server = await TestServer.StartAsync(new DeconflictOptions { Quotas = new QuotaOptions { FailedAuthPerAddress = 3, FailedAuthPerPrefix = 1000, FailedAuthForgiveEvery = Hour } });
        var red = await server.AddPartyAsync("red");
        var redSecret = red.DefaultRequestHeaders.Authorization!.Parameter!;
        var before = server.OpenStore().LastEventSequence();

        for (var i = 0; i < 3; i++)
        {
            (await server.Client(Guess()).Get("v1/config")).AssertProblem(401, "unauthorized");
        }

        var over = await server.Client(Guess()).Get("v1/config");
        AssertRetry(over.AssertProblem(429, "rate-limited"), over.Response, 3600);
        var locked = await red.Get("v1/config");
        AssertRetry(locked.AssertProblem(429, "rate-limited"), locked.Response, 3600);
        (await server.Admin.Get("v1/config")).AssertProblem(429, "rate-limited");

        // Another address is not held by this one's failures.
        using var elsewhere = From("127.0.0.2", server.BaseAddress, redSecret);
        Assert.Equal(200, (await elsewhere.Get("v1/config")).Status);
        using var guesserElsewhere = From("127.0.0.2", server.BaseAddress, Guess());
        (await guesserElsewhere.Get("v1/config")).AssertProblem(401, "unauthorized");
        Assert.Equal(before, server.OpenStore().LastEventSequence());
    }

    [Fact]
    public async Task Failed_logins_with_one_secret_prefix_get_429_from_any_address_after_the_limit()
    {
        await using var server = await TestServer.StartAsync(new DeconflictOptions { Quotas = new QuotaOptions { FailedAuthPerAddress = 1000, FailedAuthPerPrefix = 3, FailedAuthForgiveEvery = Hour } });
        var red = await server.AddPartyAsync("red");
        const string prefix = "dcf_AAAA";
        Assert.Equal(QuotaOptions.PrefixChars, prefix.Length);

        string[] addresses = ["127.0.0.1", "127.0.0.2", "127.0.0.3"];
        for (var i = 0; i < 3; i++)
        {
            using var guesser = From(addresses[i], server.BaseAddress, prefix + Guess()[QuotaOptions.PrefixChars..]);
            (await guesser.Get("v1/config")).AssertProblem(401, "unauthorized");
        }

        using var fourth = From("127.0.0.4", server.BaseAddress, prefix + Guess()[QuotaOptions.PrefixChars..]);
        var refused = await fourth.Get("v1/config");
        AssertRetry(refused.AssertProblem(429, "rate-limited"), refused.Response, 3600);

        // Other prefixes, and the party's own token, are not held.
        (await server.Client("dcf_BBBB" + Guess()[QuotaOptions.PrefixChars..]).Get("v1/config")).AssertProblem(401, "unauthorized");
        Assert.Equal(200, (await red.Get("v1/config")).Status);
    }

    [Fact]
    public async Task A_party_over_its_live_declarations_quota_gets_429_and_nothing_is_stored()
    {
        var quotas = new QuotaOptions { MaxLiveDeclarations = 2, QuotaRetryAfter = TimeSpan.FromSeconds(45) };
        await using var server = await TestServer.StartAsync(new DeconflictOptions { Quotas = quotas });
        var red = await server.AddPartyAsync("red");
        var blue = await server.AddPartyAsync("blue");
        Assert.Equal(2, (await red.Get("v1/config")).Body!["quotas"]!["max_live_declarations"]!.GetValue<int>());

        var first = await red.Post("v1/operations", Bodies.Operation(Bodies.Square(35.5, 35.8)));
        Assert.Equal(201, first.Status);
        Assert.Equal(201, (await red.Post("v1/zones", Bodies.Zone("protected", "Base", Bodies.Square(34.5, 36.8)))).Status);
        var store = server.OpenStore();
        var before = store.LastEventSequence();

        var refused = await red.Post("v1/operations", Bodies.Operation(Bodies.Square(33.5, 35.8)));
        var problem = refused.AssertProblem(429, "quota-exceeded");
        AssertRetry(problem, refused.Response, 45);
        Assert.Equal("live_declarations", problem["quota"]!.GetValue<string>());
        Assert.Equal(2, problem["limit"]!.GetValue<int>());
        (await red.Post("v1/zones", Bodies.Zone("advisory", "Range", Bodies.Square(32.5, 35.8)))).AssertProblem(429, "quota-exceeded");
        Assert.Equal(before, store.LastEventSequence());
        Assert.Single(store.ListDeclarations(new DeclarationQuery(DeclarationKind.Operation, Party: "red")).Items);
        Assert.Single(store.ListDeclarations(new DeclarationQuery(DeclarationKind.Zone, Party: "red")).Items);

        // Another party has its own quota; a cancelled declaration no longer counts.
        Assert.Equal(201, (await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(30.5, 35.8)))).Status);
        var id = first.Body!["operation"]!["id"]!.GetValue<string>();
        Assert.Equal(200, (await red.Send(HttpMethod.Delete, $"v1/operations/{id}", ifMatch: "\"1\"")).Status);
        Assert.Equal(201, (await red.Post("v1/operations", Bodies.Operation(Bodies.Square(33.5, 35.8)))).Status);
    }

    [Fact]
    public async Task Concurrent_creates_at_the_live_declarations_quota_store_exactly_the_quota()
    {
        await using var server = await TestServer.StartAsync(new DeconflictOptions { Quotas = new QuotaOptions { MaxLiveDeclarations = 5 } });
        var red = await server.AddPartyAsync("red");
        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => red.Post("v1/operations", Bodies.Operation(Bodies.Square(30 + (i * 0.5), 35.8, 0.1)))));
        Assert.Equal(5, answers.Count(a => a.Status == 201));
        Assert.All(answers.Where(a => a.Status != 201), a => a.AssertProblem(429, "quota-exceeded"));
        Assert.Equal(5, server.OpenStore().ListDeclarations(new DeclarationQuery(DeclarationKind.Operation, Party: "red")).Items.Count);
    }

    [Fact]
    public async Task A_party_over_its_open_streams_quota_gets_429_and_the_admin_is_not_held()
    {
        await using var server = await TestServer.StartAsync(new DeconflictOptions { Quotas = new QuotaOptions { MaxStreams = 2, QuotaRetryAfter = TimeSpan.FromSeconds(45) } });
        var red = await server.AddPartyAsync("red");
        var blue = await server.AddPartyAsync("blue");
        var open = new List<HttpResponseMessage>();
        try
        {
            for (var i = 0; i < 2; i++)
            {
                open.Add(await Stream(red));
                Assert.Equal(200, (int)open[^1].StatusCode);
            }

            var refused = await red.Get("v1/events");
            var problem = refused.AssertProblem(429, "quota-exceeded");
            AssertRetry(problem, refused.Response, 45);
            Assert.Equal("streams", problem["quota"]!.GetValue<string>());

            open.Add(await Stream(blue));
            Assert.Equal(200, (int)open[^1].StatusCode);
            for (var i = 0; i < 3; i++)
            {
                open.Add(await Stream(server.Admin));
                Assert.Equal(200, (int)open[^1].StatusCode);
            }

            // A stream that ends gives its place back.
            open[0].Dispose();
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            while (true)
            {
                var again = await Stream(red);
                open.Add(again);
                if (again.StatusCode == HttpStatusCode.OK)
                {
                    break;
                }

                Assert.Equal(429, (int)again.StatusCode);
                await Task.Delay(50, wait.Token);
            }
        }
        finally
        {
            open.ForEach(r => r.Dispose());
        }
    }

    [Fact]
    public async Task A_party_over_its_request_rate_gets_429_and_nothing_changes_while_others_go_on()
    {
        // 0.001 requests a second: one request replenished every 1,000 s.
        await using var server = await TestServer.StartAsync(new DeconflictOptions { Quotas = new QuotaOptions { RequestsPerSecond = 0.001, RequestBurst = 3 } });
        var red = await server.AddPartyAsync("red");
        var blue = await server.AddPartyAsync("blue");
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(200, (await red.Get("v1/config")).Status);
        }

        var before = server.OpenStore().LastEventSequence();
        var refused = await red.Post("v1/operations", Bodies.Operation(Bodies.Square(35.5, 35.8)));
        AssertRetry(refused.AssertProblem(429, "rate-limited"), refused.Response, 1000);
        Assert.Equal(before, server.OpenStore().LastEventSequence());
        Assert.Empty(server.OpenStore().ListDeclarations(new DeclarationQuery(DeclarationKind.Operation)).Items);

        Assert.Equal(201, (await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(30.5, 35.8)))).Status);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(200, (await server.Admin.Get("v1/config")).Status);
        }
    }

    [Fact]
    public async Task A_party_over_its_rate_and_an_address_locked_out_get_through_again_as_the_buckets_refill()
    {
        await using var server = await TestServer.StartAsync(new DeconflictOptions { Quotas = new QuotaOptions { RequestsPerSecond = 1, RequestBurst = 2, FailedAuthPerAddress = 1, FailedAuthForgiveEvery = TimeSpan.FromSeconds(1) } });
        var red = await server.AddPartyAsync("red");
        var burst = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => red.Get("v1/config")));
        Assert.Contains(burst, r => r.Status == 429);
        await UntilAsync(async () => (await red.Get("v1/config")).Status == 200);

        (await server.Client(Guess()).Get("v1/config")).AssertProblem(401, "unauthorized");
        (await server.Client(Guess()).Get("v1/config")).AssertProblem(429, "rate-limited");
        await UntilAsync(async () => (await server.Client(Guess()).Get("v1/config")).Status == 401);
    }

    [Theory]
    [InlineData("dcf_too-short", false)]
    [InlineData("dcf_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP", false)] // 42 base64url characters: 252 bits
    [InlineData("dcf_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ", true)] // 43: the encoding of 32 bytes
    [InlineData("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ=", true)] // base64 with its padding
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde", false)] // 63 hex digits: 252 bits
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", true)] // 64 hex digits: 32 bytes
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false)] // not random
    [InlineData("abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQ", false)] // a space
    public void An_admin_secret_must_carry_at_least_32_random_bytes(string secret, bool strong) =>
        Assert.Equal(strong, Tokens.AdminSecretProblem(secret) is null);

    /// <summary>Polls until the condition holds; fails the test after 10 s.</summary>
    private static async Task UntilAsync(Func<Task<bool>> condition)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!await condition())
        {
            await Task.Delay(100, deadline.Token);
        }
    }

    private static string Guess() => "dcf_" + Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N");

    private static void AssertRetry(JsonNode problem, HttpResponseMessage response, long seconds)
    {
        Assert.Equal(seconds.ToString(System.Globalization.CultureInfo.InvariantCulture), response.Headers.GetValues("Retry-After").Single());
        Assert.Equal(seconds, problem["retry_after_s"]!.GetValue<long>());
    }

    private static Task<HttpResponseMessage> Stream(HttpClient client) =>
        client.GetAsync("v1/events", HttpCompletionOption.ResponseHeadersRead);

    /// <summary>A client whose connections come from <paramref name="localAddress"/> (another loopback address).</summary>
    private static HttpClient From(string localAddress, Uri server, string token)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.Bind(new IPEndPoint(IPAddress.Parse(localAddress), 0));
                    await socket.ConnectAsync(context.DnsEndPoint, ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        var client = new HttpClient(handler) { BaseAddress = server, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}
