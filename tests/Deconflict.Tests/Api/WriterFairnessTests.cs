using System.Text.Json.Nodes;
using Deconflict.Service;
using Deconflict.Storage;
using Deconflict.Tests.Infrastructure;

namespace Deconflict.Tests.Api;

/// <summary>
/// Finding 7 of issue 15: one party flooding writes grew the writer's queue without bound and made
/// every other party wait behind it. The writer's queue is bounded with a fair share per party, the
/// writer serves the waiting parties in turn, and a trial check never takes the writer's turn.
/// </summary>
public sealed class WriterFairnessTests
{
    [Fact]
    public async Task A_party_flooding_the_writer_gets_429_at_once_while_another_partys_writes_all_succeed_first()
    {
        // 12 requests of parties may wait: a party alone may hold 12 / 2 = 6, two parties 12 / 3 = 4
        // each. Batches of 2 make the writer's turns visible in the commit order.
        var options = new DeconflictOptions { MaxWriteBatch = 2, Writer = new WriterOptions { MaxQueued = 12 } };
        await using var server = await TestServer.StartAsync(options);
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");
        var queue = server.Get<WriteQueue>();

        using var hold = Hold(queue);

        // Blue floods: 20 writes at once while the writer is busy. Six wait; the other 14 are
        // refused without waiting for the writer (it is still held).
        var flood = Enumerable.Range(0, 20).Select(i => blue.Post("v1/operations", Bodies.Operation(Bodies.Square(30 + (i * 0.5), 30)))).ToList();
        var refused = new List<(int Status, JsonNode? Body, HttpResponseMessage Response)>();
        var pending = flood.ToList();
        while (refused.Count < 14)
        {
            var done = await Task.WhenAny(pending);
            pending.Remove(done);
            refused.Add(await done);
        }

        foreach (var r in refused)
        {
            var problem = r.AssertProblem(429, "rate-limited");
            Assert.Equal("1", r.Response.Headers.RetryAfter!.ToString());
            Assert.Equal(1, problem["retry_after_s"]!.GetValue<int>());
        }

        Assert.Equal(6, queue.WaitingFor("blue"));

        // Red arrives while blue's share is taken: its four writes (its share with two parties
        // waiting) all wait for the writer, none refused.
        var redWrites = Enumerable.Range(0, 4).Select(i => red.Post("v1/operations", Bodies.Operation(Bodies.Square(-30 - (i * 0.5), -30)))).ToList();
        await Until(() => queue.WaitingFor("red") == 4);
        Assert.Equal(10, queue.Waiting);

        hold.Release();
        foreach (var r in await Task.WhenAll(redWrites))
        {
            Assert.Equal(201, r.Status);
        }

        foreach (var r in await Task.WhenAll(pending))
        {
            Assert.Equal(201, r.Status);
        }

        // The queue never held more than its bound (here exactly what was admitted), and the
        // refused writes changed nothing.
        Assert.Equal(10, queue.PeakWaiting);
        Assert.Equal(0, queue.Waiting);
        var store = server.OpenStore();
        var stored = store.ListDeclarations(new DeclarationQuery(Core.Model.DeclarationKind.Operation)).Items;
        Assert.Equal(6, stored.Count(d => d.Party == "blue"));
        Assert.Equal(4, stored.Count(d => d.Party == "red"));

        // The writer took the two parties in turn: red's writes did not wait behind blue's backlog.
        Assert.Equal(
            ["blue", "red", "blue", "red", "blue", "red", "blue", "red", "blue", "blue"],
            stored.Select(d => d.Party));
    }

    [Fact]
    public async Task Under_a_free_running_flood_the_queue_stays_within_its_bound_and_the_other_party_is_never_refused()
    {
        var options = new DeconflictOptions { Writer = new WriterOptions { MaxQueued = 16 } };
        await using var server = await TestServer.StartAsync(options);
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");
        var queue = server.Get<WriteQueue>();

        // Blue: 300 writes at once, nothing held. Red meanwhile writes one at a time, so it never
        // has more than one waiting, within its share (16 / 3 = 5) whatever blue does.
        var flood = Enumerable.Range(0, 300).Select(i => blue.Post("v1/operations", Bodies.Operation(Bodies.Square(-60 + (i * 0.4), 100, halfDeg: 0.01)))).ToList();
        var redStatuses = new List<int>();
        for (var i = 0; i < 20; i++)
        {
            redStatuses.Add((await red.Post("v1/operations", Bodies.Operation(Bodies.Square(-60 + (i * 0.4), -100, halfDeg: 0.01)))).Status);
        }

        var blueResults = await Task.WhenAll(flood);
        Assert.All(redStatuses, s => Assert.Equal(201, s));
        Assert.All(blueResults, r => Assert.True(r.Status is 201 or 429, $"unexpected {r.Status}"));
        foreach (var r in blueResults.Where(r => r.Status == 429))
        {
            r.AssertProblem(429, "rate-limited");
            Assert.Equal("1", r.Response.Headers.RetryAfter!.ToString());
        }

        // The bound held at every moment, and exactly the acknowledged writes are stored.
        Assert.InRange(queue.PeakWaiting, 1, 16);
        var stored = server.OpenStore().ListDeclarations(new DeclarationQuery(Core.Model.DeclarationKind.Operation, Limit: 1000)).Items;
        Assert.Equal(blueResults.Count(r => r.Status == 201), stored.Count(d => d.Party == "blue"));
        Assert.Equal(20, stored.Count(d => d.Party == "red"));
    }

    [Fact]
    public async Task The_service_own_work_is_never_refused_and_does_not_count_against_a_party()
    {
        var options = new DeconflictOptions { Writer = new WriterOptions { MaxQueued = 2 } };
        await using var server = await TestServer.StartAsync(options);
        var queue = server.Get<WriteQueue>();
        using var hold = Hold(queue);

        // Far more of the service's own requests than the bound: every one waits and runs.
        var own = Enumerable.Range(0, 50).Select(i => queue.Submit<int>(null, _ => new(i))).ToList();
        Assert.Equal(0, queue.Waiting);

        // A party still has its share (2 / 2 = 1) beside them; its second is over it.
        var first = queue.Submit<int>("blue", _ => new(1));
        var second = await queue.Submit<int>("blue", _ => new(2));
        Assert.Equal(RefusalReason.RateLimited, second.Error!.Reason);

        hold.Release();
        Assert.Equal(Enumerable.Range(0, 50), (await Task.WhenAll(own)).Select(o => o.Value));
        Assert.Equal(1, (await first).Value);
    }

    [Fact]
    public async Task A_trial_check_answers_while_the_writer_is_busy_with_what_a_write_then_finds()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");

        // Blue's operations and a zone near Palmyra, and one across the antimeridian.
        foreach (var body in new[]
        {
            Bodies.Operation(Bodies.Square(34.55, 38.25)),
            Bodies.Operation(Bodies.Square(34.7, 38.4, halfDeg: 0.05, lowerM: 4500, upperM: 9000)),
            Bodies.Operation(Bodies.Circle(34.4, 38.1, 20_000, start: Bodies.T0.AddHours(1), end: Bodies.T0.AddHours(5))),
            Bodies.Operation(Bodies.Square(34.55, 39.5)),
            Bodies.Operation(Bodies.Polygon([[-17.1, 179.9], [-17.1, -179.9], [-16.9, -179.9], [-16.9, 179.9]])),
        })
        {
            Assert.Equal(201, (await blue.Post("v1/operations", body)).Status);
        }

        Assert.Equal(201, (await blue.Post("v1/zones", Bodies.Zone("protected", "Ring", Bodies.Circle(34.56, 38.27, 30_000, lowerM: 0, upperM: 15000)))).Status);
        var body2 = Bodies.Operation(Bodies.Square(34.6, 38.3, halfDeg: 0.15), Bodies.Polygon([[-17.05, -179.95], [-17.05, -179.8], [-16.95, -179.8], [-16.95, -179.95]]));

        // The writer is busy: the trial must not wait for it.
        var queue = server.Get<WriteQueue>();
        var events = server.OpenStore().LastEventSequence();
        (int Status, JsonNode? Body, HttpResponseMessage Response) trial;
        using (var hold = Hold(queue))
        {
            trial = await red.Post("v1/operations/check", body2.DeepClone());
            Assert.Equal(200, trial.Status);
            Assert.Equal(0, queue.Waiting);
        }

        Assert.Equal(events, server.OpenStore().LastEventSequence());

        // The same body written now finds the same conflicts, with the same overlaps.
        var written = await red.Post("v1/operations", body2);
        Assert.Equal(201, written.Status);
        Assert.Equal(Summary(written.Body!["conflicts"]!.AsArray()), Summary(trial.Body!["conflicts"]!.AsArray()));
        Assert.Equal(5, written.Body!["conflicts"]!.AsArray().Count);
    }

    /// <summary>Each conflict as "the other side's id: its overlap", in order.</summary>
    private static string[] Summary(JsonArray conflicts) =>
    [
        .. conflicts.Select(c =>
        {
            var other = c!["a"]!["party"]!.GetValue<string>() == "blue" ? c["a"]! : c["b"]!;
            return $"{other["id"]}: {c["overlap"]!.ToJsonString()}";
        }).Order(StringComparer.Ordinal),
    ];

    /// <summary>Holds the writer with a request of the service's own until released (or disposed).</summary>
    private static Held Hold(WriteQueue queue)
    {
        var holding = new ManualResetEventSlim();
        var release = new ManualResetEventSlim();
        var task = queue.Submit<bool>(null, _ =>
        {
            holding.Set();
            release.Wait();
            return new(true);
        });
        holding.Wait();
        return new Held(release, holding, task);
    }

    private static async Task Until(Func<bool> condition)
    {
        for (var i = 0; i < 600 && !condition(); i++)
        {
            await Task.Delay(50);
        }

        Assert.True(condition(), "the writer's state never reached the expected one");
    }

    private sealed class Held(ManualResetEventSlim release, ManualResetEventSlim holding, Task task) : IDisposable
    {
        public void Release()
        {
            release.Set();
            task.GetAwaiter().GetResult();
        }

        public void Dispose()
        {
            Release();
            release.Dispose();
            holding.Dispose();
        }
    }
}
