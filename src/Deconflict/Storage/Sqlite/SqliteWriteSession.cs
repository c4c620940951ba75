using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Deconflict.Storage.Sqlite;

/// <summary>
/// The single writer's unit of work. Transactions and savepoints are plain SQL (BEGIN IMMEDIATE
/// takes the write lock up front, so a batch never fails half-way on a lock). The reads and writes
/// are the repositories', one per aggregate, all on one shared connection. SQLite's I/O is
/// synchronous (Microsoft.Data.Sqlite's own async calls run synchronously too), so every call of the
/// contract completes before it returns, on the writer's thread.
/// </summary>
internal sealed class SqliteWriteSession : IWriteSession
{
    private readonly SqliteConnection _connection;
    private readonly WalRestart _walRestart;
    private readonly Action _onDispose;
    private readonly Dictionary<string, RawStatement> _control = new(StringComparer.Ordinal);
    private readonly SqliteWriteConnection _write;
    private readonly SqlitePartyRepository _parties;
    private readonly SqliteDeclarationRepository _declarations;
    private readonly SqliteConflictRepository _conflicts;
    private readonly SqliteRecordRepository _record;
    private readonly SqliteLineRepository _line;
    private readonly SqliteAlertRepository _alerts;
    private int _savepointMark;
    private bool _disposed;

    public SqliteWriteSession(SqliteConnection connection, SqliteRows rows, WalRestart walRestart, Action onDispose)
    {
        (_connection, _walRestart, _onDispose) = (connection, walRestart, onDispose);
        _write = new SqliteWriteConnection(connection);
        _record = new SqliteRecordRepository(_write);
        _write.Attach(_record);
        _parties = new SqlitePartyRepository(_write);
        _declarations = new SqliteDeclarationRepository(_write, rows);
        _conflicts = new SqliteConflictRepository(_write);
        _line = new SqliteLineRepository(_write);
        _alerts = new SqliteAlertRepository(_write);
    }

    /// <summary>The writer's connection, for tests that set its limits (PRAGMA max_page_count makes a full disk).</summary>
    internal SqliteConnection Connection => _connection;

    public IPartyRepository Parties => _parties;

    public IDeclarationRepository Declarations => _declarations;

    public IConflictRepository Conflicts => _conflicts;

    public IRecordRepository Record => _record;

    public ILineRepository Line => _line;

    public IAlertRepository Alerts => _alerts;

    public ValueTask BeginAsync()
    {
        _write.ClearJournal();
        if (_walRestart.Take())
        {
            // Copies the frames the background checkpoint has not yet, so this transaction begins
            // with the WAL wholly in the database and its first write starts the WAL again. Between
            // batches, so no answer waits for it. Busy (a reader's snapshot, or the background
            // checkpoint itself) leaves the WAL as it is; the checkpointer asks again.
            try
            {
                _ = Control("PRAGMA wal_checkpoint(PASSIVE)").ExecuteReturningInt64();
            }
            catch (SqliteException)
            {
            }
        }

        Run("BEGIN IMMEDIATE");
        return ValueTask.CompletedTask;
    }

    public ValueTask CommitAsync()
    {
        Run("COMMIT");
        _write.ClearJournal();
        return ValueTask.CompletedTask;
    }

    public ValueTask RollbackAsync()
    {
        _write.Undo(0);

        // SQLite may already have rolled the transaction back itself (a full disk, an I/O error).
        if (raw.sqlite3_get_autocommit(_connection.Handle) == 0)
        {
            Run("ROLLBACK");
        }

        return ValueTask.CompletedTask;
    }

    public long Changes => _write.Changes;

    public ValueTask SavepointAsync()
    {
        _savepointMark = _write.JournalMark;
        Run("SAVEPOINT request");
        return ValueTask.CompletedTask;
    }

    public ValueTask RollbackToSavepointAsync()
    {
        _write.Undo(_savepointMark);
        Run("ROLLBACK TO request");
        return ValueTask.CompletedTask;
    }

    public ValueTask ReleaseSavepointAsync()
    {
        Run("RELEASE request");
        return ValueTask.CompletedTask;
    }

    // One node writes alone: no other node can take the lease over.
    public long? LeaseEpoch => null;

    public ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return ValueTask.CompletedTask;
        }

        _disposed = true;
        _write.Dispose();
        foreach (var statement in _control.Values)
        {
            statement.Dispose();
        }

        _record.Dispose();
        _declarations.Dispose();
        _conflicts.Dispose();

        _connection.Dispose();
        _onDispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Runs a transaction-control statement (BEGIN, COMMIT, SAVEPOINT...), prepared once. Two of
    /// them run per request and two per batch: through Microsoft.Data.Sqlite each execution
    /// re-enumerated its statements, 5% of the writer's time (dotnet-trace, docs/performance.md).
    /// </summary>
    private void Run(string sql) => Control(sql).Execute();

    private RawStatement Control(string sql)
    {
        if (!_control.TryGetValue(sql, out var statement))
        {
            _control.Add(sql, statement = new RawStatement(_connection, sql));
        }

        return statement;
    }
}
