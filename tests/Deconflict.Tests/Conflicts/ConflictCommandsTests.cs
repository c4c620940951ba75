using Deconflict.Conflicts;
using Deconflict.Core.Model;
using Deconflict.Core.Strategic;
using Deconflict.Core.Volumes;
using Deconflict.Service;
using Deconflict.Tests.Service;
using static Deconflict.Tests.Service.Callers;

namespace Deconflict.Tests.Conflicts;

/// <summary>
/// A side's steps on a conflict, called directly through a real writer on a SQLite file: the
/// refusals in the domain's words (reason and exact detail) and what a step that stands stores and records.
/// </summary>
public sealed class ConflictCommandsTests
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly ConflictCommands Commands = new();

    [Fact]
    public async Task A_side_acknowledges_and_the_conflict_is_stored_and_recorded_then_acknowledged_once_both_have()
    {
        await using var w = await With(Open("cf-1"));

        var first = await w.Queue.Submit(Blue.PartyId, ctx => Commands.AcknowledgeAsync(ctx, Blue, "cf-1", "seen"));
        Assert.True(first.Ok);
        var stored = w.Store.GetConflict("cf-1")!;
        Assert.Equal(2, stored.Version);
        Assert.Equal(ConflictState.Open, stored.State);
        Assert.Equal(["blue"], stored.AcknowledgedBy.Keys);
        Assert.Equal(stored.UpdatedAt, stored.AcknowledgedBy["blue"]);
        Assert.Equal(stored.Version, first.Value!.Version);

        var events = w.Events();
        var e = Assert.Single(events);
        Assert.Equal(EventTypes.Conflict, e.Type);
        Assert.Equal("blue", e.Actor);
        Assert.Equal(["blue", "red"], e.Audience.ToArray());
        Assert.Contains("\"acknowledged\"", e.PayloadJson, StringComparison.Ordinal);
        Assert.Contains("\"seen\"", e.PayloadJson, StringComparison.Ordinal);
        Assert.Equal(e.Sequence - 1, first.Value.RecordIndex);

        var second = await w.Queue.Submit(Red.PartyId, ctx => Commands.AcknowledgeAsync(ctx, Red, "cf-1", null));
        Assert.True(second.Ok);
        stored = w.Store.GetConflict("cf-1")!;
        Assert.Equal(3, stored.Version);
        Assert.Equal(ConflictState.Acknowledged, stored.State);
        Assert.Equal(["blue", "red"], stored.AcknowledgedBy.Keys);
        Assert.Equal(2, w.Events().Count);
    }

    [Fact]
    public async Task Accepting_twice_changes_nothing_the_second_time_and_both_accepting_makes_it_accepted()
    {
        await using var w = await With(Open("cf-1"));

        var first = await w.Queue.Submit(Blue.PartyId, ctx => Commands.AcceptAsync(ctx, Blue, "cf-1", null));
        var again = await w.Queue.Submit(Blue.PartyId, ctx => Commands.AcceptAsync(ctx, Blue, "cf-1", "again"));

        // Idempotent, not refused: the same version comes back and nothing more is recorded.
        Assert.True(again.Ok);
        Assert.Equal(first.Value!.Version, again.Value!.Version);
        var stored = w.Store.GetConflict("cf-1")!;
        Assert.Equal(2, stored.Version);
        Assert.Equal(ConflictState.Open, stored.State);
        Assert.Equal(["blue"], stored.AcceptedBy.Keys);
        Assert.Equal(["blue"], stored.AcknowledgedBy.Keys);
        Assert.Single(w.Events());

        var red = await w.Queue.Submit(Red.PartyId, ctx => Commands.AcceptAsync(ctx, Red, "cf-1", null));
        Assert.True(red.Ok);
        stored = w.Store.GetConflict("cf-1")!;
        Assert.Equal(3, stored.Version);
        Assert.Equal(ConflictState.Accepted, stored.State);
        Assert.Equal(["blue", "red"], stored.AcceptedBy.Keys);
        Assert.Equal(2, w.Events().Count);
    }

    [Fact]
    public async Task A_party_that_is_not_a_side_is_told_no_such_conflict()
    {
        await using var w = await With(Open("cf-1"));

        foreach (var step in Steps)
        {
            var refused = await w.Queue.Submit(Green.PartyId, ctx => step(ctx, Green, "cf-1", null));
            Assert.Equal(RefusalReason.NotFound, refused.Error!.Reason);
            Assert.Equal("No conflict 'cf-1' that you may see.", refused.Error.Detail);
        }

        AssertUnchanged(w);
    }

    [Fact]
    public async Task A_conflict_that_does_not_exist_is_not_found()
    {
        await using var w = await With(Open("cf-1"));

        var refused = await w.Queue.Submit(Blue.PartyId, ctx => Commands.AcknowledgeAsync(ctx, Blue, "cf-none", null));

        Assert.Equal(RefusalReason.NotFound, refused.Error!.Reason);
        Assert.Equal("No conflict 'cf-none' that you may see.", refused.Error.Detail);
        AssertUnchanged(w);
    }

    [Fact]
    public async Task An_observer_and_the_admin_see_the_conflict_but_may_not_step_on_it()
    {
        await using var w = await With(Open("cf-1"));

        var observer = await w.Queue.Submit(Observer.PartyId, ctx => Commands.AcknowledgeAsync(ctx, Observer, "cf-1", null));
        Assert.Equal(RefusalReason.Forbidden, observer.Error!.Reason);
        Assert.Equal("An observer may read but not write.", observer.Error.Detail);

        var admin = await w.Queue.Submit(Admin.PartyId, ctx => Commands.AcceptAsync(ctx, Admin, "cf-1", null));
        Assert.Equal(RefusalReason.Forbidden, admin.Error!.Reason);
        Assert.Equal("The admin runs the service but does not declare or acknowledge: use a party's token.", admin.Error.Detail);

        AssertUnchanged(w);
    }

    [Fact]
    public async Task A_resolved_conflict_has_nothing_left_to_acknowledge_or_accept()
    {
        var resolved = Open("cf-1") with { Version = 2, State = ConflictState.Resolved, ResolvedAt = T0 };
        await using var w = await With(resolved);

        var ack = await w.Queue.Submit(Blue.PartyId, ctx => Commands.AcknowledgeAsync(ctx, Blue, "cf-1", null));
        Assert.Equal(RefusalReason.InvalidState, ack.Error!.Reason);
        Assert.Equal("Conflict 'cf-1' is resolved: there is nothing left to acknowledge.", ack.Error.Detail);

        // The detail as the API gives it today (the action's past tense less its last letter).
        var accept = await w.Queue.Submit(Red.PartyId, ctx => Commands.AcceptAsync(ctx, Red, "cf-1", null));
        Assert.Equal(RefusalReason.InvalidState, accept.Error!.Reason);
        Assert.Equal("Conflict 'cf-1' is resolved: there is nothing left to accept.", accept.Error.Detail);

        Assert.Equal(2, w.Store.GetConflict("cf-1")!.Version);
        Assert.Empty(w.Events());
    }

    private static Func<WriteContext, Caller, string, string?, ValueTask<Outcome<Conflict>>>[] Steps => [Commands.AcknowledgeAsync, Commands.AcceptAsync];

    /// <summary>An open conflict between blue's operation and red's zone, as detection stores it.</summary>
    private static Conflict Open(string id) => new(
        id,
        1,
        ConflictState.Open,
        new ConflictRef(DeclarationKind.Operation, "op-blue", "blue", 1),
        new ConflictRef(DeclarationKind.Zone, "zn-red", "red", 1),
        new VolumeOverlap(T0, T0.AddMinutes(30), 1000, 2000),
        ConflictLifecycle.NoTimes,
        ConflictLifecycle.NoTimes,
        T0,
        T0,
        null);

    private static void AssertUnchanged(SqliteWriter w)
    {
        var stored = w.Store.GetConflict("cf-1")!;
        Assert.Equal(1, stored.Version);
        Assert.Empty(stored.AcknowledgedBy);
        Assert.Empty(stored.AcceptedBy);
        Assert.Empty(w.Events());
    }

    /// <summary>A writer on its own SQLite file holding one conflict.</summary>
    private static async Task<SqliteWriter> With(Conflict conflict)
    {
        var w = new SqliteWriter();
        await w.SeedAsync(async ctx => await ctx.Conflicts.InsertAsync(conflict));
        return w;
    }
}
