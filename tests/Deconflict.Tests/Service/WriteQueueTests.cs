using System.Collections.Immutable;
using System.Diagnostics.Metrics;
using Deconflict.Core.Geometry;
using Deconflict.Core.Model;
using Deconflict.Core.Record;
using Deconflict.Core.Strategic;
using Deconflict.Core.Volumes;
using Deconflict.Service;
using Deconflict.Storage;
using Deconflict.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Deconflict.Tests.Service;

/// <summary>
/// The single writer's batches on a real SQLite file: requests that stand are committed together,
/// and one that is refused or fails is undone alone, however much it wrote first, with the
/// database, the writer's in-memory caches, the event numbering and the record all as if it never ran.
/// </summary>
public sealed class WriteQueueTests
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly VolumeBox Box = new(new GeoBox(9.9, 9.9, 10.1, 10.1), 0, 10_000, T0, T0.AddHours(1));

    [Fact]
    public async Task A_refusal_after_writing_is_undone_alone_and_the_others_in_its_batch_stand()
    {
        await using var writer = new Writer();
        var results = await writer.OneBatch(
            Declare("op-a"),
            async ctx =>
            {
                await Declare("op-ghost")(ctx);
                return new Refusal(RefusalReason.Conflict, "refused after writing");
            },
            Candidates);

        Assert.Equal("op-a", results[0].Result.Value);
        Assert.Equal(RefusalReason.Conflict, results[1].Result.Error!.Reason);

        // The request after the refusal saw the first one's declaration once and never the ghost.
        Assert.Equal("op-a", results[2].Result.Value);
        writer.AssertStored(["op-a"], events: 1);
        Assert.Equal("op-a", (await writer.Queue.Submit(null, Candidates)).Value);
    }

    [Fact]
    public async Task A_failure_after_writing_is_undone_alone_and_its_caller_gets_the_exception()
    {
        await using var writer = new Writer();
        var results = await writer.OneBatch(
            Declare("op-a"),
            async ctx =>
            {
                await Declare("op-ghost")(ctx);
                throw new InvalidOperationException("boom");
            },
            Declare("op-b"));

        Assert.Equal("op-a", results[0].Result.Value);
        Assert.Equal("boom", Assert.IsType<InvalidOperationException>(results[1].Exception).Message);
        Assert.Equal("op-b", results[2].Result.Value);
        writer.AssertStored(["op-a", "op-b"], events: 2);
        Assert.Equal("op-a,op-b", (await writer.Queue.Submit(null, Candidates)).Value);
    }

    [Fact]
    public async Task A_refusal_that_wrote_nothing_leaves_the_batch_alone()
    {
        await using var writer = new Writer();
        var results = await writer.OneBatch(
            Declare("op-a"),
            _ => new(new Refusal(RefusalReason.NotFound, "nothing here")),
            Declare("op-b"),
            Candidates);

        Assert.Equal(RefusalReason.NotFound, results[1].Result.Error!.Reason);
        Assert.Equal("op-a,op-b", results[3].Result.Value);
        writer.AssertStored(["op-a", "op-b"], events: 2);
    }

    [Fact]
    public async Task Each_batch_reports_its_size_wait_run_and_commit_to_the_host_meters()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<IMeterFactory>();
        var measured = new List<(string Name, double Value)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Scope == meters && instrument.Meter.Name == WriterMetrics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<int>((instrument, value, _, _) => measured.Add((instrument.Name, value)));
        listener.SetMeasurementEventCallback<double>((instrument, value, _, _) => measured.Add((instrument.Name, value)));
        listener.Start();

        await using var writer = new Writer(meters);
        await writer.OneBatch(Declare("op-a"), Declare("op-b"), Candidates);

        // Three batches: the party, the request holding the writer, then the three together.
        Assert.Equal([1.0, 1.0, 3.0], measured.Where(m => m.Name == "deconflict.writer.batch_size").Select(m => m.Value));
        foreach (var name in new[] { "deconflict.writer.queue_wait", "deconflict.writer.run", "deconflict.writer.commit" })
        {
            Assert.Equal(3, measured.Count(m => m.Name == name && m.Value >= 0));
        }

        // The held batch's requests were queued while the writer was held, so they waited.
        Assert.True(measured.Where(m => m.Name == "deconflict.writer.queue_wait").Last().Value > 0);
    }

    [Fact]
    public async Task A_write_is_acknowledged_only_once_the_streams_have_been_told_of_its_event()
    {
        await using var writer = new Writer();
        await writer.Queue.Submit<string>(null, async ctx =>
        {
            await ctx.Store.Parties.InsertAsync(new Party("blue", "Blue", PartyRole.Party, T0));
            return "ready";
        });

        // The answer's continuation runs on another thread than the writer's: were the streams told
        // after it, some of these reads would still find the previous sequence.
        for (var i = 1; i <= 1000; i++)
        {
            Assert.Equal($"op-{i}", (await writer.Queue.Submit(null, Declare($"op-{i}"))).Value);
            Assert.Equal(i, writer.Hub.LastSequence);
        }
    }

    /// <summary>Declares an operation over <see cref="Box"/> and records an event for it.</summary>
    private static Func<WriteContext, ValueTask<Outcome<string>>> Declare(string id) => async ctx =>
    {
        var outline = OutlineFactory.Polygon([new(9.95, 9.95), new(9.95, 10.05), new(10.05, 10.05), new(10.05, 9.95)], new GeometryLimits()).Outline!;
        ImmutableArray<Volume4D> volumes = [new Volume4D(outline, 1000, 2000, T0, T0.AddHours(1))];
        await ctx.Declarations.InsertAsync(new Declaration(DeclarationKind.Operation, id, "blue", 1, DeclarationState.Planned, 0, null, null, volumes, null, T0, T0));
        await ctx.EmitAsync(new DomainEvent("operation", "blue", [], $"{{\"id\":\"{id}\"}}"));
        return id;
    };

    /// <summary>The ids the writer's broad phase finds over <see cref="Box"/>, in order, comma-separated.</summary>
    private static async ValueTask<Outcome<string>> Candidates(WriteContext ctx) =>
        string.Join(",", (await ctx.Declarations.FindCandidatesAsync([Box])).Select(d => d.Id).Order(StringComparer.Ordinal));

    /// <summary>A writer on its own SQLite file.</summary>
    private sealed class Writer : IAsyncDisposable
    {
        private readonly string _directory = Path.Combine(Path.GetTempPath(), "deconflict-tests", Guid.NewGuid().ToString("N"));
        private readonly EventHub _hub = new();
        private readonly SqliteStore _store;

        public Writer(IMeterFactory? meters = null)
        {
            Directory.CreateDirectory(_directory);
            _store = new SqliteStore(Path.Combine(_directory, "store.db"));
            _store.Migrate();
            Queue = new WriteQueue(_store, TimeProvider.System, _hub, new DeconflictOptions(), NullLogger<WriteQueue>.Instance, meters);
        }

        public WriteQueue Queue { get; }

        /// <summary>What the writer tells the event streams.</summary>
        public EventHub Hub => _hub;

        public async ValueTask DisposeAsync()
        {
            await Queue.DisposeAsync();
            await _store.DisposeAsync();
            SqliteConnection.ClearAllPools();
            Directory.Delete(_directory, recursive: true);
        }

        /// <summary>
        /// Runs the writes as one batch: a first request holds the writer until all of them are queued,
        /// so the writer takes them together.
        /// </summary>
        public async Task<(Outcome<string> Result, Exception? Exception)[]> OneBatch(params Func<WriteContext, ValueTask<Outcome<string>>>[] writes)
        {
            await Queue.Submit<string>(null, async ctx =>
            {
                await ctx.Store.Parties.InsertAsync(new Party("blue", "Blue", PartyRole.Party, T0));
                return "ready";
            });
            using var holding = new ManualResetEventSlim();
            using var release = new ManualResetEventSlim();
            var holder = Queue.Submit<string>(null, _ =>
            {
                holding.Set();
                release.Wait();
                return new("held");
            });
            holding.Wait();
            var tasks = writes.Select(w => Queue.Submit(null, w)).ToArray();
            release.Set();
            await holder;
            var results = new List<(Outcome<string>, Exception?)>();
            foreach (var task in tasks)
            {
                try
                {
                    results.Add((await task, null));
                }
                catch (Exception e)
                {
                    results.Add((default, e));
                }
            }

            return [.. results];
        }

        public void AssertStored(string[] ids, int events)
        {
            Assert.Equal(ids, _store.ListDeclarations(new DeclarationQuery(DeclarationKind.Operation)).Items.Select(d => d.Id).Order(StringComparer.Ordinal));
            Assert.Null(_store.GetDeclaration(DeclarationKind.Operation, "op-ghost"));

            // Events (and so record entries) are numbered 1..n without a gap left by the undone one.
            var stored = _store.ReadEvents(0, new Caller(null, null, "admin"), 100);
            Assert.Equal(Enumerable.Range(1, events).Select(i => (long)i), stored.Select(e => e.Sequence));
            Assert.Equal(ids.Select(id => $"{{\"id\":\"{id}\"}}"), stored.Select(e => e.PayloadJson).Order(StringComparer.Ordinal));
            Assert.Equal(events, _hub.LastSequence);

            // The record holds exactly those entries, and its stored nodes prove each of them.
            var leaves = _store.ReadRecord(0, 100);
            Assert.Equal(events, leaves.Count);
            var root = _store.RecordRoot(events);
            foreach (var leaf in leaves)
            {
                Assert.Equal(MerkleTree.LeafHash(leaf.Entry), leaf.LeafHash);
                Assert.True(MerkleTree.VerifyInclusion(leaf.Index, events, leaf.LeafHash, _store.InclusionProof(leaf.Index, events), root));
            }
        }
    }
}
