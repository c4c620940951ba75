using Deconflict.Core.Model;
using Deconflict.Core.Strategic;
using Deconflict.Declarations;
using Deconflict.Line;
using Deconflict.Service;

namespace Deconflict.Conflicts;

/// <summary>
/// A side's steps on a conflict, on the writer: acknowledge and accept. Each stores the next version
/// with its event, and acknowledging also acknowledges the conflict's notice on the line, in the
/// same write. Runs only inside <see cref="WriteQueue"/>; a refusal is a domain <see cref="Refusal"/>.
/// </summary>
public sealed class ConflictCommands
{
    /// <summary>The caller's side acknowledges the conflict; again: no change.</summary>
    public ValueTask<Outcome<Conflict>> AcknowledgeAsync(WriteContext ctx, Caller caller, string id, string? note) =>
        StepAsync(ctx, caller, id, note, ConflictLifecycle.Acknowledge, "acknowledge", "acknowledged");

    /// <summary>The caller's side accepts the conflict (implying acknowledgement); again: no change.</summary>
    public ValueTask<Outcome<Conflict>> AcceptAsync(WriteContext ctx, Caller caller, string id, string? note) =>
        StepAsync(ctx, caller, id, note, ConflictLifecycle.Accept, "accept", "accepted");

    private static async ValueTask<Outcome<Conflict>> StepAsync(
        WriteContext ctx,
        Caller caller,
        string id,
        string? note,
        Func<Conflict, string, DateTimeOffset, (Conflict? Next, ConflictStepError Error)> step,
        string verb,
        string action)
    {
        // Not found before forbidden: a conflict the caller may not see must not be told apart from none.
        var c = await ctx.Conflicts.GetAsync(id);
        if (c is null || !(caller.SeesEverything || c.Concerns(caller.PartyId!)))
        {
            return Refusal.NotFound("conflict", id);
        }

        if (Permissions.Writer(caller) is { } forbidden)
        {
            return forbidden;
        }

        var (next, error) = step(c, caller.PartyId!, ctx.Now);
        if (Refused(error, c, id, verb) is { } refused)
        {
            return refused;
        }

        if (next!.Version != c.Version)
        {
            next = await DeclarationCommands.SaveAsync(ctx, caller, next, action, insert: false, note);
            if (action == "acknowledged")
            {
                await LineNotices.NoticeAcknowledgedByConflictAsync(ctx, id, caller.PartyId!, note);
            }
        }

        return next;
    }

    /// <summary>Core's reason a step was refused, as the service's refusal; null when it was not.</summary>
    private static Refusal? Refused(ConflictStepError error, Conflict c, string id, string verb) => error switch
    {
        ConflictStepError.NotASide => Refusal.Forbidden($"Only the sides of conflict '{id}' ({string.Join(", ", c.Parties)}) may do this."),
        ConflictStepError.AlreadyResolved => new Refusal(RefusalReason.InvalidState, $"Conflict '{id}' is resolved: there is nothing left to {verb}."),
        _ => null,
    };
}
