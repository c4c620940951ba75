using System.Text.Json;
using Deconflict.Core.Line;
using Deconflict.Core.Model;
using Deconflict.Service;

namespace Deconflict.Line;

/// <summary>
/// Delivery of line messages by the event stream: a message pushed to one of its recipients has
/// reached it, so its receipt says delivered.
/// </summary>
public static class Delivery
{
    /// <summary>The ids of the messages among <paramref name="events"/> that were sent to <paramref name="party"/>.</summary>
    public static List<string> SentTo(IReadOnlyList<StoredEvent> events, string party)
    {
        var ids = new List<string>();
        foreach (var e in events)
        {
            if (e.Type != LineEvents.MessageEvent || e.Actor == party)
            {
                continue;
            }

            using var doc = JsonDocument.Parse(e.PayloadJson);
            var message = doc.RootElement.GetProperty("message");
            if (doc.RootElement.GetProperty("action").GetString() == "sent" &&
                message.GetProperty("to").EnumerateArray().Any(t => t.GetString() == party))
            {
                ids.Add(message.GetProperty("id").GetString()!);
            }
        }

        return ids;
    }

    /// <summary>
    /// Records that the messages reached the party (first time only), with a line-receipt event each.
    /// The service's own bookkeeping (party null, never refused): the receipt is the sender's proof
    /// of delivery, which the recipient's own flood of writes must not be able to suppress.
    /// </summary>
    public static Task MarkDeliveredAsync(WriteQueue writes, string party, IReadOnlyList<string> ids) =>
        writes.Submit<int>(null, async ctx =>
        {
            var changed = 0;
            foreach (var id in ids)
            {
                if (await ctx.Store.Line.GetAsync(id) is not { } m || !m.Receipts.ContainsKey(party))
                {
                    continue;
                }

                var next = LineClock.Delivered(m, party, ctx.Now);
                if (next.Version != m.Version)
                {
                    await ctx.Store.Line.UpdateAsync(next);
                    await ctx.EmitAsync(LineEvents.Receipt("delivered", next, party));
                    changed++;
                }
            }

            return changed;
        });
}
