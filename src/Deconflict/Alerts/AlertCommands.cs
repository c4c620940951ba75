using Deconflict.Core.Model;
using Deconflict.Core.Tactical;
using Deconflict.Service;

namespace Deconflict.Alerts;

/// <summary>
/// A side's acknowledgement of a track alert, on the writer: stored, and recorded and pushed to both
/// sides. Runs only inside <see cref="WriteQueue"/>; a refusal is a domain <see cref="Refusal"/>.
/// </summary>
public sealed class AlertCommands
{
    /// <summary>
    /// Why <paramref name="caller"/> may not acknowledge any alert (it is not a party that writes);
    /// null when it may. Checked before the write is queued, and again by the command.
    /// </summary>
    public static Refusal? MayAcknowledge(Caller caller) =>
        caller.MayWrite ? null : Refusal.Forbidden("Only a side of the alert acknowledges it.");

    /// <summary>The caller's side acknowledges the alert; again: no change.</summary>
    public async ValueTask<Outcome<TrackAlert>> AcknowledgeAsync(WriteContext ctx, Caller caller, string id)
    {
        if (MayAcknowledge(caller) is { } forbidden)
        {
            return forbidden;
        }

        // Only a side sees the alert here: to anyone else it does not exist.
        if (await ctx.Store.Alerts.GetAsync(id) is not { } a || !a.Concerns(caller.PartyId!))
        {
            return Refusal.NotFound("alert", id);
        }

        if (AlertLifecycle.Acknowledge(a, caller.PartyId!, ctx.Now) is not { } next)
        {
            return a;
        }

        await ctx.Store.Alerts.UpdateAsync(next);
        await TacticalService.PublishAsync(ctx, "acknowledged", next, caller.PartyId);
        return next;
    }
}
