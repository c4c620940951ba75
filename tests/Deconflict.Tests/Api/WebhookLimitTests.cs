using System.Net;
using Deconflict.Line;
using Deconflict.Service;
using Deconflict.Tests.Infrastructure;

namespace Deconflict.Tests.Api;

/// <summary>
/// A party cannot make the server resolve host names without bound (issue 15, finding 2): the
/// number of escalation contacts (10 in all, 3 per level) and a URL's length (2,000 characters)
/// are refused with <c>limit-exceeded</c> before any name is resolved. Names are answered by the
/// injectable resolver, which counts its calls; no traffic leaves 127.0.0.1.
/// </summary>
public sealed class WebhookLimitTests
{
    private static readonly DeconflictOptions Options = new()
    {
        Line = new LineOptions(AckWithinS: 300, MinAckWithinS: 5, MaxAckWithinS: 3600, EscalationIntervalS: 120, MaxEscalationLevel: 5),
        LineClockTick = TimeSpan.FromDays(30),
        ExpirySweepInterval = TimeSpan.FromDays(30),
    };

    [Fact]
    public async Task Too_many_contacts_or_too_long_a_url_is_refused_before_any_name_is_resolved()
    {
        await using var server = await TestServer.StartAsync(Options);
        var resolved = new List<string>();
        server.Get<WebhookTargets>().Resolve = (host, _) =>
        {
            lock (resolved)
            {
                resolved.Add(host);
            }

            return Task.FromResult(new[] { IPAddress.Parse("203.0.113.10") });
        };
        var blue = await server.AddPartyAsync("blue");
        var webhooks = (await blue.Get("v1/config")).Body!["webhooks"]!;
        Assert.Equal(10, webhooks["max_contacts"]!.GetValue<int>());
        Assert.Equal(3, webhooks["max_contacts_per_level"]!.GetValue<int>());
        Assert.Equal(2000, webhooks["max_url_length"]!.GetValue<int>());

        // 11 contacts, at most 3 on any of the 5 levels: over the total only.
        var eleven = Enumerable.Range(0, 11).Select(i => new { level = 1 + (i % 4), url = $"https://h{i}.blue.example/hook" }).ToArray();
        var tooMany = (await blue.Send(HttpMethod.Put, "v1/parties/blue/escalation", new { contacts = eleven })).AssertProblem(400, "limit-exceeded");
        Assert.Equal("/contacts", tooMany["pointer"]!.GetValue<string>());
        Assert.Equal(10, tooMany["limit"]!.GetValue<int>());

        // 4 contacts on level 2.
        var four = Enumerable.Range(0, 4).Select(i => new { level = 2, url = $"https://h{i}.blue.example/hook" }).ToArray();
        var perLevel = (await blue.Send(HttpMethod.Put, "v1/parties/blue/escalation", new { contacts = four })).AssertProblem(400, "limit-exceeded");
        Assert.Equal("/contacts", perLevel["pointer"]!.GetValue<string>());
        Assert.Equal(3, perLevel["limit"]!.GetValue<int>());

        // A URL of 2,001 characters after a good contact.
        var longUrl = "https://h.blue.example/" + new string('a', 2001 - "https://h.blue.example/".Length);
        Assert.Equal(2001, longUrl.Length);
        var tooLong = (await blue.Send(HttpMethod.Put, "v1/parties/blue/escalation", new { contacts = new[] { new { level = 1, url = "https://ok.blue.example/hook" }, new { level = 1, url = longUrl } } }))
            .AssertProblem(400, "limit-exceeded");
        Assert.Equal("/contacts/1/url", tooLong["pointer"]!.GetValue<string>());
        Assert.Equal(2000, tooLong["limit"]!.GetValue<int>());

        Assert.Empty(resolved);
        Assert.Empty(server.OpenStore().EscalationContacts("blue"));

        // At the limits exactly (10 in all, 3 on a level, a URL of 2,000 characters) the contacts are taken.
        var ten = Enumerable.Range(0, 9).Select(i => new { level = 1 + (i / 3), url = $"https://h{i}.blue.example/hook" })
            .Append(new { level = 4, url = longUrl[..2000] }).ToArray();
        Assert.Equal(200, (await blue.Send(HttpMethod.Put, "v1/parties/blue/escalation", new { contacts = ten })).Status);
        Assert.Equal(10, server.OpenStore().EscalationContacts("blue").Count);
        Assert.Equal(10, resolved.Count);
    }
}
