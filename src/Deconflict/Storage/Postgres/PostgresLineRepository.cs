using Deconflict.Core.Line;
using Sql = Deconflict.Storage.Postgres.PostgresSql;

namespace Deconflict.Storage.Postgres;

/// <summary>Messages of the deconfliction line and escalation contacts in the PostgreSQL write transaction.</summary>
internal sealed class PostgresLineRepository(PostgresWriteConnection write) : ILineRepository
{
    public ValueTask<LineMessage?> GetAsync(string id) => new(write.One(LineRows.Read, $"SELECT {LineRows.Columns} FROM line_messages WHERE id = $1", id));

    public ValueTask InsertAsync(LineMessage message, string? idempotencyKey)
    {
        var (c, tx) = write.Open();
        using var cmd = Sql.Command(c, tx,
            "INSERT INTO line_messages(seq, id, sender, version, doc, next_due_at, idempotency_key, notice_for, created_at, record_index) " +
            "VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM line_messages), $1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING seq",
            message.Id, message.From, message.Version, LineRows.Serialize(message), LineRows.Due(message), idempotencyKey, message.NoticeFor,
            StoreRows.Ms(message.SentAt), write.NextRecordIndex());
        var seq = (long)cmd.ExecuteScalar()!;
        write.Changed(1);
        foreach (var party in message.To)
        {
            write.Write("INSERT INTO line_recipients(party, message_seq) VALUES ($1, $2)", party, seq);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask UpdateAsync(LineMessage message) =>
        write.Write("UPDATE line_messages SET version = $2, doc = $3, next_due_at = $4, record_index = $5 WHERE id = $1",
            message.Id, message.Version, LineRows.Serialize(message), LineRows.Due(message), write.NextRecordIndex()) == 1
            ? ValueTask.CompletedTask
            : throw new InvalidOperationException($"No line message {message.Id} to update.");

    public ValueTask<LineMessage?> NoticeOfAsync(string conflictId) =>
        new(write.One(LineRows.Read, $"SELECT {LineRows.Columns} FROM line_messages WHERE notice_for = $1 ORDER BY seq LIMIT 1", conflictId));

    public ValueTask<LineMessage?> FindByKeyAsync(string sender, string idempotencyKey) =>
        new(write.One(LineRows.Read, $"SELECT {LineRows.Columns} FROM line_messages WHERE sender = $1 AND idempotency_key = $2", sender, idempotencyKey));

    public ValueTask<IReadOnlyList<LineMessage>> DueByAsync(DateTimeOffset now, int limit) =>
        new(write.List(LineRows.Read, $"SELECT {LineRows.Columns} FROM line_messages WHERE next_due_at IS NOT NULL AND next_due_at <= $1 ORDER BY next_due_at, seq LIMIT $2",
            StoreRows.Ms(now), limit));

    public ValueTask SetEscalationContactsAsync(string party, IReadOnlyList<(int Level, string Url)> contacts)
    {
        write.Write("DELETE FROM escalation_contacts WHERE party = $1", party);
        foreach (var (level, url) in contacts)
        {
            write.Write("INSERT INTO escalation_contacts(party, level, url) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", party, level, url);
        }

        // The set (even empty) names the entry its caller emits next, stating it.
        write.Write("INSERT INTO escalation_contact_sets(party, record_index) VALUES ($1, $2) ON CONFLICT(party) DO UPDATE SET record_index = excluded.record_index",
            party, write.NextRecordIndex());
        return ValueTask.CompletedTask;
    }
}
