using Npgsql;
using Sql = Deconflict.Storage.Postgres.PostgresSql;

namespace Deconflict.Storage.Postgres;

/// <summary>
/// A node's writer on PostgreSQL. Every transaction takes a pooled connection, begins (READ
/// COMMITTED) and first locks the record head row, so the batches of every node sharing the
/// database run one after the other: the record is one log, and each batch decides on what every
/// batch before it committed.
/// </summary>
/// <remarks>
/// <para>
/// Two nodes accepting overlapping operations at the same instant both end with the conflict:
/// the second to take the head lock waits for the first to commit, and under READ COMMITTED each
/// of its statements after the lock sees that commit, so its broad phase finds the first
/// operation. Nothing the writer decides on is kept in memory from one transaction to the next
/// unless it is checked under the lock: the record's size is read under it (and the service's
/// record log loads the Merkle frontier again when another node has appended), and live declarations,
/// their counts, live conflicts and expiry ends are read from the database when asked, inside the
/// transaction (so they include its own writes and nothing a rollback undid).
/// </para>
/// <para>
/// The head row also holds the lease's epoch, read with the lock: a node taking the lease
/// increments it under the same lock (PostgresCluster), so it cannot change before this
/// transaction ends, and a duty's write that carries another epoch is refused
/// (<see cref="LeaseEpoch"/>). Heads are signed the same way: the newest head is read inside the
/// transaction, so two nodes signing at once never both sign the same size.
/// </para>
/// <para>
/// The statements run synchronously on the writer's own thread, behind the contract's
/// <see cref="ValueTask"/>s, which complete before they return. The writer has that thread to
/// itself, so a blocked read holds nothing else up, and each round trip wakes one thread: with
/// Npgsql's asynchronous calls each round trip woke an I/O thread, a pool thread and then the
/// writer's, and the node spent 1.3 ms more CPU per durable submission (medians of four
/// alternating runs, 3.65 against 2.33 ms) and took a fifth fewer submissions a second
/// (docs/performance.md, "Submissions with 100,000 stored, by store").
/// </para>
/// <para>
/// A connection per transaction also recovers by itself after PostgreSQL restarts: a broken
/// connection fails its batch (a storage fault, 503) and the pool is cleared, so the next batch
/// opens a new one.
/// </para>
/// </remarks>
internal sealed class PostgresWriteSession : IWriteSession
{
    private readonly Action _onDispose;
    private readonly PostgresWriteConnection _write;
    private readonly PostgresPartyRepository _parties;
    private readonly PostgresDeclarationRepository _declarations;
    private readonly PostgresConflictRepository _conflicts;
    private readonly PostgresRecordRepository _record;
    private readonly PostgresLineRepository _line;
    private readonly PostgresAlertRepository _alerts;
    private long _sizeAtBegin;
    private long _leaseEpoch;
    private int _savepointMark;
    private bool _disposed;

    public PostgresWriteSession(NpgsqlDataSource source, StoreRows rows, Action onDispose)
    {
        _onDispose = onDispose;
        _write = new PostgresWriteConnection(source, RecordSize);
        _parties = new PostgresPartyRepository(_write);
        _declarations = new PostgresDeclarationRepository(_write, rows);
        _conflicts = new PostgresConflictRepository(_write);
        _record = new PostgresRecordRepository(_write);
        _line = new PostgresLineRepository(_write);
        _alerts = new PostgresAlertRepository(_write);
    }

    public IPartyRepository Parties => _parties;

    public IDeclarationRepository Declarations => _declarations;

    public IConflictRepository Conflicts => _conflicts;

    public IRecordRepository Record => _record;

    public ILineRepository Line => _line;

    public IAlertRepository Alerts => _alerts;

    public long Changes => _write.Changes;

    public ValueTask BeginAsync()
    {
        _write.Close();
        _write.ClearJournal();
        _declarations.Begin();
        try
        {
            var (c, tx) = _write.Connect();

            // The head lock first: every node's write transactions queue here (see remarks). The
            // row read after the wait is the latest committed, with the epoch of the lease's holder.
            _leaseEpoch = (long)Sql.Scalar(c, tx, "SELECT lease_epoch FROM record_state WHERE id = 1 FOR UPDATE")!;
            _sizeAtBegin = (long)Sql.Scalar(c, tx, "SELECT COALESCE(MAX(seq), 0) FROM events")!;
            _record.Begin(_sizeAtBegin);
        }
        catch (Exception e)
        {
            _write.Broken(e);
            _write.Close();
            throw;
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask CommitAsync()
    {
        var (c, tx) = _write.Open();
        try
        {
            // Delivered to every listener at commit, and only if it commits.
            if (_record.Size > _sizeAtBegin)
            {
                Sql.Execute(c, tx, "SELECT pg_notify('deconflict_events', $1)", _record.Size.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            tx.Commit();
        }
        catch (Exception e)
        {
            _write.Broken(e);
            throw;
        }

        _declarations.Committed();
        _write.ClearJournal();
        _write.Close();
        return ValueTask.CompletedTask;
    }

    public ValueTask RollbackAsync()
    {
        _write.Undo(0);
        if (_write.Transaction is { } tx)
        {
            try
            {
                tx.Rollback();
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
            {
                // The connection is gone, and the transaction with it.
                _write.Broken(e);
            }
        }

        _write.Close();
        return ValueTask.CompletedTask;
    }

    public ValueTask SavepointAsync()
    {
        _savepointMark = _write.JournalMark;
        _write.Open().Tx.Save("request");
        return ValueTask.CompletedTask;
    }

    public ValueTask RollbackToSavepointAsync()
    {
        _write.Undo(_savepointMark);
        _write.Open().Tx.Rollback("request");
        return ValueTask.CompletedTask;
    }

    public ValueTask ReleaseSavepointAsync()
    {
        _write.Open().Tx.Release("request");
        return ValueTask.CompletedTask;
    }

    public long? LeaseEpoch
    {
        get
        {
            _write.Open();
            return _leaseEpoch;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await RollbackAsync();
        _onDispose();
    }

    // Every row written names the entry appended next: the record's size as the transaction stands.
    private long RecordSize() => _record.Size;
}
