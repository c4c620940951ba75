using System.Globalization;
using Deconflict.Core.Line;
using Deconflict.Core.Model;
using Deconflict.Core.Strategic;
using Deconflict.Declarations;
using Deconflict.Service;

namespace Deconflict.Line;

/// <summary>
/// Automatic notices (when the deployment turns them on): a new conflict sends the other side a
/// request to deconflict that requires acknowledgement. The notice and the conflict are linked both
/// ways: acknowledging one acknowledges the other for that party, in the same write.
/// </summary>
public static class LineNotices
{
    /// <summary>Sends the notice of a conflict just opened by <paramref name="from"/>'s write to the other side.</summary>
    public static async ValueTask<LineMessage?> SendAsync(WriteContext ctx, Conflict c, string from, DeconflictOptions options)
    {
        var other = c.A.Party == from ? c.B : c.A;
        var own = c.A.Party == from ? c.A : c.B;
        if (other.Party == from)
        {
            return null;
        }

        var o = c.Overlap;
        var body = string.Create(CultureInfo.InvariantCulture,
            $"Our {WireName.Of(own.Kind)} {own.Id} conflicts with your {WireName.Of(other.Kind)} {other.Id} from {o.TimeStart:yyyy-MM-dd HH:mm}Z to {o.TimeEnd:yyyy-MM-dd HH:mm}Z between {o.AltitudeLowerM:0} m and {o.AltitudeUpperM:0} m. Acknowledge to confirm you have seen it.");
        var notice = LineClock.Send(
            "msg-" + Guid.CreateVersion7(ctx.Now).ToString("N"), from, [other.Party], MessageKind.DeconflictRequest,
            $"Conflict {c.Id}", body, "en", [new LineRef("conflict", c.Id), new LineRef(WireName.Of(other.Kind), other.Id)], null, ctx.Now,
            TimeSpan.FromSeconds(options.Line.AckWithinS)) with
        { NoticeFor = c.Id };
        await ctx.Store.Line.InsertAsync(notice, null);
        await ctx.EmitAsync(LineEvents.Sent(notice));
        return notice;
    }

    /// <summary>The party acknowledged the notice on the line: acknowledge the conflict for it too.</summary>
    public static async ValueTask ConflictAcknowledgedByNoticeAsync(WriteContext ctx, Caller caller, LineMessage notice, string party, string by)
    {
        if (notice.NoticeFor is not { } conflictId || await ctx.Conflicts.GetAsync(conflictId) is not { } c)
        {
            return;
        }

        var (next, error) = ConflictLifecycle.Acknowledge(c, party, ctx.Now);
        if (error == ConflictStepError.None && next is not null && next.Version != c.Version)
        {
            await DeclarationCommands.SaveAsync(ctx, caller, next, "acknowledged", insert: false, $"acknowledged on the line by {by} (message {notice.Id})");
        }
    }

    /// <summary>The party acknowledged the conflict: acknowledge its notice on the line for it too.</summary>
    public static async ValueTask NoticeAcknowledgedByConflictAsync(WriteContext ctx, string conflictId, string party, string? note)
    {
        if (await ctx.Store.Line.NoticeOfAsync(conflictId) is not { } notice || !notice.Receipts.ContainsKey(party))
        {
            return;
        }

        var next = LineClock.Acknowledge(notice, party, $"{party} (acknowledged conflict {conflictId})", note, ctx.Now);
        if (next.Version != notice.Version)
        {
            await ctx.Store.Line.UpdateAsync(next);
            await ctx.EmitAsync(LineEvents.Receipt("acknowledged", next, party));
        }
    }
}
