using System.Runtime.CompilerServices;
using Deconflict.Core.Model;
using Deconflict.Service;
using Deconflict.Storage;

namespace Deconflict.Tests.Storage;

/// <summary>
/// The writer's record log for tests that write through a store's session directly, as the writer
/// would: one log per session, brought to the store's record before each use, so a rollback or a
/// savepoint of the session (which the log does not see here) is taken back before the next append.
/// </summary>
internal static class RecordAppends
{
    private static readonly ConditionalWeakTable<IWriteSession, RecordLog> Logs = [];

    /// <summary>Appends the event's entry to the session's record, as <see cref="WriteContext.EmitAsync"/> does.</summary>
    public static async ValueTask<StoredEvent> AppendEventAsync(this IWriteSession session, DomainEvent e, DateTimeOffset time) =>
        await (await LogAsync(session)).AppendAsync(session.Record, e, time);

    /// <summary>The record's size and root as the session's transaction stands.</summary>
    public static async ValueTask<(long Size, byte[] Root)> RecordHeadAsync(this IWriteSession session) => (await LogAsync(session)).Head();

    private static async ValueTask<RecordLog> LogAsync(IWriteSession session)
    {
        var log = Logs.GetValue(session, _ => new RecordLog());
        await log.BeginAsync(session.Record);
        return log;
    }
}
