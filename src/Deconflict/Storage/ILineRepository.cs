using Deconflict.Core.Line;

namespace Deconflict.Storage;

/// <summary>Messages of the deconfliction line and the parties' escalation contacts, as the open write transaction stands.</summary>
public interface ILineRepository
{
    LineMessage? Get(string id);

    void Insert(LineMessage message, string? idempotencyKey);

    /// <summary>Replaces the stored message (same id) with its next version.</summary>
    void Update(LineMessage message);

    /// <summary>The automatic notice of a conflict, if one was sent.</summary>
    LineMessage? NoticeOf(string conflictId);

    /// <summary>The message the sender created with this Idempotency-Key, if any.</summary>
    LineMessage? FindByKey(string sender, string idempotencyKey);

    /// <summary>Messages with an escalation due at or before <paramref name="now"/>, soonest first.</summary>
    IReadOnlyList<LineMessage> DueBy(DateTimeOffset now, int limit);

    /// <summary>Replaces the party's escalation webhooks.</summary>
    void SetEscalationContacts(string party, IReadOnlyList<(int Level, string Url)> contacts);
}
