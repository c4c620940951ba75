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

    public async ValueTask BeginAsync()
    {
        await _write.CloseAsync();
        _write.ClearJournal();
        _declarations.Begin();
        try
        {
            var (c, tx) = await _write.ConnectAsync();

            // The head lock first: every node's write transactions queue here (see remarks). The
            // row read after the wait is the latest committed, with the epoch of the lease's holder.
            _leaseEpoch = (long)(await Sql.ScalarAsync(c, tx, "SELECT lease_epoch FROM record_state WHERE id = 1 FOR UPDATE"))!;
            _sizeAtBegin = (long)(await Sql.ScalarAsync(c, tx, "SELECT COALESCE(MAX(seq), 0) FROM events"))!;
            _record.Begin(_sizeAtBegin);
        }
        catch (Exception e)
        {
            _write.Broken(e);
            await _write.CloseAsync();
            throw;
        }
    }

    public async ValueTask CommitAsync()
    {
        var (c, tx) = _write.Open();
        try
        {
            // Delivered to every listener at commit, and only if it commits.
            if (_record.Size > _sizeAtBegin)
            {
                await Sql.ExecuteAsync(c, tx, "SELECT pg_notify('deconflict_events', $1)", _record.Size.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            await tx.CommitAsync();
        }
        catch (Exception e)
        {
            _write.Broken(e);
            throw;
        }

        _declarations.Committed();
        _write.ClearJournal();
        await _write.CloseAsync();
    }

    public async ValueTask RollbackAsync()
    {
        _write.Undo(0);
        if (_write.Transaction is { } tx)
        {
            try
            {
                await tx.RollbackAsync();
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
            {
                // The connection is gone, and the transaction with it.
                _write.Broken(e);
            }
        }

        await _write.CloseAsync();
    }

    public ValueTask SavepointAsync()
    {
        _savepointMark = _write.JournalMark;
        return new(_write.Open().Tx.SaveAsync("request"));
    }

    public ValueTask RollbackToSavepointAsync()
    {
        _write.Undo(_savepointMark);
        return new(_write.Open().Tx.RollbackAsync("request"));
    }

    public ValueTask ReleaseSavepointAsync() => new(_write.Open().Tx.ReleaseAsync("request"));

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
