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
    public void Migrating_twice_changes_nothing()
    {
        Write(s => s.Parties.Insert(new Party("blue", "Blue", PartyRole.Party, T0)));
        Store.Migrate();
        Assert.Equal("Blue", Store.GetParty("blue")!.Name);
    }

    [Fact]
    public void Parties_and_tokens_round_trip_and_revocation_is_visible()
    {
        var hash = new byte[32];
        hash[0] = 7;
        Write(s =>
        {
            s.Parties.Insert(new Party("blue", "Blue", PartyRole.Party, T0));
            s.Parties.Insert(new Party("un", "UN", PartyRole.Observer, T0));
            s.Parties.InsertToken(new AccessToken("tk-1", "blue", hash, T0, null));
            s.Parties.InsertToken(new AccessToken("tk-admin", null, new byte[32], T0, null));
        });
        Assert.Equal(["blue", "un"], Store.ListParties().Select(p => p.Id));
        Assert.Equal(PartyRole.Observer, Store.GetParty("un")!.Role);
        Assert.Null(Store.GetParty("red"));
        var token = Store.FindToken(hash)!;
        Assert.Equal("blue", token.PartyId);
        Assert.Null(token.RevokedAt);
        Assert.True(Store.AnyAdminToken());

        Write(s => s.Parties.RevokeToken("tk-1", T0.AddMinutes(1)));
        Assert.Equal(T0.AddMinutes(1), Store.FindToken(hash)!.RevokedAt);
    }

    [Fact]
    public void Declarations_round_trip_exactly()
    {
        Write(s => s.Parties.Insert(new Party("blue", "Blue", PartyRole.Party, T0)));
        var d = Declaration("op-1", "blue", Square(35.5, 35.8), details: """{"mission":"x"}""");
        Write(s => s.Declarations.Insert(d));
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
    public void The_broad_phase_finds_live_declarations_whose_boxes_meet_and_only_those()
    {
        Write(s =>
        {
            s.Parties.Insert(new Party("blue", "Blue", PartyRole.Party, T0));
            s.Declarations.Insert(Declaration("op-near", "blue", Square(35.5, 35.8)));
            s.Declarations.Insert(Declaration("op-far", "blue", Square(10, 10)));
            s.Declarations.Insert(Declaration("op-later", "blue", Square(35.5, 35.8, start: T0.AddHours(5), end: T0.AddHours(6))));
            s.Declarations.Insert(Declaration("op-higher", "blue", Square(35.5, 35.8, lower: 20_000, upper: 30_000)));
            s.Declarations.Insert(Declaration("op-cancelled", "blue", Square(35.5, 35.8)) with { State = DeclarationState.Cancelled });
            s.Declarations.Insert(Declaration("op-dateline", "blue", Square(0, 179.95)));
        });

        Assert.Equal(["op-near"], Candidates(new VolumeBox(new GeoBox(35.45, 35.75, 35.55, 35.85), 0, 10_000, T0, T0.AddHours(1))));
        Assert.Equal(["op-dateline"], Candidates(new VolumeBox(new GeoBox(-0.01, 179.99, 0.01, -179.99), 0, 10_000, T0, T0.AddHours(1))));
        Assert.Equal(["op-later", "op-near"], Candidates(new VolumeBox(new GeoBox(35.45, 35.75, 35.55, 35.85), 0, 10_000, T0, T0.AddHours(6))));
        Assert.Empty(Candidates(new VolumeBox(new GeoBox(-50, -50, -49, -49), 0, 10_000, T0, T0.AddHours(1))));

        Write(s =>
        {
            var near = s.Declarations.Get(DeclarationKind.Operation, "op-near")!;
            s.Declarations.Update(near with { Version = 2, Volumes = Square(-30, -30) });
        });
        Assert.Empty(Candidates(new VolumeBox(new GeoBox(35.45, 35.75, 35.55, 35.85), 0, 10_000, T0, T0.AddHours(1))));
        Assert.Equal(["op-near"], Candidates(new VolumeBox(new GeoBox(-30.01, -30.01, -29.99, -29.99), 0, 10_000, T0, T0.AddHours(1))));
    }

    [Fact]
    public void A_write_rolled_back_to_its_savepoint_leaves_no_trace_in_the_broad_phase()
    {
        Write(s =>
        {
            s.Parties.Insert(new Party("blue", "Blue", PartyRole.Party, T0));
            s.Declarations.Insert(Declaration("op-kept", "blue", Square(35.5, 35.8)));
        });
        var near = new VolumeBox(new GeoBox(35.45, 35.75, 35.55, 35.85), 0, 10_000, T0, T0.AddHours(1));
        var far = new VolumeBox(new GeoBox(-30.01, -30.01, -29.99, -29.99), 0, 10_000, T0, T0.AddHours(1));
        using (var s = Store.OpenWriteSession())
        {
            s.Begin();
            s.Savepoint();
            s.Declarations.Insert(Declaration("op-undone", "blue", Square(35.5, 35.8)));
            var kept = s.Declarations.Get(DeclarationKind.Operation, "op-kept")!;
            s.Declarations.Update(kept with { Version = 2, Volumes = Square(-30, -30) });
            Assert.Equal(["op-undone"], s.Declarations.FindCandidates([near]).Select(d => d.Id));
            Assert.Equal(["op-kept"], s.Declarations.FindCandidates([far]).Select(d => d.Id));
            s.RollbackToSavepoint();
            s.ReleaseSavepoint();

            // The same session, after the rollback, sees the committed state again.
            Assert.Equal(["op-kept"], s.Declarations.FindCandidates([near]).Select(d => d.Id));
            Assert.Empty(s.Declarations.FindCandidates([far]));
            Assert.Equal(1, s.Declarations.FindCandidates([near])[0].Version);
            s.Commit();
        }

        Assert.Null(Store.GetDeclaration(DeclarationKind.Operation, "op-undone"));
        Assert.Equal(["op-kept"], Candidates(near));
    }

    [Fact]
    public void Declarations_ended_by_a_time_are_the_live_ones_whose_last_volume_is_over()
    {
        Write(s =>
        {
            s.Parties.Insert(new Party("blue", "Blue", PartyRole.Party, T0));
            s.Declarations.Insert(Declaration("op-1", "blue", Square(1, 1, start: T0, end: T0.AddHours(1))));
            s.Declarations.Insert(Declaration("op-2", "blue", Square(1, 1, start: T0, end: T0.AddHours(2))));
            s.Declarations.Insert(Declaration("op-3", "blue", Square(1, 1, start: T0, end: T0.AddHours(1))) with { State = DeclarationState.Cancelled });
        });
        List<string> ended = [];
        Write(s => ended = [.. s.Declarations.EndedBy(T0.AddHours(1), 10).Select(d => d.Id)]);
        Assert.Equal(["op-1"], ended);
        Write(s => ended = [.. s.Declarations.EndedBy(T0.AddHours(1).AddTicks(-1), 10).Select(d => d.Id)]);
        Assert.Empty(ended);
    }

    [Fact]
    public void Declarations_ended_by_a_time_come_soonest_first_and_follow_changes_and_rollbacks()
    {
        static ImmutableArray<Volume4D> Ending(DateTimeOffset end) => Square(1, 1, start: T0, end: end);

        Write(s =>
        {
            s.Parties.Insert(new Party("blue", "Blue", PartyRole.Party, T0));
            s.Declarations.Insert(Declaration("op-3h", "blue", Ending(T0.AddHours(3))));
            s.Declarations.Insert(Declaration("op-1h", "blue", Ending(T0.AddHours(1))));
            s.Declarations.Insert(Declaration("op-2h", "blue", Ending(T0.AddHours(2))));
            s.Declarations.Insert(Declaration("op-9h", "blue", Ending(T0.AddHours(9))));
        });
        var moved = Declaration("op-1h", "blue", Ending(T0.AddHours(5))) with { Version = 2 };
        var at4h = T0.AddHours(4);
        using (var s = Store.OpenWriteSession())
        {
            List<string> Ended(DateTimeOffset now, int limit = 10) => [.. s.Declarations.EndedBy(now, limit).Select(d => d.Id)];

            s.Begin();
            Assert.Equal(["op-1h", "op-2h", "op-3h"], Ended(at4h));
            Assert.Equal(["op-1h", "op-2h"], Ended(at4h, 2));

            // Asking twice changes nothing; a later end moves the declaration out, a rollback back.
            Assert.Equal(["op-1h", "op-2h", "op-3h"], Ended(at4h));
            s.Declarations.Update(moved);
            Assert.Equal(["op-2h", "op-3h"], Ended(at4h));
            Assert.Equal(["op-2h", "op-3h", "op-1h"], Ended(T0.AddHours(5)));
            s.Rollback();

            s.Begin();
            Assert.Equal(["op-1h", "op-2h", "op-3h"], Ended(at4h));

            // Moved and rolled back again, then moved for good: listed once, at its new end.
            s.Declarations.Update(moved);
            s.Rollback();
            s.Begin();
            s.Declarations.Update(moved);
            s.Commit();
            s.Begin();
            Assert.Equal(["op-2h", "op-3h", "op-1h"], Ended(T0.AddHours(6)));

            // Ended (no longer live) inside a savepoint rolled back: listed again.
            s.Savepoint();
            s.Declarations.Update(Declaration("op-2h", "blue", Ending(T0.AddHours(2))) with { Version = 2, State = DeclarationState.Ended });
            Assert.Equal(["op-3h", "op-1h"], Ended(T0.AddHours(6)));
            s.RollbackToSavepoint();
            s.ReleaseSavepoint();
            Assert.Equal(["op-2h", "op-3h", "op-1h"], Ended(T0.AddHours(6)));
            s.Commit();
        }

        // A new session (as after a restart) rebuilds the same order from the database.
        List<string> reopened = [];
        Write(s => reopened = [.. s.Declarations.EndedBy(T0.AddHours(10), 10).Select(d => d.Id)]);
        Assert.Equal(["op-2h", "op-3h", "op-1h", "op-9h"], reopened);
    }

    [Fact]
    public void Conflicts_round_trip_and_live_ones_are_found_from_either_side()
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
        Write(s => s.Conflicts.Insert(c));
        var read = Store.GetConflict("cf-1")!;
        Assert.Equal(c.Overlap, read.Overlap);
        Assert.Equal(c.A, read.A);
        Assert.Equal(c.B, read.B);
        Assert.Equal(T0.AddSeconds(1.5), read.AcknowledgedBy["red"]);
        IReadOnlyList<Conflict> live = [];
        Write(s => live = s.Conflicts.LiveOf("zn-b"));
        Assert.Single(live);
        Write(s => s.Conflicts.Update(c with { Version = 2, State = ConflictState.Resolved, ResolvedAt = T0.AddHours(1) }));
        Write(s => live = s.Conflicts.LiveOf("op-a"));
        Assert.Empty(live);
        Assert.Equal(ConflictState.Resolved, Store.GetConflict("cf-1")!.State);

        // A conflict written and rolled back to its savepoint is not live for either side.
        using (var s = Store.OpenWriteSession())
        {
            s.Begin();
            s.Savepoint();
            s.Conflicts.Insert(c with { Id = "cf-2" });
            Assert.Equal(["cf-2"], s.Conflicts.LiveOf("zn-b").Select(x => x.Id));
            s.RollbackToSavepoint();
            s.ReleaseSavepoint();
            Assert.Empty(s.Conflicts.LiveOf("zn-b"));
            Assert.Empty(s.Conflicts.LiveOf("op-a"));
            s.Commit();
        }

        Assert.Null(Store.GetConflict("cf-2"));
        Assert.Single(Store.ListConflicts(new ConflictQuery("blue")).Items);
        Assert.Empty(Store.ListConflicts(new ConflictQuery("green")).Items);
        Assert.Empty(Store.ListConflicts(new ConflictQuery(null, ConflictState.Open)).Items);
    }

    [Fact]
    public void Events_are_numbered_without_gaps_in_commit_order_and_filtered_by_audience()
    {
        Write(s =>
        {
            s.AppendEvent(new DomainEvent("operation", "blue", [], "{\"n\":1}"), T0);
            s.Savepoint();
            s.AppendEvent(new DomainEvent("operation", "blue", [], "{\"n\":\"undone\"}"), T0);
            s.RollbackToSavepoint();
            s.ReleaseSavepoint();
            s.AppendEvent(new DomainEvent("conflict", "red", ["red", "blue"], "{\"n\":2}"), T0);
            s.AppendEvent(new DomainEvent("conflict", "red", ["red", "green"], "{\"n\":3}"), T0);
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
    public void Every_event_is_a_leaf_and_rolled_back_appends_leave_the_tree_as_it_was()
    {
        var reference = new MemoryMerkleNodes();
        (long Size, byte[] Root) inSession = default;
        Write(s =>
        {
            Assert.Equal(MerkleTree.EmptyRoot(), s.RecordHead().Root);
            for (var i = 0; i < 6; i++)
            {
                s.AppendEvent(new DomainEvent("operation", "blue", i % 2 == 0 ? [] : ["blue", "red"], $"{{\"n\":{i}}}"), T0);
            }

            s.Savepoint();
            s.AppendEvent(new DomainEvent("operation", "blue", [], "{\"n\":\"undone\"}"), T0);
            s.RollbackToSavepoint();
            s.ReleaseSavepoint();
            s.AppendEvent(new DomainEvent("conflict", "red", ["red", "green"], "{\"n\":6}"), T0);
            inSession = s.RecordHead();
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
    public void Heads_cosignatures_keys_and_reveals_round_trip()
    {
        var root = MerkleTree.EmptyRoot();
        Write(s =>
        {
            s.Parties.Insert(new Party("blue", "Blue", PartyRole.Party, T0));
            s.AppendEvent(new DomainEvent("party", null, ["blue"], "{}"), T0);
            s.Record.InsertHead(new RecordHead(0, root, T0, [1, 2, 3]));
            s.Record.InsertHead(new RecordHead(1, s.RecordHead().Root, T0.AddSeconds(1), [4, 5, 6]));
            s.Parties.SetKey("blue", [.. Enumerable.Repeat((byte)7, 32)], T0);
            s.Parties.SetKey("blue", [.. Enumerable.Repeat((byte)8, 32)], T0.AddSeconds(2));
            s.Record.InsertCosignature(new Cosignature("blue", 0, root, T0, [9]));
            s.Record.InsertCosignature(new Cosignature("blue", 1, root, T0.AddSeconds(3), [10]));
            Assert.True(s.Record.Reveal(0, "blue", T0));
            Assert.False(s.Record.Reveal(0, "blue", T0.AddSeconds(5)));
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
    public void The_write_session_reads_the_newest_head_as_its_transaction_stands()
    {
        var root = MerkleTree.EmptyRoot();
        Write(s =>
        {
            Assert.Null(s.Record.LatestHead());
            s.Record.InsertHead(new RecordHead(0, root, T0, [1, 2, 3]));
            Assert.Equal([1, 2, 3], s.Record.LatestHead()!.Signature);
        });

        using (var s = Store.OpenWriteSession())
        {
            s.Begin();
            s.AppendEvent(new DomainEvent("party", null, [], "{}"), T0);
            s.Record.InsertHead(new RecordHead(1, s.RecordHead().Root, T0.AddSeconds(1), [4, 5, 6]));
            Assert.Equal(1, s.Record.LatestHead()!.Size);
            s.Rollback();
            s.Begin();
            Assert.Equal((0L, T0), (s.Record.LatestHead()!.Size, s.Record.LatestHead()!.Time));
            s.Rollback();
        }
    }

    /// <summary>The lease's epoch a fresh store's write session reads: null where one node writes alone.</summary>
    protected virtual long? FreshLeaseEpoch => null;

    [Fact]
    public void The_write_session_reads_the_lease_epoch_that_fences_the_duties_writes()
    {
        using var s = Store.OpenWriteSession();
        s.Begin();
        Assert.Equal(FreshLeaseEpoch, s.LeaseEpoch());
        s.Rollback();
    }

    [Fact]
    public void A_rolled_back_transaction_leaves_nothing()
    {
        using (var s = Store.OpenWriteSession())
        {
            s.Begin();
            s.Parties.Insert(new Party("blue", "Blue", PartyRole.Party, T0));
            s.AppendEvent(new DomainEvent("party", null, [], "{}"), T0);
            s.Rollback();
        }

        Assert.Null(Store.GetParty("blue"));
        Assert.Equal(0, Store.LastEventSequence());
    }

    [Fact]
    public void Only_one_write_session_may_be_open()
    {
        using var first = Store.OpenWriteSession();
        Assert.Throws<InvalidOperationException>(() => Store.OpenWriteSession());
    }

    [Fact]
    public void Lists_page_in_insertion_order()
    {
        Write(s =>
        {
            s.Parties.Insert(new Party("blue", "Blue", PartyRole.Party, T0));
            for (var i = 0; i < 5; i++)
            {
                s.Declarations.Insert(Declaration($"op-{i}", "blue", Square(i, i)));
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
    public void Alerts_round_trip_exactly_update_in_place_and_list_by_party_and_state()
    {
        var blue = new AlertAircraft("blue", "B1", "VIPER11", T0, 35.123456789, 179.99, 9144.5, new Enu(120.25, -3.5, 2.54));
        var red = new AlertAircraft("red", "R7", null, T0.AddMilliseconds(-250), -0.5, -179.99, 9300, new Enu(-150, 0, 0));
        var e = new Encounter(true, 42.5, 80.25, 61.125, 1234.5, 155.5);
        var first = AlertLifecycle.Raise("alert-1", AlertLevel.Warning, blue, red, e, T0);
        var second = AlertLifecycle.Raise("alert-2", AlertLevel.Caution, blue with { TrackId = "B2" }, red with { Party = "green" }, e, T0.AddSeconds(1));
        Write(s =>
        {
            s.Alerts.Insert(first);
            s.Alerts.Insert(second);
        });
        var read = Store.GetAlert("alert-1")!;
        Assert.Equal(first with { AcknowledgedBy = read.AcknowledgedBy, RecordIndex = 0 }, read);
        Assert.Empty(read.AcknowledgedBy);
        Assert.Equal(new ClosestApproach(T0.AddSeconds(61.125), 1234.5, 155.5), read.Cpa);

        var acked = AlertLifecycle.Acknowledge(first, "red", T0.AddSeconds(3))!;
        var lost = AlertLifecycle.LoseTrack(acked, blue, red with { Lost = true }, e with { TimeIn = 40 }, T0.AddSeconds(2), T0.AddSeconds(5));
        Write(s => s.Alerts.Update(lost));
        var readLost = Store.GetAlert("alert-1")!;
        Assert.Equal(lost with { AcknowledgedBy = readLost.AcknowledgedBy, RecordIndex = 0 }, readLost);
        Assert.Equal((T0.AddSeconds(5), false, true), (readLost.TrackLostAt, readLost.A.Lost, readLost.B.Lost));
        var cleared = AlertLifecycle.Clear(lost, T0.AddSeconds(9), ClearReason.TrackStale);
        Write(s =>
        {
            Assert.Equal(3, s.Alerts.Get("alert-1")!.Version);
            s.Alerts.Update(cleared);
            Assert.Equal(4, s.Alerts.Get("alert-1")!.Version);
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
    public void Updating_an_alert_that_is_not_stored_fails_and_a_duplicate_id_is_refused()
    {
        var a = new AlertAircraft("blue", "B1", null, T0, 0, 0, 0, new Enu(0, 0, 0));
        var alert = AlertLifecycle.Raise("alert-1", AlertLevel.Loss, a, a with { Party = "red" }, new Encounter(true, 0, 5, 0, 10, 0), T0);
        using var s = Store.OpenWriteSession();
        s.Begin();
        Assert.Throws<InvalidOperationException>(() => s.Alerts.Update(alert));
        s.Alerts.Insert(alert);
        Assert.ThrowsAny<Exception>(() => s.Alerts.Insert(alert));
        s.Rollback();
        Assert.Null(Store.GetAlert("alert-1"));
    }

    [Fact]
    public void The_change_counter_stays_still_for_reads_and_moves_with_every_kind_of_write()
    {
        Write(s =>
        {
            s.Parties.Insert(new Party("blue", "Blue", PartyRole.Party, T0));
            s.Declarations.Insert(Declaration("op-1", "blue", Square(1, 1)));
        });
        var box = new VolumeBox(new GeoBox(0.9, 0.9, 1.1, 1.1), 0, 10_000, T0, T0.AddHours(1));
        using var s = Store.OpenWriteSession();
        s.Begin();
        var c = s.Changes;

        // Reads, including those that fill the session's caches, change nothing.
        Assert.NotNull(s.Declarations.Get(DeclarationKind.Operation, "op-1"));
        Assert.Single(s.Declarations.FindCandidates([box]));
        Assert.Empty(s.Conflicts.LiveOf("op-1"));
        Assert.NotNull(s.Parties.Get("blue"));
        _ = s.RecordHead();
        Assert.Equal(c, s.Changes);

        List<Action<IWriteSession>> writes =
        [
            w => w.Declarations.Insert(Declaration("op-2", "blue", Square(2, 2))),
            w => w.Declarations.Update(w.Declarations.Get(DeclarationKind.Operation, "op-1")! with { Version = 2, Volumes = Square(3, 3) }),
            w => w.Conflicts.Insert(new Conflict(
                "cf-1", 1, ConflictState.Open, new ConflictRef(DeclarationKind.Operation, "op-1", "blue", 2), new ConflictRef(DeclarationKind.Operation, "op-2", "red", 1),
                new VolumeOverlap(T0, T0.AddMinutes(1), 0, 1), ImmutableSortedDictionary<string, DateTimeOffset>.Empty, ImmutableSortedDictionary<string, DateTimeOffset>.Empty, T0, T0, null)),
            w => w.AppendEvent(new DomainEvent("operation", "blue", [], "{}"), T0),
            w => w.Parties.Insert(new Party("red", "Red", PartyRole.Party, T0)),
        ];
        foreach (var write in writes)
        {
            var before = s.Changes;
            write(s);
            Assert.NotEqual(before, s.Changes);
        }

        s.Rollback();
    }

    protected abstract Task<IDeconflictStore> CreateEmptyStoreAsync();

    protected abstract Task DeleteStoreAsync();

    protected static ImmutableArray<Volume4D> Square(double lat, double lng, double half = 0.05, double lower = 1000, double upper = 5000, DateTimeOffset? start = null, DateTimeOffset? end = null)
    {
        var outline = OutlineFactory.Polygon([new(lat - half, lng - half), new(lat - half, lng + half), new(lat + half, lng + half), new(lat + half, lng - half)], new GeometryLimits());
        return [new Volume4D(outline.Outline ?? throw new InvalidOperationException(outline.Error), lower, upper, start ?? T0, end ?? T0.AddHours(1))];
    }

    protected static Declaration Declaration(string id, string party, ImmutableArray<Volume4D> volumes, string? details = null) =>
        new(DeclarationKind.Operation, id, party, 1, DeclarationState.Planned, 0, null, null, volumes, details, T0, T0);

    private List<string> Candidates(VolumeBox box)
    {
        List<string> ids = [];
        Write(s => ids = [.. s.Declarations.FindCandidates([box]).Select(d => d.Id).Order(StringComparer.Ordinal)]);
        return ids;
    }

    private void Write(Action<IWriteSession> action)
    {
        using var s = Store.OpenWriteSession();
        s.Begin();
        action(s);
        s.Commit();
    }
}
