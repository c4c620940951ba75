using Deconflict.Tests.Infrastructure;

namespace Deconflict.Tests.Api;

/// <summary>Concurrent writers: detection and the write it guards are one step, so no conflict is missed or doubled.</summary>
public sealed class ConcurrencyTests
{
    [Fact]
    public async Task Concurrent_overlapping_submissions_of_two_parties_give_exactly_one_conflict_per_pair()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");
        const int each = 20;

        var submissions = Enumerable.Range(0, each * 2).Select(i => Task.Run(async () =>
        {
            var client = i % 2 == 0 ? blue : red;
            var r = await client.Post("v1/operations", Bodies.Operation(Bodies.Square(35.5, 35.8 + (i * 0.0001))));
            Assert.Equal(201, r.Status);
            return (Party: i % 2 == 0 ? "blue" : "red", Id: r.Body!["operation"]!["id"]!.GetValue<string>());
        })).ToArray();
        var ops = await Task.WhenAll(submissions);

        var conflicts = new List<(string A, string B)>();
        string? cursor = null;
        do
        {
            var page = await blue.Get("v1/conflicts?limit=1000" + (cursor is null ? string.Empty : "&cursor=" + cursor));
            conflicts.AddRange(page.Body!["items"]!.AsArray().Select(c => (c!["a"]!["id"]!.GetValue<string>(), c["b"]!["id"]!.GetValue<string>())));
            cursor = page.Body["next_cursor"]?.GetValue<string>();
        }
        while (cursor is not null);

        var pairs = conflicts.Select(c => string.CompareOrdinal(c.A, c.B) < 0 ? (c.A, c.B) : (c.B, c.A)).ToList();
        Assert.Equal(each * each, pairs.Count);
        Assert.Equal(pairs.Count, pairs.Distinct().Count());
        var blueIds = ops.Where(o => o.Party == "blue").Select(o => o.Id).ToHashSet();
        var redIds = ops.Where(o => o.Party == "red").Select(o => o.Id).ToHashSet();
        Assert.All(pairs, p => Assert.True(blueIds.Contains(p.Item1) != blueIds.Contains(p.Item2) && (redIds.Contains(p.Item1) || redIds.Contains(p.Item2))));
    }
}
