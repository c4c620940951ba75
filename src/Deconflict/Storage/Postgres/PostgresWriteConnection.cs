using System.Data;
using Deconflict.Storage.Sqlite;
using Npgsql;
using Sql = Deconflict.Storage.Postgres.PostgresSql;

namespace Deconflict.Storage.Postgres;

/// <summary>
/// What the write session's repositories share: the open transaction's connection, the undo
/// journal of their in-memory state, the count of rows changed and the index of the next record
/// entry. The session owns it and opens and ends its transactions; the repositories write through it.
/// </summary>
internal sealed class PostgresWriteConnection(NpgsqlDataSource source, Func<long> recordSize)
{
    // Undo steps for the in-memory state of the open transaction (the frontier), newest last.
    private readonly UndoJournal _journal = new();
    private NpgsqlConnection? _connection;
    private NpgsqlTransaction? _tx;
    private long _rowsChanged;

    /// <summary>The open transaction, or null between transactions.</summary>
    public NpgsqlTransaction? Transaction => _tx;

    // Rows inserted, updated or deleted by the write transaction's own commands (never fewer after a rollback)
    // and the in-memory steps of the open transaction.
    public long Changes => ((long)_journal.Mark << 32) + _rowsChanged;

    /// <summary>Where a savepoint's rollback undoes the journal back to.</summary>
    public int JournalMark => _journal.Mark;

    /// <summary>Takes a pooled connection and begins the transaction on it.</summary>
    public (NpgsqlConnection Connection, NpgsqlTransaction Tx) Connect()
    {
        _connection = source.OpenConnection();
        _tx = _connection.BeginTransaction(IsolationLevel.ReadCommitted);
        return (_connection, _tx);
    }

    public (NpgsqlConnection Connection, NpgsqlTransaction Tx) Open() =>
        _connection is not null && _tx is not null ? (_connection, _tx) : throw new InvalidOperationException("No write transaction is open: call Begin first.");

    /// <summary>
    /// The index the next appended entry gets: a row written now names the entry its caller emits
    /// next, about it (the start check holds each row to that entry).
    /// </summary>
    public long NextRecordIndex()
    {
        Open();
        return recordSize();
    }

    /// <summary>Counts rows the transaction's own commands changed.</summary>
    public void Changed(long rows) => _rowsChanged += rows;

    /// <summary>Keeps how to undo an in-memory step of the open transaction.</summary>
    public void Journal(Action undo) => _journal.Add(undo);

    public void ClearJournal() => _journal.Clear();

    public void Undo(int mark) => _journal.Undo(mark);

    public int Write(string sql, params object?[] args)
    {
        var (c, tx) = Open();
        var changed = Sql.Execute(c, tx, sql, args);
        _rowsChanged += changed;
        return changed;
    }

    /// <summary>A write of one row that gives a value back (RETURNING): the value, and the row counted; null when no row was written.</summary>
    public object? WriteOne(string sql, params object?[] args)
    {
        var (c, tx) = Open();
        var value = Sql.Scalar(c, tx, sql, args);
        if (value is not null)
        {
            _rowsChanged++;
        }

        return value;
    }

    public object? Scalar(string sql, params object?[] args)
    {
        var (c, tx) = Open();
        return Sql.Scalar(c, tx, sql, args);
    }

    public T? One<T>(Func<NpgsqlDataReader, T> read, string sql, params object?[] args)
        where T : class
    {
        var (c, tx) = Open();
        return Sql.One(c, tx, read, sql, args);
    }

    public List<T> List<T>(Func<NpgsqlDataReader, T> read, string sql, params object?[] args)
    {
        var (c, tx) = Open();
        return Sql.List(c, tx, read, sql, args);
    }

    /// <summary>A connection that broke (PostgreSQL stopped or restarted) leaves the pool's others suspect: they are dropped, so the next batch connects afresh.</summary>
    public void Broken(Exception e)
    {
        if (_connection is { } c && (c.FullState.HasFlag(ConnectionState.Broken) || StorageFault.IsConnectionFailure(e)))
        {
            NpgsqlConnection.ClearPool(c);
        }
    }

    public void Close()
    {
        _tx?.Dispose();
        _tx = null;
        _connection?.Dispose();
        _connection = null;
    }
}
