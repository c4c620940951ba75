using System.Collections.Immutable;
using Deconflict.Core.Geometry;
using Deconflict.Core.Model;
using Deconflict.Core.Record;
using Deconflict.Core.Strategic;
using Deconflict.Core.Tactical;
using Deconflict.Core.Volumes;
using Deconflict.Storage;

namespace Deconflict.Tests.Storage;

/// <summary>
/// The contract every store must keep. A new store (PostgreSQL + PostGIS) derives from this class
/// and only says how to create an empty store; the tests stay the same.
/// </summary>
public abstract class StoreContract : IAsyncLifetime
{
    protected static readonly DateTimeOffset T0 = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private IDeconflictStore? _store;

    protected IDeconflictStore Store => _store!;

    public async Task InitializeAsync()
    {
        _store = await CreateEmptyStoreAsync();
        _store.Migrate();
    }

    public async Task DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }

        await DeleteStoreAsync();
    }

    [Fact]
    public async Task Migrating_twice_changes_nothing()
    {
        await Write(async s => await s.Parties.InsertAsync(new Party("blue", "Blue", PartyRole.Party, T0)));
        Store.Migrate();
        Assert.Equal("Blue", Store.GetParty("blue")!.Name);
    }

    [Fact]
    public async Task Parties_and_tokens_round_trip_and_revocation_is_visible()
    {
        var hash = new byte[32];
        hash[0] = 7;
        await Write(async s =>
        {
            await s.Parties.InsertAsync(new Party("blue", "Blue", PartyRole.Party, T0));
            await s.Parties.InsertAsync(new Party("un", "UN", PartyRole.Observer, T0));
            await s.Parties.InsertTokenAsync(new AccessToken("tk-1", "blue", hash, T0, null));
            await s.Parties.InsertTokenAsync(new AccessToken("tk-admin", null, new byte[32], T0, null));
        });
        Assert.Equal(["blue", "un"], Store.ListParties().Select(p => p.Id));
        Assert.Equal(PartyRole.Observer, Store.GetParty("un")!.Role);
        Assert.Null(Store.GetParty("red"));
        var token = Store.FindToken(hash)!;
        Assert.Equal("blue", token.PartyId);
        Assert.Null(token.RevokedAt);
        Assert.True(Store.AnyAdminToken());

        await Write(async s => await s.Parties.RevokeTokenAsync("tk-1", T0.AddMinutes(1)));
        Assert.Equal(T0.AddMinutes(1), Store.FindToken(hash)!.RevokedAt);
    }

    [Fact]
    public async Task Declarations_round_trip_exactly()
    {
        await Write(async s => await s.Parties.InsertAsync(new Party("blue", "Blue", PartyRole.Party, T0)));
        var d = Declaration("op-1", "blue", Square(35.5, 35.8), details: """{"mission":"x"}""");
        await Write(async s => await s.Declarations.InsertAsync(d));
        var read = Store.GetDeclaration(DeclarationKind.Operation, "op-1")!;
        Assert.Equal(d with { Volumes = [] }, read with { Volumes = [], RecordIndex = null });

        // Written with no entry after it yet, the row names the entry the writer appends next: 0.
        Assert.Equal(0, read.RecordIndex);
        var v = Assert.Single(read.Volumes);
        Assert.Equal(d.Volumes[0].TimeStart, v.TimeStart);
        Assert.Equal(d.Volumes[0].AltitudeUpperM, v.AltitudeUpperM);
        Assert.Equal(((PolygonOutline)d.Volumes[0].Outline).Vertices, ((PolygonOutline)v.Outline).Vertices);
        Assert.Null(Store.GetDeclaration(DeclarationKind.Zone, "op-1"));
    }

    [Fact]
    public async Task The_broad_phase_finds_live_declarations_whose_boxes_meet_and_only_those()
    {
        await Write(async s =>
          {
              await s.Parties.InsertAsync(new Party("blue", "Blue", PartyRole.Party, T0));
              await s.Declarations.InsertAsync(Declaration("op-near", "blue", Square(35.5, 35.8)));
              await s.Declarations.InsertAsync(Declaration("op-far", "blue", Square(10, 10)));
              await s.Declarations.InsertAsync(Declaration("op-later", "blue", Square(35.5, 35.8, start: T0.AddHours(5), end: T0.AddHours(6))));
              await s.Declarations.InsertAsync(Declaration("op-higher", "blue", Square(35.5, 35.8, lower: 20_000, upper: 30_000)));
              await s.Declarations.InsertAsync(Declaration("op-cancelled", "blue", Square(35.5, 35.8)) with { State = DeclarationState.Cancelled });
              await s.Declarations.InsertAsync(Declaration("op-dateline", "blue", Square(0, 179.95)));
          });

        Assert.Equal(["op-near"], await CandidatesAsync(new VolumeBox(new GeoBox(35.45, 35.75, 35.55, 35.85), 0, 10_000, T0, T0.AddHours(1))));
        Assert.Equal(["op-dateline"], await CandidatesAsync(new VolumeBox(new GeoBox(-0.01, 179.99, 0.01, -179.99), 0, 10_000, T0, T0.AddHours(1))));
        Assert.Equal(["op-later", "op-near"], await CandidatesAsync(new VolumeBox(new GeoBox(35.45, 35.75, 35.55, 35.85), 0, 10_000, T0, T0.AddHours(6))));
        Assert.Empty(await CandidatesAsync(new VolumeBox(new GeoBox(-50, -50, -49, -49), 0, 10_000, T0, T0.AddHours(1))));

        await Write(async s =>
          {
              var near = (await s.Declarations.GetAsync(DeclarationKind.Operation, "op-near"))!;
              await s.Declarations.UpdateAsync(near with { Version = 2, Volumes = Square(-30, -30) });
          });
        Assert.Empty(await CandidatesAsync(new VolumeBox(new GeoBox(35.45, 35.75, 35.55, 35.85), 0, 10_000, T0, T0.AddHours(1))));
        Assert.Equal(["op-near"], await CandidatesAsync(new VolumeBox(new GeoBox(-30.01, -30.01, -29.99, -29.99), 0, 10_000, T0, T0.AddHours(1))));
    }

    [Fact]
    public async Task A_write_rolled_back_to_its_savepoint_leaves_no_trace_in_the_broad_phase()
    {
        await Write(async s =>
          {
              await s.Parties.InsertAsync(new Party("blue", "Blue", PartyRole.Party, T0));
              await s.Declarations.InsertAsync(Declaration("op-kept", "blue", Square(35.5, 35.8)));
          });
        var near = new VolumeBox(new GeoBox(35.45, 35.75, 35.55, 35.85), 0, 10_000, T0, T0.AddHours(1));
        var far = new VolumeBox(new GeoBox(-30.01, -30.01, -29.99, -29.99), 0, 10_000, T0, T0.AddHours(1));
        await using (var s = Store.OpenWriteSession())
        {
            await s.BeginAsync();
            await s.SavepointAsync();
            await s.Declarations.InsertAsync(Declaration("op-undone", "blue", Square(35.5, 35.8)));
            var kept = (await s.Declarations.GetAsync(DeclarationKind.Operation, "op-kept"))!;
            await s.Declarations.UpdateAsync(kept with { Version = 2, Volumes = Square(-30, -30) });
            Assert.Equal(["op-undone"], (await s.Declarations.FindCandidatesAsync([near])).Select(d => d.Id));
            Assert.Equal(["op-kept"], (await s.Declarations.FindCandidatesAsync([far])).Select(d => d.Id));
            await s.RollbackToSavepointAsync();
            await s.ReleaseSavepointAsync();

            // The same session, after the rollback, sees the committed state again.
            Assert.Equal(["op-kept"], (await s.Declarations.FindCandidatesAsync([near])).Select(d => d.Id));
            Assert.Empty(await s.Declarations.FindCandidatesAsync([far]));
            Assert.Equal(1, (await s.Declarations.FindCandidatesAsync([near]))[0].Version);
            await s.CommitAsync();
        }

        Assert.Null(Store.GetDeclaration(DeclarationKind.Operation, "op-undone"));
        Assert.Equal(["op-kept"], await CandidatesAsync(near));
    }

    [Fact]
    public async Task Declarations_ended_by_a_time_are_the_live_ones_whose_last_volume_is_over()
    {
        await Write(async s =>
        {
            await s.Parties.InsertAsync(new Party("blue", "Blue", PartyRole.Party, T0));
            await s.Declarations.InsertAsync(Declaration("op-1", "blue", Square(1, 1, start: T0, end: T0.AddHours(1))));
            await s.Declarations.InsertAsync(Declaration("op-2", "blue", Square(1, 1, start: T0, end: T0.AddHours(2))));
            await s.Declarations.InsertAsync(Declaration("op-3", "blue", Square(1, 1, start: T0, end: T0.AddHours(1))) with { State = DeclarationState.Cancelled });
        });
        List<string> ended = [];
        await Write(async s => ended = [.. (await s.Declarations.EndedByAsync(T0.AddHours(1), 10)).Select(d => d.Id)]);
        Assert.Equal(["op-1"], ended);
        await Write(async s => ended = [.. (await s.Declarations.EndedByAsync(T0.AddHours(1).AddTicks(-1), 10)).Select(d => d.Id)]);
        Assert.Empty(ended);
    }

    [Fact]
    public async Task Declarations_ended_by_a_time_come_soonest_first_and_follow_changes_and_rollbacks()
    {
        static ImmutableArray<Volume4D> Ending(DateTimeOffset end) => Square(1, 1, start: T0, end: end);

        await Write(async s =>
          {
              await s.Parties.InsertAsync(new Party("blue", "Blue", PartyRole.Party, T0));
              await s.Declarations.InsertAsync(Declaration("op-3h", "blue", Ending(T0.AddHours(3))));
              await s.Declarations.InsertAsync(Declaration("op-1h", "blue", Ending(T0.AddHours(1))));
              await s.Declarations.InsertAsync(Declaration("op-2h", "blue", Ending(T0.AddHours(2))));
              await s.Declarations.InsertAsync(Declaration("op-9h", "blue", Ending(T0.AddHours(9))));
          });
        var moved = Declaration("op-1h", "blue", Ending(T0.AddHours(5))) with { Version = 2 };
        var at4h = T0.AddHours(4);
        await using (var s = Store.OpenWriteSession())
        {
            async Task<List<string>> Ended(DateTimeOffset now, int limit = 10) => [.. (await s.Declarations.EndedByAsync(now, limit)).Select(d => d.Id)];

            await s.BeginAsync();
            Assert.Equal(["op-1h", "op-2h", "op-3h"], await Ended(at4h));
            Assert.Equal(["op-1h", "op-2h"], await Ended(at4h, 2));

            // Asking twice changes nothing; a later end moves the declaration out, a rollback back.
            Assert.Equal(["op-1h", "op-2h", "op-3h"], await Ended(at4h));
            await s.Declarations.UpdateAsync(moved);
            Assert.Equal(["op-2h", "op-3h"], await Ended(at4h));
            Assert.Equal(["op-2h", "op-3h", "op-1h"], await Ended(T0.AddHours(5)));
            await s.RollbackAsync();

            await s.BeginAsync();
            Assert.Equal(["op-1h", "op-2h", "op-3h"], await Ended(at4h));

            // Moved and rolled back again, then moved for good: listed once, at its new end.
            await s.Declarations.UpdateAsync(moved);
            await s.RollbackAsync();
            await s.BeginAsync();
            await s.Declarations.UpdateAsync(moved);
            await s.CommitAsync();
            await s.BeginAsync();
            Assert.Equal(["op-2h", "op-3h", "op-1h"], await Ended(T0.AddHours(6)));

            // Ended (no longer live) inside a savepoint rolled back: listed again.
            await s.SavepointAsync();
            await s.Declarations.UpdateAsync(Declaration("op-2h", "blue", Ending(T0.AddHours(2))) with { Version = 2, State = DeclarationState.Ended });
            Assert.Equal(["op-3h", "op-1h"], await Ended(T0.AddHours(6)));
            await s.RollbackToSavepointAsync();
            await s.ReleaseSavepointAsync();
            Assert.Equal(["op-2h", "op-3h", "op-1h"], await Ended(T0.AddHours(6)));
            await s.CommitAsync();
        }

        // A new session (as after a restart) rebuilds the same order from the database.
        List<string> reopened = [];
        await Write(async s => reopened = [.. (await s.Declarations.EndedByAsync(T0.AddHours(10), 10)).Select(d => d.Id)]);
        Assert.Equal(["op-2h", "op-3h", "op-1h", "op-9h"], reopened);
    }

    [Fact]
    public async Task Live_declarations_and_conflicts_are_listed_by_key_with_boxes_holding_their_volumes()
    {
        long near = 0, dateline = 0, cancelled = 0, open = 0, resolved = 0;
        var nearVolumes = Square(35.5, 35.8, start: T0.AddHours(1), end: T0.AddHours(3));
        var across = OutlineFactory.Polygon([new(-0.05, 179.95), new(-0.05, -179.95), new(0.05, -179.95), new(0.05, 179.95)], new GeometryLimits());
        ImmutableArray<Volume4D> datelineVolumes = [new Volume4D(across.Outline ?? throw new InvalidOperationException(across.Error), 1000, 5000, T0, T0.AddHours(1))];
        await Write(async s =>
          {
              await s.Parties.InsertAsync(new Party("blue", "Blue", PartyRole.Party, T0));
              near = await s.Declarations.InsertAsync(Declaration("op-near", "blue", nearVolumes));
              dateline = await s.Declarations.InsertAsync(Declaration("op-dateline", "blue", datelineVolumes));
              cancelled = await s.Declarations.InsertAsync(Declaration("op-cancelled", "blue", Square(10, 10)));
              Assert.Equal(cancelled, await s.Declarations.UpdateAsync(Declaration("op-cancelled", "blue", Square(10, 10)) with { Version = 2, State = DeclarationState.Cancelled }));
              open = await s.Conflicts.InsertAsync(ConflictBetween("cf-open", "op-near", "op-dateline"));
              resolved = await s.Conflicts.InsertAsync(ConflictBetween("cf-resolved", "op-near", "op-cancelled"));
              Assert.Equal(resolved, await s.Conflicts.UpdateAsync(ConflictBetween("cf-resolved", "op-near", "op-cancelled") with { Version = 2, State = ConflictState.Resolved, ResolvedAt = T0 }));
          });

        await using var s = Store.OpenWriteSession();
        await s.BeginAsync();
        Assert.Equal(3, new[] { near, dateline, cancelled }.Distinct().Count());
        Assert.Equal("op-dateline", (await s.Declarations.GetByKeyAsync(dateline))?.Id);
        Assert.Equal(DeclarationState.Cancelled, (await s.Declarations.GetByKeyAsync(cancelled))?.State);
        Assert.Null(await s.Declarations.GetByKeyAsync(Math.Max(near, Math.Max(dateline, cancelled)) + 1000));

        var live = await s.Declarations.LiveBoxesAsync();
        Assert.Equal([near, dateline], live.Select(l => l.Key).Order());
        var nearBoxes = live.Single(l => l.Key == near);
        Assert.Equal(T0.AddHours(3), nearBoxes.EndsAt);
        var box = Assert.Single(nearBoxes.Boxes);
        var volume = VolumeBox.Of(nearVolumes[0]);
        Assert.True(box.Area.South <= volume.Area.South && box.Area.North >= volume.Area.North && box.Area.West <= volume.Area.West && box.Area.East >= volume.Area.East, $"{box} does not hold {volume}");
        Assert.True(box.AltitudeLowerM <= 1000 && box.AltitudeUpperM >= 5000 && box.TimeStart <= T0.AddHours(1) && box.TimeEnd >= T0.AddHours(3), $"{box} does not hold {volume}");

        // Across the antimeridian: one box a side of it, meeting there.
        var sides = live.Single(l => l.Key == dateline).Boxes.OrderBy(b => b.Area.West).ToList();
        Assert.Equal(2, sides.Count);
        Assert.True(sides[0].Area.West <= -180 + 1e-9 && sides[0].Area.East >= -179.95 - 1e-9, $"{sides[0]}");
        Assert.True(sides[1].Area.West <= 179.95 + 1e-9 && sides[1].Area.East >= 180 - 1e-9, $"{sides[1]}");

        Assert.Equal([(open, "op-near", "op-dateline")], await s.Conflicts.LiveSidesAsync());
        Assert.Equal("cf-resolved", (await s.Conflicts.GetByKeyAsync(resolved))?.Id);
        await s.RollbackAsync();
    }

    [Fact]
    public async Task Conflicts_round_trip_and_live_ones_are_found_from_either_side()
    {
        var c = new Conflict(
            "cf-1",
            1,
            ConflictState.Open,
            new ConflictRef(DeclarationKind.Operation, "op-a", "red", 2),
            new ConflictRef(DeclarationKind.Zone, "zn-b", "blue", 1),
            new VolumeOverlap(T0, T0.AddMinutes(30), 1000, 2000.5),
            ImmutableSortedDictionary<string, DateTimeOffset>.Empty.Add("red", T0.AddSeconds(1.5)),
            ImmutableSortedDictionary<string, DateTimeOffset>.Empty,
            T0,
            T0,
            null);
        await Write(async s => await s.Conflicts.InsertAsync(c));
        var read = Store.GetConflict("cf-1")!;
        Assert.Equal(c.Overlap, read.Overlap);
        Assert.Equal(c.A, read.A);
        Assert.Equal(c.B, read.B);
        Assert.Equal(T0.AddSeconds(1.5), read.AcknowledgedBy["red"]);
        IReadOnlyList<Conflict> live = [];
        await Write(async s => live = await s.Conflicts.LiveOfAsync("zn-b"));
        Assert.Single(live);
        await Write(async s => await s.Conflicts.UpdateAsync(c with { Version = 2, State = ConflictState.Resolved, ResolvedAt = T0.AddHours(1) }));
        await Write(async s => live = await s.Conflicts.LiveOfAsync("op-a"));
        Assert.Empty(live);
        Assert.Equal(ConflictState.Resolved, Store.GetConflict("cf-1")!.State);

        // A conflict written and rolled back to its savepoint is not live for either side.
        await using (var s = Store.OpenWriteSession())
        {
            await s.BeginAsync();
            await s.SavepointAsync();
            await s.Conflicts.InsertAsync(c with { Id = "cf-2" });
            Assert.Equal(["cf-2"], (await s.Conflicts.LiveOfAsync("zn-b")).Select(x => x.Id));
            await s.RollbackToSavepointAsync();
            await s.ReleaseSavepointAsync();
            Assert.Empty(await s.Conflicts.LiveOfAsync("zn-b"));
            Assert.Empty(await s.Conflicts.LiveOfAsync("op-a"));
            await s.CommitAsync();
        }

        Assert.Null(Store.GetConflict("cf-2"));
        Assert.Single(Store.ListConflicts(new ConflictQuery("blue")).Items);
        Assert.Empty(Store.ListConflicts(new ConflictQuery("green")).Items);
        Assert.Empty(Store.ListConflicts(new ConflictQuery(null, ConflictState.Open)).Items);
    }

    [Fact]
    public async Task Events_are_numbered_without_gaps_in_commit_order_and_filtered_by_audience()
    {
        await Write(async s =>
        {
            await s.AppendEventAsync(new DomainEvent("operation", "blue", [], "{\"n\":1}"), T0);
            await s.SavepointAsync();
            await s.AppendEventAsync(new DomainEvent("operation", "blue", [], "{\"n\":\"undone\"}"), T0);
            await s.RollbackToSavepointAsync();
            await s.ReleaseSavepointAsync();
            await s.AppendEventAsync(new DomainEvent("conflict", "red", ["red", "blue"], "{\"n\":2}"), T0);
            await s.AppendEventAsync(new DomainEvent("conflict", "red", ["red", "green"], "{\"n\":3}"), T0);
        });
        var blue = new Caller("blue", PartyRole.Party, "t");
        var all = Store.ReadEvents(0, new Caller(null, null, "admin"), 100);
        Assert.Equal([1L, 2L, 3L], all.Select(e => e.Sequence));
        Assert.Equal(["{\"n\":1}", "{\"n\":2}", "{\"n\":3}"], all.Select(e => e.PayloadJson));
        Assert.Equal([1L, 2L], Store.ReadEvents(0, blue, 100).Select(e => e.Sequence));
        Assert.Equal([2L], Store.ReadEvents(1, blue, 100).Select(e => e.Sequence));
        Assert.Equal(["blue", "red"], Store.ReadEvents(1, blue, 100)[0].Audience.Order());
        Assert.Equal([1L], Store.ReadEvents(0, blue, 1).Select(e => e.Sequence));
        Assert.Equal(3, Store.LastEventSequence());
    }

    [Fact]
    public async Task Every_event_is_a_leaf_and_rolled_back_appends_leave_the_tree_as_it_was()
    {
        var reference = new MemoryMerkleNodes();
        (long Size, byte[] Root) inSession = default;
        await Write(async s =>
        {
            Assert.Equal(MerkleTree.EmptyRoot(), (await s.RecordHeadAsync()).Root);
            for (var i = 0; i < 6; i++)
            {
                await s.AppendEventAsync(new DomainEvent("operation", "blue", i % 2 == 0 ? [] : ["blue", "red"], $"{{\"n\":{i}}}"), T0);
            }

            await s.SavepointAsync();
            await s.AppendEventAsync(new DomainEvent("operation", "blue", [], "{\"n\":\"undone\"}"), T0);
            await s.RollbackToSavepointAsync();
            await s.ReleaseSavepointAsync();
            await s.AppendEventAsync(new DomainEvent("conflict", "red", ["red", "green"], "{\"n\":6}"), T0);
            inSession = (await s.RecordHeadAsync());
        });

        var leaves = Store.ReadRecord(0, 100);
        Assert.Equal(7, leaves.Count);
        foreach (var leaf in leaves)
        {
            var entry = RecordEntry.Parse(leaf.Entry)!;
            Assert.Equal(leaf.Index, entry.Index);
            Assert.Equal($"{{\"n\":{leaf.Index}}}", entry.PayloadJson);
            Assert.Equal(MerkleTree.LeafHash(leaf.Entry), leaf.LeafHash);
            Assert.False(leaf.Revealed);
            reference.Append(leaf.LeafHash);
        }

        Assert.Equal(["green", "red"], leaves[6].Parties.Order());
        Assert.Empty(leaves[0].Parties);
        Assert.Equal(7L, inSession.Size);
        Assert.Equal(reference.Root(), inSession.Root);
        Assert.Equal(reference.Root(), Store.RecordRoot(7));
        Assert.Equal(reference.Root(4), Store.RecordRoot(4));
        for (var i = 0; i < 7; i++)
        {
            Assert.True(MerkleTree.VerifyInclusion(i, 7, leaves[i].LeafHash, Store.InclusionProof(i, 7), reference.Root()));
        }

        Assert.True(MerkleTree.VerifyConsistency(3, 7, reference.Root(3), reference.Root(), Store.ConsistencyProof(3, 7)));
        Assert.Equal([.. leaves.Skip(2).Take(3).Select(l => l.Index)], Store.ReadRecord(2, 5).Select(l => l.Index));
    }

    [Fact]
    public async Task Heads_cosignatures_keys_and_reveals_round_trip()
    {
        var root = MerkleTree.EmptyRoot();
        await Write(async s =>
        {
            await s.Parties.InsertAsync(new Party("blue", "Blue", PartyRole.Party, T0));
            await s.AppendEventAsync(new DomainEvent("party", null, ["blue"], "{}"), T0);
            await s.Record.InsertHeadAsync(new RecordHead(0, root, T0, [1, 2, 3]));
            await s.Record.InsertHeadAsync(new RecordHead(1, (await s.RecordHeadAsync()).Root, T0.AddSeconds(1), [4, 5, 6]));
            await s.Parties.SetKeyAsync("blue", [.. Enumerable.Repeat((byte)7, 32)], T0);
            await s.Parties.SetKeyAsync("blue", [.. Enumerable.Repeat((byte)8, 32)], T0.AddSeconds(2));
            await s.Record.InsertCosignatureAsync(new Cosignature("blue", 0, root, T0, [9]));
            await s.Record.InsertCosignatureAsync(new Cosignature("blue", 1, root, T0.AddSeconds(3), [10]));
            Assert.True(await s.Record.RevealAsync(0, "blue", T0));
            Assert.False(await s.Record.RevealAsync(0, "blue", T0.AddSeconds(5)));
        });

        Assert.Equal(1, Store.LatestHead()!.Size);
        Assert.Equal([4, 5, 6], Store.LatestHead()!.Signature);
        Assert.Equal(T0, Store.GetHead(0)!.Time);
        Assert.Null(Store.GetHead(2));
        Assert.Equal(Enumerable.Repeat((byte)8, 32), Store.PartyKey("blue"));
        Assert.Null(Store.PartyKey("red"));
        Assert.Equal(1, Store.LastCosignature("blue")!.Size);
        Assert.Equal([9], Assert.Single(Store.CosignaturesOf(0)).Signature);
        Assert.Null(Store.LastCosignature("red"));
        Assert.True(Store.ReadRecord(0, 1)[0].Revealed);
    }

    [Fact]
    public async Task The_write_session_reads_the_newest_head_as_its_transaction_stands()
    {
        var root = MerkleTree.EmptyRoot();
        await Write(async s =>
          {
              Assert.Null(await s.Record.LatestHeadAsync());
              await s.Record.InsertHeadAsync(new RecordHead(0, root, T0, [1, 2, 3]));
              Assert.Equal([1, 2, 3], (await s.Record.LatestHeadAsync())!.Signature);
          });

        await using (var s = Store.OpenWriteSession())
        {
            await s.BeginAsync();
            await s.AppendEventAsync(new DomainEvent("party", null, [], "{}"), T0);
            await s.Record.InsertHeadAsync(new RecordHead(1, (await s.RecordHeadAsync()).Root, T0.AddSeconds(1), [4, 5, 6]));
            Assert.Equal(1, (await s.Record.LatestHeadAsync())!.Size);
            await s.RollbackAsync();
            await s.BeginAsync();
            Assert.Equal((0L, T0), ((await s.Record.LatestHeadAsync())!.Size, (await s.Record.LatestHeadAsync())!.Time));
            await s.RollbackAsync();
        }
    }

    /// <summary>The lease's epoch a fresh store's write session reads: null where one node writes alone.</summary>
    protected virtual long? FreshLeaseEpoch => null;

    [Fact]
    public async Task The_write_session_reads_the_lease_epoch_that_fences_the_duties_writes()
    {
        await using var s = Store.OpenWriteSession();
        await s.BeginAsync();
        Assert.Equal(FreshLeaseEpoch, s.LeaseEpoch);
        await s.RollbackAsync();
    }

    [Fact]
    public async Task A_rolled_back_transaction_leaves_nothing()
    {
        await using (var s = Store.OpenWriteSession())
        {
            await s.BeginAsync();
            await s.Parties.InsertAsync(new Party("blue", "Blue", PartyRole.Party, T0));
            await s.AppendEventAsync(new DomainEvent("party", null, [], "{}"), T0);
            await s.RollbackAsync();
        }

        Assert.Null(Store.GetParty("blue"));
        Assert.Equal(0, Store.LastEventSequence());
    }

    [Fact]
    public async Task Only_one_write_session_may_be_open()
    {
        await using var first = Store.OpenWriteSession();
        Assert.Throws<InvalidOperationException>(() => Store.OpenWriteSession());
    }

    [Fact]
    public async Task Lists_page_in_insertion_order()
    {
        await Write(async s =>
        {
            await s.Parties.InsertAsync(new Party("blue", "Blue", PartyRole.Party, T0));
            for (var i = 0; i < 5; i++)
            {
                await s.Declarations.InsertAsync(Declaration($"op-{i}", "blue", Square(i, i)));
            }
        });
        var first = Store.ListDeclarations(new DeclarationQuery(DeclarationKind.Operation, Limit: 3));
        Assert.Equal(["op-0", "op-1", "op-2"], first.Items.Select(d => d.Id));
        var second = Store.ListDeclarations(new DeclarationQuery(DeclarationKind.Operation, Limit: 3, After: first.Next));
        Assert.Equal(["op-3", "op-4"], second.Items.Select(d => d.Id));
        Assert.Null(second.Next);
        Assert.Equal(["op-2"], Store.ListDeclarations(new DeclarationQuery(DeclarationKind.Operation, Area: new GeoBox(1.95, 1.95, 2.05, 2.05))).Items.Select(d => d.Id));
    }

    [Fact]
    public async Task Alerts_round_trip_exactly_update_in_place_and_list_by_party_and_state()
    {
        var blue = new AlertAircraft("blue", "B1", "VIPER11", T0, 35.123456789, 179.99, 9144.5, new Enu(120.25, -3.5, 2.54));
        var red = new AlertAircraft("red", "R7", null, T0.AddMilliseconds(-250), -0.5, -179.99, 9300, new Enu(-150, 0, 0));
        var e = new Encounter(true, 42.5, 80.25, 61.125, 1234.5, 155.5);
        var first = AlertLifecycle.Raise("alert-1", AlertLevel.Warning, blue, red, e, T0);
        var second = AlertLifecycle.Raise("alert-2", AlertLevel.Caution, blue with { TrackId = "B2" }, red with { Party = "green" }, e, T0.AddSeconds(1));
        await Write(async s =>
        {
            await s.Alerts.InsertAsync(first);
            await s.Alerts.InsertAsync(second);
        });
        var read = Store.GetAlert("alert-1")!;
        Assert.Equal(first with { AcknowledgedBy = read.AcknowledgedBy, RecordIndex = 0 }, read);
        Assert.Empty(read.AcknowledgedBy);
        Assert.Equal(new ClosestApproach(T0.AddSeconds(61.125), 1234.5, 155.5), read.Cpa);

        var acked = AlertLifecycle.Acknowledge(first, "red", T0.AddSeconds(3))!;
        var lost = AlertLifecycle.LoseTrack(acked, blue, red with { Lost = true }, e with { TimeIn = 40 }, T0.AddSeconds(2), T0.AddSeconds(5));
        await Write(async s => await s.Alerts.UpdateAsync(lost));
        var readLost = Store.GetAlert("alert-1")!;
        Assert.Equal(lost with { AcknowledgedBy = readLost.AcknowledgedBy, RecordIndex = 0 }, readLost);
        Assert.Equal((T0.AddSeconds(5), false, true), (readLost.TrackLostAt, readLost.A.Lost, readLost.B.Lost));
        var cleared = AlertLifecycle.Clear(lost, T0.AddSeconds(9), ClearReason.TrackStale);
        await Write(async s =>
        {
            Assert.Equal(3, (await s.Alerts.GetAsync("alert-1"))!.Version);
            await s.Alerts.UpdateAsync(cleared);
            Assert.Equal(4, (await s.Alerts.GetAsync("alert-1"))!.Version);
        });
        var stored = Store.GetAlert("alert-1")!;
        Assert.Equal((AlertState.Cleared, 4L, T0.AddSeconds(9), ClearReason.TrackStale), (stored.State, stored.Version, stored.ClearedAt, stored.ClearedReason));
        Assert.Equal(T0.AddSeconds(3), stored.AcknowledgedBy["red"]);

        Assert.Equal(["alert-1", "alert-2"], Store.ListAlerts("blue", null, 10, null).Items.Select(a => a.Id));
        Assert.Equal(["alert-1"], Store.ListAlerts("red", null, 10, null).Items.Select(a => a.Id));
        Assert.Equal(["alert-2"], Store.ListAlerts("green", AlertState.Active, 10, null).Items.Select(a => a.Id));
        Assert.Empty(Store.ListAlerts("red", AlertState.Active, 10, null).Items);
        Assert.Empty(Store.ListAlerts("yellow", null, 10, null).Items);
        var page = Store.ListAlerts(null, null, 1, null);
        Assert.Equal(["alert-1"], page.Items.Select(a => a.Id));
        Assert.Equal(["alert-2"], Store.ListAlerts(null, null, 1, page.Next).Items.Select(a => a.Id));
        Assert.Equal(["alert-2"], Store.ActiveAlerts().Select(a => a.Id));
        Assert.Null(Store.GetAlert("alert-3"));
    }

    [Fact]
    public async Task Updating_an_alert_that_is_not_stored_fails_and_a_duplicate_id_is_refused()
    {
        var a = new AlertAircraft("blue", "B1", null, T0, 0, 0, 0, new Enu(0, 0, 0));
        var alert = AlertLifecycle.Raise("alert-1", AlertLevel.Loss, a, a with { Party = "red" }, new Encounter(true, 0, 5, 0, 10, 0), T0);
        await using var s = Store.OpenWriteSession();
        await s.BeginAsync();
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await s.Alerts.UpdateAsync(alert));
        await s.Alerts.InsertAsync(alert);
        await Assert.ThrowsAnyAsync<Exception>(async () => await s.Alerts.InsertAsync(alert));
        await s.RollbackAsync();
        Assert.Null(Store.GetAlert("alert-1"));
    }

    [Fact]
    public async Task The_change_counter_stays_still_for_reads_and_moves_with_every_kind_of_write()
    {
        await Write(async s =>
          {
              await s.Parties.InsertAsync(new Party("blue", "Blue", PartyRole.Party, T0));
              await s.Declarations.InsertAsync(Declaration("op-1", "blue", Square(1, 1)));
          });
        var box = new VolumeBox(new GeoBox(0.9, 0.9, 1.1, 1.1), 0, 10_000, T0, T0.AddHours(1));
        await using var s = Store.OpenWriteSession();
        await s.BeginAsync();
        var c = s.Changes;

        // Reads, including those that fill the session's caches, change nothing.
        Assert.NotNull(await s.Declarations.GetAsync(DeclarationKind.Operation, "op-1"));
        Assert.Single(await s.Declarations.FindCandidatesAsync([box]));
        Assert.Empty(await s.Conflicts.LiveOfAsync("op-1"));
        Assert.NotNull(await s.Parties.GetAsync("blue"));
        _ = (await s.RecordHeadAsync());
        Assert.Equal(c, s.Changes);

        List<Func<IWriteSession, Task>> writes =
        [
            async w => await w.Declarations.InsertAsync(Declaration("op-2", "blue", Square(2, 2))),
            async w => await w.Declarations.UpdateAsync((await w.Declarations.GetAsync(DeclarationKind.Operation, "op-1"))! with { Version = 2, Volumes = Square(3, 3) }),
            async w => await w.Conflicts.InsertAsync(new Conflict(
                "cf-1", 1, ConflictState.Open, new ConflictRef(DeclarationKind.Operation, "op-1", "blue", 2), new ConflictRef(DeclarationKind.Operation, "op-2", "red", 1),
                new VolumeOverlap(T0, T0.AddMinutes(1), 0, 1), ImmutableSortedDictionary<string, DateTimeOffset>.Empty, ImmutableSortedDictionary<string, DateTimeOffset>.Empty, T0, T0, null)),
            async w => await w.AppendEventAsync(new DomainEvent("operation", "blue", [], "{}"), T0),
            async w => await w.Parties.InsertAsync(new Party("red", "Red", PartyRole.Party, T0)),
        ];
        foreach (var write in writes)
        {
            var before = s.Changes;
            await write(s);
            Assert.NotEqual(before, s.Changes);
        }

        await s.RollbackAsync();
    }

    protected abstract Task<IDeconflictStore> CreateEmptyStoreAsync();

    protected abstract Task DeleteStoreAsync();

    protected static ImmutableArray<Volume4D> Square(double lat, double lng, double half = 0.05, double lower = 1000, double upper = 5000, DateTimeOffset? start = null, DateTimeOffset? end = null)
    {
        var outline = OutlineFactory.Polygon([new(lat - half, lng - half), new(lat - half, lng + half), new(lat + half, lng + half), new(lat + half, lng - half)], new GeometryLimits());
        return [new Volume4D(outline.Outline ?? throw new InvalidOperationException(outline.Error), lower, upper, start ?? T0, end ?? T0.AddHours(1))];
    }

    private static Conflict ConflictBetween(string id, string a, string b) => new(
        id, 1, ConflictState.Open, new ConflictRef(DeclarationKind.Operation, a, "blue", 1), new ConflictRef(DeclarationKind.Operation, b, "blue", 1),
        new VolumeOverlap(T0, T0.AddHours(1), 1000, 5000), ImmutableSortedDictionary<string, DateTimeOffset>.Empty, ImmutableSortedDictionary<string, DateTimeOffset>.Empty, T0, T0, null);

    protected static Declaration Declaration(string id, string party, ImmutableArray<Volume4D> volumes, string? details = null) =>
        new(DeclarationKind.Operation, id, party, 1, DeclarationState.Planned, 0, null, null, volumes, details, T0, T0);

    private async Task<List<string>> CandidatesAsync(VolumeBox box)
    {
        List<string> ids = [];
        await Write(async s => ids = [.. (await s.Declarations.FindCandidatesAsync([box])).Select(d => d.Id).Order(StringComparer.Ordinal)]);
        return ids;
    }

    private async Task Write(Func<IWriteSession, Task> action)
    {
        await using var s = Store.OpenWriteSession();
        await s.BeginAsync();
        await action(s);
        await s.CommitAsync();
    }
}
