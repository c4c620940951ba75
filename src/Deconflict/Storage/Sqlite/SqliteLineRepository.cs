using Deconflict.Core.Line;

namespace Deconflict.Storage.Sqlite;

/// <summary>Messages of the deconfliction line and escalation contacts, in the single writer's open transaction.</summary>
internal sealed class SqliteLineRepository(SqliteWriteConnection write) : ILineRepository
{
    public ValueTask<LineMessage?> GetAsync(string id)
    {
        var cmd = write.Cmd($"SELECT {LineRows.Columns} FROM line_messages WHERE id = $id");
        cmd.Parameters.AddWithValue("$id", id);
        return new(LineRows.ReadOne(cmd));
    }

    public ValueTask InsertAsync(LineMessage message, string? idempotencyKey)
    {
        var cmd = write.Cmd("INSERT INTO line_messages(id, sender, version, doc, next_due_at, idempotency_key, notice_for, created_at, record_index) " +
            "VALUES ($id, $sender, $version, $doc, $due, $key, $notice, $at, $ri) RETURNING seq");
        cmd.Parameters.AddWithValue("$ri", write.NextRecordIndex());
        cmd.Parameters.AddWithValue("$notice", (object?)message.NoticeFor ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$id", message.Id);
        cmd.Parameters.AddWithValue("$sender", message.From);
        cmd.Parameters.AddWithValue("$version", message.Version);
        cmd.Parameters.AddWithValue("$doc", LineRows.Serialize(message));
        cmd.Parameters.AddWithValue("$due", LineRows.Due(message));
        cmd.Parameters.AddWithValue("$key", (object?)idempotencyKey ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$at", StoreRows.Ms(message.SentAt));
        var seq = (long)cmd.ExecuteScalar()!;
        var recipient = write.Cmd("INSERT INTO line_recipients(party, message_seq) VALUES ($party, $seq)");
        foreach (var party in message.To)
        {
            recipient.Parameters.Clear();
            recipient.Parameters.AddWithValue("$party", party);
            recipient.Parameters.AddWithValue("$seq", seq);
            recipient.ExecuteNonQuery();
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask UpdateAsync(LineMessage message)
    {
        var cmd = write.Cmd("UPDATE line_messages SET version = $version, doc = $doc, next_due_at = $due, record_index = $ri WHERE id = $id");
        cmd.Parameters.AddWithValue("$ri", write.NextRecordIndex());
        cmd.Parameters.AddWithValue("$id", message.Id);
        cmd.Parameters.AddWithValue("$version", message.Version);
        cmd.Parameters.AddWithValue("$doc", LineRows.Serialize(message));
        cmd.Parameters.AddWithValue("$due", LineRows.Due(message));
        if (cmd.ExecuteNonQuery() != 1)
        {
            throw new InvalidOperationException($"No line message {message.Id} to update.");
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask<LineMessage?> NoticeOfAsync(string conflictId)
    {
        var cmd = write.Cmd($"SELECT {LineRows.Columns} FROM line_messages WHERE notice_for = $conflict");
        cmd.Parameters.AddWithValue("$conflict", conflictId);
        return new(LineRows.ReadOne(cmd));
    }

    public ValueTask<LineMessage?> FindByKeyAsync(string sender, string idempotencyKey)
    {
        var cmd = write.Cmd($"SELECT {LineRows.Columns} FROM line_messages WHERE sender = $sender AND idempotency_key = $key");
        cmd.Parameters.AddWithValue("$sender", sender);
        cmd.Parameters.AddWithValue("$key", idempotencyKey);
        return new(LineRows.ReadOne(cmd));
    }

    public ValueTask<IReadOnlyList<LineMessage>> DueByAsync(DateTimeOffset now, int limit)
    {
        var cmd = write.Cmd($"SELECT {LineRows.Columns} FROM line_messages WHERE next_due_at IS NOT NULL AND next_due_at <= $now ORDER BY next_due_at LIMIT $limit");
        cmd.Parameters.AddWithValue("$now", StoreRows.Ms(now));
        cmd.Parameters.AddWithValue("$limit", limit);
        using var r = cmd.ExecuteReader();
        var list = new List<LineMessage>();
        while (r.Read())
        {
            list.Add(LineRows.Read(r));
        }

        return new(list);
    }

    public ValueTask SetEscalationContactsAsync(string party, IReadOnlyList<(int Level, string Url)> contacts)
    {
        var delete = write.Cmd("DELETE FROM escalation_contacts WHERE party = $party");
        delete.Parameters.AddWithValue("$party", party);
        delete.ExecuteNonQuery();
        var insert = write.Cmd("INSERT OR IGNORE INTO escalation_contacts(party, level, url) VALUES ($party, $level, $url)");
        foreach (var (level, url) in contacts)
        {
            insert.Parameters.Clear();
            insert.Parameters.AddWithValue("$party", party);
            insert.Parameters.AddWithValue("$level", level);
            insert.Parameters.AddWithValue("$url", url);
            insert.ExecuteNonQuery();
        }

        // The set (even empty) names the entry its caller emits next, stating it.
        var bind = write.Cmd("INSERT INTO escalation_contact_sets(party, record_index) VALUES ($party, $ri) ON CONFLICT(party) DO UPDATE SET record_index = excluded.record_index");
        bind.Parameters.AddWithValue("$party", party);
        bind.Parameters.AddWithValue("$ri", write.NextRecordIndex());
        bind.ExecuteNonQuery();
        return ValueTask.CompletedTask;
    }
}
