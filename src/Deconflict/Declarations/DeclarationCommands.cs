using System.Collections.Immutable;
using Deconflict.Api;
using Deconflict.Core.Model;
using Deconflict.Core.Strategic;
using Deconflict.Service;
using Deconflict.Storage;

namespace Deconflict.Declarations;

/// <summary>The result of a write of an operation or zone: the object as stored and its live conflicts.</summary>
public sealed record DeclarationWritten(Declaration Declaration, ImmutableArray<Conflict> Conflicts);

/// <summary>
/// Strategic deconfliction on the writer: broad phase in the store's index, exact test in Core,
/// awareness and policy, then the write, the conflicts' lifecycle and their events, all in the one
/// transaction of the request. Runs only inside <see cref="WriteQueue"/>, so no two writes interleave.
/// </summary>
public sealed class DeclarationCommands(DeconflictOptions options)
{
    public static string NewId(DeclarationKind kind, DateTimeOffset now) =>
        (kind == DeclarationKind.Operation ? "op-" : "zn-") + Guid.CreateVersion7(now).ToString("N");

    public async ValueTask<Outcome<DeclarationWritten>> CreateAsync(WriteContext ctx, Caller caller, DeclarationDraft draft, string id)
    {
        // The quota on live declarations, counted on the writer so that concurrent creates cannot
        // pass it together; refused before anything is written.
        var quota = options.Quotas;
        if (await ctx.Declarations.LiveCountAsync(caller.PartyId!) >= quota.MaxLiveDeclarations)
        {
            return Refusal.Retry(
                RefusalReason.QuotaExceeded,
                $"Party '{caller.PartyId}' holds {quota.MaxLiveDeclarations} live operations and zones, its quota; cancel one or wait until one ends.",
                quota.QuotaRetryAfter).With("quota", "live_declarations").With("limit", quota.MaxLiveDeclarations);
        }

        var subject = new Declaration(draft.Kind, id, caller.PartyId!, 1, draft.State, draft.Priority, draft.Rule, draft.Name, draft.Volumes, draft.DetailsJson, ctx.Now, ctx.Now)
        {
            DetailsSalt = NewDetailsSalt(draft.DetailsJson),
        };
        return await ApplyAsync(ctx, caller, null, subject, draft.Known, "created");
    }

    public async ValueTask<Outcome<DeclarationWritten>> UpdateAsync(WriteContext ctx, Caller caller, string id, long expectedVersion, DeclarationDraft draft)
    {
        if (await WritableAsync(ctx, caller, draft.Kind, id, expectedVersion) is { Error: { } error })
        {
            return error;
        }

        var current = (await ctx.Declarations.GetAsync(draft.Kind, id))!;
        var next = current with
        {
            Version = current.Version + 1,
            State = draft.State,
            Priority = draft.Priority,
            Rule = draft.Rule,
            Name = draft.Name,
            Volumes = draft.Volumes,
            DetailsJson = draft.DetailsJson,
            DetailsSalt = NewDetailsSalt(draft.DetailsJson),
            UpdatedAt = ctx.Now,
        };
        return await ApplyAsync(ctx, caller, current, next, draft.Known, "updated");
    }

    public async ValueTask<Outcome<DeclarationWritten>> CancelAsync(WriteContext ctx, Caller caller, DeclarationKind kind, string id, long expectedVersion)
    {
        if (await WritableAsync(ctx, caller, kind, id, expectedVersion) is { Error: { } error })
        {
            return error;
        }

        var current = (await ctx.Declarations.GetAsync(kind, id))!;
        var next = current with { Version = current.Version + 1, State = DeclarationState.Cancelled, UpdatedAt = ctx.Now };
        return await ApplyAsync(ctx, caller, current, next, null, "cancelled");
    }

    /// <summary>Ends declarations whose last volume is over (half-open: at its end time it is over). Returns how many.</summary>
    public async ValueTask<int> EndExpiredAsync(WriteContext ctx, int limit)
    {
        var expired = await ctx.Declarations.EndedByAsync(ctx.Now, limit);
        foreach (var d in expired)
        {
            await ApplyAsync(ctx, null, d, d with { Version = d.Version + 1, State = DeclarationState.Ended, UpdatedAt = ctx.Now }, null, "ended");
        }

        return expired.Count;
    }

    /// <summary>
    /// The trial: what conflicts the body would have, nothing stored. Runs on the store's last
    /// committed snapshot, off the writer, so a trial never takes a write's turn: the broad phase
    /// reads the store's own index, from which the writer's grid is loaded (both conservative, so both give a
    /// superset of the true conflicts) and the same exact test decides, so it answers what a write
    /// made now would find.
    /// </summary>
    public ProspectiveConflictView[] Check(IStoreReader store, Caller caller, DeclarationDraft draft, DateTimeOffset now)
    {
        var subject = new Declaration(draft.Kind, string.Empty, caller.PartyId!, 0, draft.State, draft.Priority, draft.Rule, draft.Name, draft.Volumes, null, now, now);
        var found = ConflictRules.DetectAmong(subject, store.FindCandidates(Boxes(subject)), options.StrategicBuffer);
        return [.. found.Select(c => Prospective(subject, c))];
    }

    public async ValueTask<ImmutableArray<DetectedConflict>> DetectAsync(IDeclarationRepository declarations, Declaration subject) =>
        ConflictRules.DetectAmong(subject, await declarations.FindCandidatesAsync(Boxes(subject)), options.StrategicBuffer);

    private VolumeBox[] Boxes(Declaration subject)
    {
        var buffer = options.StrategicBuffer;
        var boxes = new VolumeBox[subject.Volumes.Length];
        for (var i = 0; i < boxes.Length; i++)
        {
            boxes[i] = VolumeBox.Around(subject.Volumes[i], buffer);
        }

        return boxes;
    }

    public static ProspectiveConflictView Prospective(Declaration subject, DetectedConflict c) =>
        new(new RefView(subject.Kind, subject.Id.Length == 0 ? null : subject.Id, subject.Party, subject.Version), RefView.Of(ConflictRef.Of(c.Other)), OverlapView.Of(c.Overlap));

    private static async ValueTask<Outcome<bool>> WritableAsync(WriteContext ctx, Caller caller, DeclarationKind kind, string id, long expectedVersion)
    {
        var what = Noun(kind);
        var current = await ctx.Declarations.GetAsync(kind, id);
        if (current is null)
        {
            return Refusal.NotFound(what, id);
        }

        if (current.Party != caller.PartyId)
        {
            return Refusal.Forbidden($"The {what} '{id}' belongs to party '{current.Party}'; only its owner may change it.");
        }

        if (current.Version != expectedVersion)
        {
            return new Refusal(RefusalReason.VersionMismatch, $"The {what} '{id}' is at version {current.Version}, not {expectedVersion}.").With("current_version", current.Version);
        }

        if (!current.IsLive)
        {
            return new Refusal(RefusalReason.InvalidState, $"The {what} '{id}' is {WireName.Of(current.State)} and can no longer change.");
        }

        return true;
    }

    private async ValueTask<Outcome<DeclarationWritten>> ApplyAsync(WriteContext ctx, Caller? caller, Declaration? previous, Declaration subject, IReadOnlyList<KnownVersion>? known, string action)
    {
        var found = subject.IsLive ? await DetectAsync(ctx.Declarations, subject) : [];
        var missing = ConflictRules.MissingAwareness(found, known);
        if (missing.Length > 0)
        {
            return new Refusal(
                RefusalReason.MissingAwareness,
                $"The write conflicts with {missing.Length} declaration(s) not listed in 'known' at their current version.")
                .With("missing", missing.Select(m => new MissingView(m.Kind, m.Id, m.Version, m.Party)).ToArray());
        }

        var blocking = ConflictRules.Blocking(subject, found, options.Policy);
        if (blocking.Length > 0)
        {
            return new Refusal(
                RefusalReason.Conflict,
                $"Under the reject policy an operation may not create a conflict with one of equal or higher priority; {blocking.Length} would be created.")
                .With("conflicts", blocking.Select(c => Prospective(subject, c)).ToArray());
        }

        if (previous is null)
        {
            await ctx.Declarations.InsertAsync(subject);
        }
        else
        {
            await ctx.Declarations.UpdateAsync(subject);
        }

        var made = await ctx.EmitAsync(DeclarationEvents.Written(caller?.PartyId, action, subject));
        subject = subject with { RecordIndex = made.Sequence - 1 };

        var byOther = found.ToDictionary(f => f.Other.Id, StringComparer.Ordinal);
        var live = ImmutableArray.CreateBuilder<Conflict>();
        if (previous is not null)
        {
            foreach (var existing in await ctx.Conflicts.LiveOfAsync(subject.Id))
            {
                var otherId = existing.Other(subject.Id).Id;
                if (byOther.Remove(otherId, out var still))
                {
                    var refreshed = ConflictLifecycle.Refresh(existing, subject, still.Overlap, ctx.Now);
                    if (refreshed is not null)
                    {
                        refreshed = await SaveAsync(ctx, caller, refreshed, "updated", insert: false);
                    }

                    live.Add(refreshed ?? existing);
                }
                else
                {
                    await SaveAsync(ctx, caller, ConflictLifecycle.Resolve(existing, subject, ctx.Now), "resolved", insert: false);
                }
            }
        }

        foreach (var f in found.Where(f => byOther.ContainsKey(f.Other.Id)))
        {
            var opened = ConflictLifecycle.Open("cf-" + Guid.CreateVersion7(ctx.Now).ToString("N"), subject, f, ctx.Now);
            opened = await SaveAsync(ctx, caller, opened, "opened", insert: true);
            if (options.Line.ConflictNotices)
            {
                await Line.LineNotices.SendAsync(ctx, opened, subject.Party, options);
            }

            live.Add(opened);
        }

        return new DeclarationWritten(subject, live.ToImmutable());
    }

    /// <summary>Stores the conflict and records its event; returns it with the record index of that event.</summary>
    internal static async ValueTask<Conflict> SaveAsync(WriteContext ctx, Caller? caller, Conflict c, string action, bool insert, string? note = null)
    {
        if (insert)
        {
            await ctx.Conflicts.InsertAsync(c);
        }
        else
        {
            await ctx.Conflicts.UpdateAsync(c);
        }

        var made = await ctx.EmitAsync(DeclarationEvents.Conflict(caller?.PartyId, action, note, c));
        return c with { RecordIndex = made.Sequence - 1 };
    }

    /// <summary>A fresh salt for the commitment to the details (none without details): a new one per version written, so equal details of two versions do not show as equal.</summary>
    private static string? NewDetailsSalt(string? details) =>
        details is null ? null : Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(DetailsCommitment.SaltBytes));

    private static string Noun(DeclarationKind kind) => kind == DeclarationKind.Operation ? "operation" : "zone";
}
