using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Deconflict.Core.Record;
using Deconflict.Line;
using Deconflict.Service;
using Deconflict.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Deconflict.Tests.Api;

/// <summary>
/// Escalation webhooks cannot be turned against the service's own network (issue 15, finding 2):
/// targets are https and public unless the admin allows more, checked when set and again on the
/// address connected to (DNS rebinding), a failure is recorded as a fixed word without the
/// network's text, and bodies are signed with the webhook key, not the record's. All traffic stays
/// on 127.0.0.1: public-looking names are answered by the service's injectable resolver.
/// </summary>
public sealed partial class WebhookSecurityTests
{
    private const string PublicName = "hooks.blue.example";
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 8, 0, 0, TimeSpan.Zero);
    private static readonly IPAddress PublicAddress = IPAddress.Parse("203.0.113.10");

    private static readonly DeconflictOptions Options = new()
    {
        Line = new LineOptions(AckWithinS: 300, MinAckWithinS: 5, MaxAckWithinS: 3600, EscalationIntervalS: 120, MaxEscalationLevel: 3),
        LineClockTick = TimeSpan.FromDays(30),
        ExpirySweepInterval = TimeSpan.FromDays(30),
        WebhookAttempts = 1,
    };

    [Fact]
    public async Task A_webhook_to_an_internal_address_or_over_http_is_refused_when_it_is_set()
    {
        string[] urls =
        [
            "http://127.0.0.1:18260/internal-admin", "https://127.0.0.1:18260/internal-admin", "https://localhost/internal-admin", "https://2130706433/",
            "https://10.1.2.3/", "https://172.16.0.1/", "https://192.168.1.1/", "https://100.64.0.1/", "https://169.254.169.254/latest/meta-data/",
            "https://169.254.1.1/", "https://224.0.0.1/", "https://0.0.0.0/", "https://255.255.255.255/", "https://[::1]/", "https://[::]/",
            "https://[::ffff:127.0.0.1]/", "https://[::ffff:10.0.0.1]/", "https://[::127.0.0.1]/", "https://[64:ff9b::a9fe:a9fe]/", "https://[2002:c0a8:101::1]/",
            "https://[fd00:ec2::254]/", "https://[fc00::1]/", "https://[fe80::1]/", "https://[ff02::1]/",
            "http://" + PublicName + "/hook", "ftp://" + PublicName + "/hook", "hook", "https://" + string.Join('.', Enumerable.Repeat(new string('a', 60), 5)) + "/",
        ];
        await using var server = await TestServer.StartAsync(Options);
        server.Get<WebhookTargets>().Resolve = PublicFor(PublicName);
        var blue = await server.AddPartyAsync("blue");

        foreach (var url in urls)
        {
            var refused = await blue.Send(HttpMethod.Put, "v1/parties/blue/escalation", new { contacts = new object[] { new { level = 1, url = "https://" + PublicName + "/ok" }, new { level = 2, url } } });
            Assert.True(refused.Status == 400, $"{url}: {refused.Status} {refused.Body?.ToJsonString()}");
            Assert.Equal("/contacts/1/url", refused.AssertProblem(400, "invalid-webhook")["pointer"]!.GetValue<string>());
        }

        Assert.Empty((await blue.Get("v1/parties/blue/escalation")).Body!["contacts"]!.AsArray());
        Assert.Empty(server.OpenStore().EscalationContacts("blue"));

        // The same request with a public https target is taken.
        Assert.Equal(200, (await blue.Send(HttpMethod.Put, "v1/parties/blue/escalation", new { contacts = new[] { new { level = 1, url = "https://" + PublicName + "/ok" } } })).Status);
        Assert.Equal(["https://" + PublicName + "/ok"], server.OpenStore().EscalationContacts("blue").Select(c => c.Url));
    }

    [Fact]
    public async Task The_admin_allowlist_and_http_switch_let_through_only_what_they_name()
    {
        var options = Options with { Webhooks = new WebhookOptions { AllowHttp = true, Allow = ["10.0.0.0/8", "hooks.intranet", "fd12:3456::/32", "192.168.7.7"] } };
        await using var server = await TestServer.StartAsync(options);
        server.Get<WebhookTargets>().Resolve = (host, _) => Task.FromResult(host switch
        {
            "hooks.intranet" => new[] { IPAddress.Parse("192.168.50.5") },
            "mixed.blue.example" => [PublicAddress, IPAddress.Parse("192.168.50.5")],
            _ => [PublicAddress],
        });
        var blue = await server.AddPartyAsync("blue");
        var config = (await blue.Get("v1/config")).Body!["webhooks"]!;
        Assert.True(config["allow_http"]!.GetValue<bool>());
        Assert.Equal(["10.0.0.0/8", "hooks.intranet", "fd12:3456::/32", "192.168.7.7"], config["allow"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Equal("/v1/line/webhook-key", config["signature_key"]!.GetValue<string>());

        string[] allowed = ["http://10.1.2.3:8080/hook", "https://hooks.intranet/hook", "https://[fd12:3456::1]/hook", "https://192.168.7.7/", "http://" + PublicName + "/hook"];
        var set = await blue.Send(HttpMethod.Put, "v1/parties/blue/escalation", new { contacts = allowed.Select((u, i) => new { level = 1 + (i % 3), url = u }) });
        Assert.Equal(200, set.Status);
        Assert.Equal(allowed.Order(StringComparer.Ordinal), server.OpenStore().EscalationContacts("blue").Select(c => c.Url).Order(StringComparer.Ordinal));

        foreach (var url in new[] { "https://192.168.7.8/", "https://127.0.0.1/", "https://mixed.blue.example/", "https://[fd12:3457::1]/" })
        {
            var refused = await blue.Send(HttpMethod.Put, "v1/parties/blue/escalation", new { contacts = new[] { new { level = 1, url } } });
            Assert.Equal("/contacts/0/url", refused.AssertProblem(400, "invalid-webhook")["pointer"]!.GetValue<string>());
        }

        Assert.Equal(allowed.Order(StringComparer.Ordinal), server.OpenStore().EscalationContacts("blue").Select(c => c.Url).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task An_allowed_webhook_is_called_and_signed_with_the_webhook_key_and_not_the_record_key()
    {
        await using var receiver = await Receiver.StartAsync();
        var options = Options with { Webhooks = new WebhookOptions { AllowHttp = true, Allow = ["127.0.0.1"] } };
        var clock = new FakeTimeProvider(T0);
        await using var server = await TestServer.StartAsync(options, clock);
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");
        Assert.Equal(200, (await red.Send(HttpMethod.Put, "v1/parties/red/escalation", new { contacts = new[] { new { level = 1, url = receiver.Url } } })).Status);

        await Overdue(server, clock, blue);
        var call = Assert.Single(await Calls(server, 1));

        Assert.Equal("delivered", call["outcome"]!.GetValue<string>());
        Assert.Equal(200, call["status"]!.GetValue<int>());
        Assert.True(call["ok"]!.GetValue<bool>());
        var (body, signature) = Assert.Single(receiver.Received);
        var fields = signature.Split(',').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        var sig = Convert.FromBase64String(fields["ed25519"]);
        var bytes = Encoding.UTF8.GetBytes(body);

        var webhookKey = (await (await red.GetAsync("v1/line/webhook-key")).Content.ReadAsStringAsync()).Trim();
        var recordKey = (await (await red.GetAsync("v1/record/key")).Content.ReadAsStringAsync()).Trim();
        Assert.NotEqual(recordKey, webhookKey);
        var (webhookName, webhookPublic) = SignedNote.ParseVerifierKey(webhookKey)!.Value;
        var (_, recordPublic) = SignedNote.ParseVerifierKey(recordKey)!.Value;
        Assert.True(SignedNote.Verify(webhookPublic, bytes, sig));
        Assert.False(SignedNote.Verify(recordPublic, bytes, sig));
        Assert.Equal(Convert.ToHexStringLower(SignedNote.KeyId(webhookName, SignedNote.Ed25519Algorithm, webhookPublic)), fields["keyid"]);
        Assert.Equal(1, JsonNode.Parse(body)!["escalation_level"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_name_that_rebinds_to_loopback_after_it_was_accepted_is_refused_at_connect_time_and_nothing_is_sent()
    {
        await using var receiver = await Receiver.StartAsync();
        var options = Options with { Webhooks = new WebhookOptions { AllowHttp = true } };
        var clock = new FakeTimeProvider(T0);
        await using var server = await TestServer.StartAsync(options, clock);
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");
        Assert.True((await red.Get("v1/config")).Body!["webhooks"]!["allow_http"]!.GetValue<bool>());

        // The attacker's DNS answers a public address when the contact is set, loopback afterwards.
        var rebound = false;
        var targets = server.Get<WebhookTargets>();
        targets.Resolve = (host, _) => Task.FromResult(host == PublicName ? new[] { rebound ? IPAddress.Loopback : PublicAddress } : []);
        var url = $"http://{PublicName}:{receiver.Port}/hook";
        Assert.Equal(200, (await red.Send(HttpMethod.Put, "v1/parties/red/escalation", new { contacts = new[] { new { level = 1, url } } })).Status);
        rebound = true;

        await Overdue(server, clock, blue);
        var call = Assert.Single(await Calls(server, 1));

        Assert.Equal("refused-address", call["outcome"]!.GetValue<string>());
        Assert.False(call["ok"]!.GetValue<bool>());
        Assert.Null(call["status"]);
        Assert.Empty(receiver.Received);
        call.AsObject().Remove("escalation");
        Assert.Equal(["party", "level", "url", "attempt", "of", "ok", "outcome", "at"], call.AsObject().Select(p => p.Key));
        Assert.DoesNotContain("127.0.0.1", call.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_target_that_refuses_the_connection_is_recorded_as_connect_failed_without_the_networks_text()
    {
        var port = ClosedPort();
        var options = Options with { Webhooks = new WebhookOptions { AllowHttp = true, Allow = ["127.0.0.1"] }, WebhookAttempts = 2, WebhookFirstRetry = TimeSpan.FromSeconds(1) };
        var clock = new FakeTimeProvider(T0);
        await using var server = await TestServer.StartAsync(options, clock);
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");
        var url = $"http://127.0.0.1:{port}/internal-admin";
        Assert.Equal(200, (await red.Send(HttpMethod.Put, "v1/parties/red/escalation", new { contacts = new[] { new { level = 1, url } } })).Status);

        await Overdue(server, clock, blue);
        var calls = await Calls(server, 2, clock);

        Assert.Equal([(1, "connect-failed"), (2, "connect-failed")], calls.Select(c => (c["attempt"]!.GetValue<int>(), c["outcome"]!.GetValue<string>())));
        foreach (var call in calls)
        {
            Assert.Null(call["status"]);
            Assert.Equal(url, call["url"]!.GetValue<string>());

            // Apart from the URL the party set itself, nothing names the host, the port or the error.
            call.AsObject().Remove("escalation");
            call.AsObject().Remove("url");
            var text = call.ToJsonString();
            Assert.DoesNotContain("127.0.0.1", text, StringComparison.Ordinal);
            Assert.DoesNotContain(port.ToString(System.Globalization.CultureInfo.InvariantCulture), text, StringComparison.Ordinal);
            Assert.DoesNotContain("refused", text, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task A_redirect_is_not_followed_but_recorded_as_the_status_the_target_answered()
    {
        await using var receiver = await Receiver.StartAsync();
        var options = Options with { Webhooks = new WebhookOptions { AllowHttp = true, Allow = ["127.0.0.1"] } };
        var clock = new FakeTimeProvider(T0);
        await using var server = await TestServer.StartAsync(options, clock);
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");
        var url = $"http://127.0.0.1:{receiver.Port}/redirect";
        Assert.Equal(200, (await red.Send(HttpMethod.Put, "v1/parties/red/escalation", new { contacts = new[] { new { level = 1, url } } })).Status);

        await Overdue(server, clock, blue);
        var call = Assert.Single(await Calls(server, 1));

        Assert.Equal(("http-status", 302, false), (call["outcome"]!.GetValue<string>(), call["status"]!.GetValue<int>(), call["ok"]!.GetValue<bool>()));
        Assert.Equal(1, receiver.Redirects);
        Assert.Empty(receiver.Received);
    }

    /// <summary>A resolver that answers a public address for <paramref name="name"/> and the system's answer for any other name.</summary>
    private static Func<string, CancellationToken, Task<IPAddress[]>> PublicFor(string name) =>
        (host, ct) => host == name ? Task.FromResult(new[] { PublicAddress }) : Dns.GetHostAddressesAsync(host, ct);

    /// <summary>Blue sends red a message requiring acknowledgement within 60 s; 60 s pass: level 1.</summary>
    private static async Task Overdue(TestServer server, FakeTimeProvider clock, HttpClient blue)
    {
        var sent = await blue.Post("v1/line/messages", new { to = new JsonArray("red"), subject = "Tanker track", body = "Confirm.", requires_ack = true, ack_within_s = 60 });
        Assert.Equal(201, sent.Status);
        clock.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(1, await server.Get<LineClockService>().RunOnceAsync());
    }

    /// <summary>The line-escalation-call events, once <paramref name="count"/> are recorded (the fake clock driven through retries).</summary>
    private static async Task<List<JsonNode>> Calls(TestServer server, int count, FakeTimeProvider? clock = null)
    {
        var store = server.OpenStore();
        var admin = new Core.Model.Caller(null, null, "admin");
        List<JsonNode> calls = [];
        for (var i = 0; i < 400 && calls.Count < count; i++)
        {
            await Task.Delay(50);
            clock?.Advance(TimeSpan.FromSeconds(1));
            calls = [.. store.ReadEvents(0, admin, 1000).Where(e => e.Type == LineEvents.EscalationCallEvent).Select(e => JsonNode.Parse(e.PayloadJson)!)];
        }

        Assert.Equal(count, calls.Count);
        return calls;
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>A local webhook receiver on 127.0.0.1 that keeps every body and signature header it gets.</summary>
    private sealed class Receiver : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private int _redirects;

        private Receiver(WebApplication app, ConcurrentQueue<(string Body, string Signature)> received)
        {
            _app = app;
            Received = received;
            Port = new Uri(app.Urls.First()).Port;
        }

        /// <summary>POSTs to /redirect, each answered 302 to /hook.</summary>
        public int Redirects => Volatile.Read(ref _redirects);

        public ConcurrentQueue<(string Body, string Signature)> Received { get; }

        public int Port { get; }

        public string Url => $"http://127.0.0.1:{Port}/hook";

        public static async Task<Receiver> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var received = new ConcurrentQueue<(string Body, string Signature)>();
            Receiver? receiver = null;
            app.Map("/hook", async (HttpContext http) =>
            {
                using var reader = new StreamReader(http.Request.Body);
                received.Enqueue((await reader.ReadToEndAsync(), http.Request.Headers[EscalationWebhooks.SignatureHeader].ToString()));
                return Results.Ok();
            });
            app.MapPost("/redirect", (HttpContext http) =>
            {
                Interlocked.Increment(ref receiver!._redirects);
                return Results.Redirect($"http://127.0.0.1:{http.Connection.LocalPort}/hook");
            });
            await app.StartAsync();
            receiver = new Receiver(app, received);
            return receiver;
        }

        public ValueTask DisposeAsync() => _app.DisposeAsync();
    }
}
