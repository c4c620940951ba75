using Deconflict.Core.Line;

namespace Deconflict.Storage;

/// <summary>Messages of the deconfliction line and the parties' escalation contacts, as the open write transaction stands.</summary>
public interface ILineRepository
{
    ValueTask<LineMessage?> GetAsync(string id);

    ValueTask InsertAsync(LineMessage message, string? idempotencyKey);

    /// <summary>Replaces the stored message (same id) with its next version.</summary>
    ValueTask UpdateAsync(LineMessage message);

    /// <summary>The automatic notice of a conflict, if one was sent.</summary>
    ValueTask<LineMessage?> NoticeOfAsync(string conflictId);

    /// <summary>The message the sender created with this Idempotency-Key, if any.</summary>
    ValueTask<LineMessage?> FindByKeyAsync(string sender, string idempotencyKey);

    /// <summary>Messages with an escalation due at or before <paramref name="now"/>, soonest first.</summary>
    ValueTask<IReadOnlyList<LineMessage>> DueByAsync(DateTimeOffset now, int limit);

    /// <summary>Replaces the party's escalation webhooks.</summary>
    ValueTask SetEscalationContactsAsync(string party, IReadOnlyList<(int Level, string Url)> contacts);
}
