using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Deconflict.Storage.Sqlite;

/// <summary>
/// What the write session's repositories share: the single writer's connection (every repository
/// writes in its open transaction), the statements prepared on it, the journal that undoes their
/// in-memory state on rollback, the change counter, and the index of the next record entry.
/// Statements are prepared once and reused: the writer runs the same few statements thousands of
/// times a second.
/// </summary>
internal sealed class SqliteWriteConnection(SqliteConnection connection) : IDisposable
{
    private readonly Dictionary<string, SqliteCommand> _prepared = new(StringComparer.Ordinal);
    // Undo steps for the in-memory state changed in the open transaction, newest last.
    private readonly UndoJournal _journal = new();
    private SqliteRecordRepository? _record;

    public SqliteConnection Connection => connection;

    // total_changes counts every row changed by INSERT, UPDATE or DELETE on this connection (not
    // those a rollback undoes, which never happen between two reads of this counter); the journal
    // only grows within a transaction, and every in-memory change adds a step to it.
    public long Changes => ((long)_journal.Mark << 32) | (uint)raw.sqlite3_total_changes(connection.Handle);

    /// <summary>Where the journal stands: a savepoint undoes back to it.</summary>
    public int JournalMark => _journal.Mark;

    /// <summary>
    /// The record, whose size gives <see cref="NextRecordIndex"/>. It is made with this connection,
    /// so it is attached once, after both exist.
    /// </summary>
    public void Attach(SqliteRecordRepository record) => _record = record;

    /// <summary>Keeps the step that undoes an in-memory change made in the open transaction.</summary>
    public void Journal(Action undo) => _journal.Add(undo);

    /// <summary>Forgets the steps: the in-memory state now holds only what was committed.</summary>
    public void ClearJournal() => _journal.Clear();

    public void Undo(int mark) => _journal.Undo(mark);

    /// <summary>
    /// The index the next appended entry gets: a row written now names the entry its caller emits
    /// next, about it (every write stores the object and then emits its event; the start check,
    /// RecordCheck, holds each row to that entry).
    /// </summary>
    public long NextRecordIndex() =>
        (_record ?? throw new InvalidOperationException("No record is attached to the writer's connection.")).Size;

    public SqliteCommand Cmd(string sql)
    {
        if (!_prepared.TryGetValue(sql, out var cmd))
        {
            cmd = connection.CreateCommand();
            cmd.CommandText = sql;
            _prepared.Add(sql, cmd);
        }

        cmd.Parameters.Clear();
        return cmd;
    }

    /// <summary>Disposes the prepared statements; the connection is the session's to close.</summary>
    public void Dispose()
    {
        foreach (var cmd in _prepared.Values)
        {
            cmd.Dispose();
        }
    }
}
