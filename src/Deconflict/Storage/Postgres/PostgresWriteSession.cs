using System.Data;
using Deconflict.Core.Line;
using Deconflict.Core.Model;
using Deconflict.Core.Record;
using Deconflict.Core.Strategic;
using Deconflict.Core.Tactical;
using Deconflict.Storage.Sqlite;
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
/// operation. Nothing the writer decides on is kept in memory from one transaction to the next:
/// the Merkle frontier and the record's size are loaded under the lock, and live declarations,
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
internal sealed class PostgresWriteSession(NpgsqlDataSource source, StoreRows rows, Action onDispose) : IWriteSession
{
    private const string LiveStates = "('planned', 'active')";
    private const string DeclarationSeq = "(SELECT COALESCE(MAX(seq), 0) + 1 FROM declarations)";

    private readonly PostgresRecordTree.Frontier _record = new();

    // Undo steps for the in-memory state of the open transaction (the frontier), newest last.
    private readonly List<Action> _journal = [];

    // Declarations written in the open transaction: their decoded volumes are kept (for every
    // reader of this node) only once the transaction commits.
    private readonly List<Declaration> _written = [];
    private readonly HashSet<string> _writtenIds = new(StringComparer.Ordinal);
    private readonly RecordSalts _salts = new();
    private NpgsqlConnection? _connection;
    private NpgsqlTransaction? _tx;
    private long _sizeAtBegin;
    private long _leaseEpoch;
    private int _savepointMark;
    private long _rowsChanged;
    private bool _disposed;

    public void Begin()
    {
        Close();
        _journal.Clear();
        _written.Clear();
        _writtenIds.Clear();
        try
        {
            _connection = source.OpenConnection();
            _tx = _connection.BeginTransaction(IsolationLevel.ReadCommitted);

            // The head lock first: every node's write transactions queue here (see remarks). The
            // row read after the wait is the latest committed, with the epoch of the lease's holder.
            _leaseEpoch = (long)Sql.Scalar(_connection, _tx, "SELECT lease_epoch FROM record_state WHERE id = 1 FOR UPDATE")!;
            _sizeAtBegin = (long)Sql.Scalar(_connection, _tx, "SELECT COALESCE(MAX(seq), 0) FROM events")!;
            _record.Load(_connection, _tx, _sizeAtBegin);
        }
        catch (Exception e)
        {
            Broken(e);
            Close();
            throw;
        }
    }

    public void Commit()
    {
        var (c, tx) = Open();
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
            Broken(e);
            throw;
        }

        foreach (var d in _written)
        {
            rows.Remember(d);
        }

        _journal.Clear();
        Close();
    }

    public void Rollback()
    {
        Undo(0);
        if (_tx is not null)
        {
            try
            {
                _tx.Rollback();
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
            {
                // The connection is gone, and the transaction with it.
                Broken(e);
            }
        }

        Close();
    }

    // Rows inserted, updated or deleted by the write transaction's own commands (never fewer after a rollback)
    // and the in-memory steps of the open transaction.
    public long Changes => ((long)_journal.Count << 32) + _rowsChanged;

    public void Savepoint()
    {
        _savepointMark = _journal.Count;
        Open().Tx.Save("request");
    }

    public void RollbackToSavepoint()
    {
        Undo(_savepointMark);
        Open().Tx.Rollback("request");
    }

    public void ReleaseSavepoint() => Open().Tx.Release("request");

    public long? LeaseEpoch()
    {
        Open();
        return _leaseEpoch;
    }

    public RecordHead? LatestHead() => One(PostgresStore.ReadHead, "SELECT size, root, time, signature FROM record_heads ORDER BY size DESC LIMIT 1");

    public Party? GetParty(string id) => One(StoreRows.ReadParty, "SELECT id, name, role, created_at FROM parties WHERE id = $1", id);

    public void InsertParty(Party party) =>
        Write("INSERT INTO parties(id, name, role, created_at, record_index) VALUES ($1, $2, $3, $4, $5)",
            party.Id, party.Name, StoreRows.Enum(party.Role), StoreRows.Ms(party.CreatedAt), NextRecordIndex());

    public void InsertToken(AccessToken token) =>
        Write("INSERT INTO tokens(seq, id, party, secret_hash, created_at, revoked_at, record_index) " +
            "VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM tokens), $1, $2, $3, $4, NULL, $5)",
            token.Id, token.PartyId, token.SecretHash, StoreRows.Ms(token.CreatedAt), NextRecordIndex());

    public AccessToken? GetToken(string tokenId) => One(StoreRows.ReadToken, $"SELECT {StoreRows.TokenColumns} FROM tokens WHERE id = $1", tokenId);

    public IReadOnlyList<AccessToken> TokensOf(string party) =>
        List(StoreRows.ReadToken, $"SELECT {StoreRows.TokenColumns} FROM tokens WHERE party = $1 ORDER BY seq", party);

    public void RevokeToken(string tokenId, DateTimeOffset at)
    {
        // A token revoked again keeps its first revocation time, and names the new entry.
        Write("UPDATE tokens SET revoked_at = COALESCE(revoked_at, $2), record_index = $3 WHERE id = $1", tokenId, StoreRows.Ms(at), NextRecordIndex());

        // Every node drops the token from its cache when this commits.
        var (c, tx) = Open();
        Sql.Execute(c, tx, "SELECT pg_notify('deconflict_tokens', $1)", tokenId);
    }

    public Declaration? GetDeclaration(DeclarationKind kind, string id) =>
        One(ReadDeclaration, $"SELECT {StoreRows.DeclarationColumns} FROM declarations d WHERE d.id = $1 AND d.kind = $2", id, StoreRows.Enum(kind));

    public int LiveDeclarations(string party) =>
        (int)(long)Scalar($"SELECT COUNT(*) FROM declarations WHERE party = $1 AND kind IN ('operation', 'zone') AND state IN {LiveStates}", party)!;

    public bool DeclarationIdExists(string id) => (bool)Scalar("SELECT EXISTS(SELECT 1 FROM declarations WHERE id = $1)", id)!;

    public IReadOnlyList<Declaration> FindCandidates(IReadOnlyList<VolumeBox> boxes)
    {
        var (c, tx) = Open();
        return PostgresVolumeIndex.Candidates(c, tx, boxes, ReadDeclaration);
    }

    public void InsertDeclaration(Declaration d)
    {
        var (c, tx) = Open();
        using var cmd = Sql.Command(c, tx,
            "INSERT INTO declarations(seq, id, kind, party, version, state, priority, rule, name, volumes, details, starts_at, ends_at, created_at, updated_at, record_index, details_salt) " +
            $"VALUES ({DeclarationSeq}, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING seq",
            DeclarationArguments(d));
        var seq = (long)cmd.ExecuteScalar()!;
        _rowsChanged++;
        _rowsChanged += PostgresVolumeIndex.Insert(c, tx, seq, d);
        Wrote(d);
    }

    public void UpdateDeclaration(Declaration d)
    {
        var (c, tx) = Open();
        using var cmd = Sql.Command(c, tx,
            "UPDATE declarations SET kind = $2, party = $3, version = $4, state = $5, priority = $6, rule = $7, name = $8, volumes = $9, details = $10, " +
            "starts_at = $11, ends_at = $12, created_at = $13, updated_at = $14, record_index = $15, details_salt = $16 WHERE id = $1 RETURNING seq",
            DeclarationArguments(d));
        var seq = (long)(cmd.ExecuteScalar() ?? throw new InvalidOperationException($"no declaration {d.Id} to update"));
        _rowsChanged++;
        _rowsChanged += Sql.Execute(c, tx, "DELETE FROM volume_index WHERE declaration = $1", seq);
        _rowsChanged += PostgresVolumeIndex.Insert(c, tx, seq, d);
        Wrote(d);
    }

    public IReadOnlyList<Declaration> DeclarationsEndedBy(DateTimeOffset now, int limit) =>
        List(ReadDeclaration,
            $"SELECT {StoreRows.DeclarationColumns} FROM declarations d WHERE d.state IN {LiveStates} AND d.ends_at <= $1 ORDER BY d.ends_at, d.seq LIMIT $2",
            StoreRows.Ms(now), limit);

    public Conflict? GetConflict(string id) => One(StoreRows.ReadConflict, $"SELECT {StoreRows.ConflictColumns} FROM conflicts WHERE id = $1", id);

    // Conflict ids are time-ordered (UUID v7), so ordinal order ("C" collation) is creation order.
    public IReadOnlyList<Conflict> LiveConflictsOf(string declarationId) =>
        List(StoreRows.ReadConflict,
            $"SELECT {StoreRows.ConflictColumns} FROM conflicts WHERE state <> 'resolved' AND (a_id = $1 OR b_id = $1) ORDER BY id",
            declarationId);

    public void InsertConflict(Conflict c) =>
        Write("INSERT INTO conflicts(seq, id, version, state, a_kind, a_id, a_party, a_version, b_kind, b_id, b_party, b_version, time_start, time_end, " +
            "altitude_lower_m, altitude_upper_m, acknowledged_by, accepted_by, created_at, updated_at, resolved_at, record_index) VALUES (" +
            "(SELECT COALESCE(MAX(seq), 0) + 1 FROM conflicts), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)",
            ConflictArguments(c));

    public void UpdateConflict(Conflict c)
    {
        var changed = Write(
            "UPDATE conflicts SET version = $2, state = $3, a_kind = $4, a_id = $5, a_party = $6, a_version = $7, b_kind = $8, b_id = $9, b_party = $10, b_version = $11, " +
            "time_start = $12, time_end = $13, altitude_lower_m = $14, altitude_upper_m = $15, acknowledged_by = $16, accepted_by = $17, created_at = $18, updated_at = $19, " +
            "resolved_at = $20, record_index = $21 WHERE id = $1",
            ConflictArguments(c));
        if (changed != 1)
        {
            throw new InvalidOperationException($"no conflict {c.Id} to update");
        }
    }

    /// <summary>
    /// Appends the event and its record entry in this transaction: the event row (the entry's
    /// exact bytes), the leaf and the Merkle nodes it completes, in one statement. The sequence is
    /// the record index + 1, from the frontier loaded under the head lock.
    /// </summary>
    public StoredEvent AppendEvent(DomainEvent e, DateTimeOffset time)
    {
        var (c, tx) = Open();
        var ms = StoreRows.Ms(time);
        var stored = new StoredEvent(_record.Size + 1, StoreRows.Time(ms), e.Type, e.Actor, e.IsPublic ? [] : e.Audience, e.PayloadJson);
        var entry = StoreRows.Entry(stored, _salts.Next()).Canonical();
        var (completed, undo) = _record.Append(MerkleTree.LeafHash(entry));
        _journal.Add(undo);
        _rowsChanged += Sql.Execute(c, tx,
            "WITH e AS (INSERT INTO events(seq, entry) VALUES ($1, $2)) INSERT INTO record_nodes(id, hash) SELECT * FROM unnest($3::bigint[], $4::bytea[])",
            stored.Sequence, entry, completed.Select(n => SqliteRecordTree.NodeId(n.Level, n.Index)).ToArray(), completed.Select(n => n.Hash).ToArray()) + 1;
        return stored;
    }

    public (long Size, byte[] Root) RecordHead()
    {
        Open();
        return (_record.Size, _record.Root());
    }

    public byte[] RecordRoot(long size)
    {
        var (c, tx) = Open();
        using var tree = new PostgresRecordTree.Reader(c, tx);
        return MerkleTree.Root(size, tree);
    }

    public void InsertHead(RecordHead head) =>
        Write("INSERT INTO record_heads(size, root, time, signature) VALUES ($1, $2, $3, $4)", head.Size, head.RootHash, StoreRows.Ms(head.Time), head.Signature);

    public void InsertCosignature(Cosignature cosignature) =>
        Write("INSERT INTO record_cosignatures(party, size, root, time, signature) VALUES ($1, $2, $3, $4, $5)",
            cosignature.Party, cosignature.Size, cosignature.RootHash, StoreRows.Ms(cosignature.Time), cosignature.Signature);

    public void SetPartyKey(string party, byte[] publicKey, DateTimeOffset at) =>
        Write("INSERT INTO party_keys(party, public_key, registered_at, record_index) VALUES ($1, $2, $3, $4) " +
            "ON CONFLICT(party) DO UPDATE SET public_key = excluded.public_key, registered_at = excluded.registered_at, record_index = excluded.record_index",
            party, publicKey, StoreRows.Ms(at), NextRecordIndex());

    public bool RevealEntry(long index, string? by, DateTimeOffset at) =>
        Write("INSERT INTO record_reveals(entry_index, revealed_by, revealed_at) VALUES ($1, $2, $3) ON CONFLICT(entry_index) DO NOTHING", index, by, StoreRows.Ms(at)) == 1;

    public void InsertMessage(LineMessage message, string? idempotencyKey)
    {
        var (c, tx) = Open();
        using var cmd = Sql.Command(c, tx,
            "INSERT INTO line_messages(seq, id, sender, version, doc, next_due_at, idempotency_key, notice_for, created_at, record_index) " +
            "VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM line_messages), $1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING seq",
            message.Id, message.From, message.Version, LineRows.Serialize(message), LineRows.Due(message), idempotencyKey, message.NoticeFor,
            StoreRows.Ms(message.SentAt), NextRecordIndex());
        var seq = (long)cmd.ExecuteScalar()!;
        _rowsChanged++;
        foreach (var party in message.To)
        {
            Write("INSERT INTO line_recipients(party, message_seq) VALUES ($1, $2)", party, seq);
        }
    }

    public void UpdateMessage(LineMessage message)
    {
        if (Write("UPDATE line_messages SET version = $2, doc = $3, next_due_at = $4, record_index = $5 WHERE id = $1",
            message.Id, message.Version, LineRows.Serialize(message), LineRows.Due(message), NextRecordIndex()) != 1)
        {
            throw new InvalidOperationException($"No line message {message.Id} to update.");
        }
    }

    public LineMessage? GetMessage(string id) => One(LineRows.Read, $"SELECT {LineRows.Columns} FROM line_messages WHERE id = $1", id);

    public void SetEscalationContacts(string party, IReadOnlyList<(int Level, string Url)> contacts)
    {
        Write("DELETE FROM escalation_contacts WHERE party = $1", party);
        foreach (var (level, url) in contacts)
        {
            Write("INSERT INTO escalation_contacts(party, level, url) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", party, level, url);
        }

        // The set (even empty) names the entry its caller emits next, stating it.
        Write("INSERT INTO escalation_contact_sets(party, record_index) VALUES ($1, $2) ON CONFLICT(party) DO UPDATE SET record_index = excluded.record_index",
            party, NextRecordIndex());
    }

    public LineMessage? NoticeOf(string conflictId) =>
        One(LineRows.Read, $"SELECT {LineRows.Columns} FROM line_messages WHERE notice_for = $1 ORDER BY seq LIMIT 1", conflictId);

    public LineMessage? FindMessage(string sender, string idempotencyKey) =>
        One(LineRows.Read, $"SELECT {LineRows.Columns} FROM line_messages WHERE sender = $1 AND idempotency_key = $2", sender, idempotencyKey);

    public IReadOnlyList<LineMessage> MessagesDueBy(DateTimeOffset now, int limit) =>
        List(LineRows.Read, $"SELECT {LineRows.Columns} FROM line_messages WHERE next_due_at IS NOT NULL AND next_due_at <= $1 ORDER BY next_due_at, seq LIMIT $2",
            StoreRows.Ms(now), limit);

    public TrackAlert? GetAlert(string id) => One(AlertRows.Read, $"SELECT {AlertRows.Columns} FROM alerts WHERE id = $1", id);

    public void InsertAlert(TrackAlert alert)
    {
        var (c, tx) = Open();
        using var cmd = Sql.Command(c, tx,
            "INSERT INTO alerts(seq, id, a_party, b_party, state, version, doc, record_index) " +
            "VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM alerts), @id, @a, @b, @state, @version, @doc, @ri)");
        AlertRows.Bind(cmd, alert, string.Empty);
        cmd.Parameters.AddWithValue("ri", NextRecordIndex());
        _rowsChanged += cmd.ExecuteNonQuery();
    }

    public void UpdateAlert(TrackAlert alert)
    {
        var (c, tx) = Open();
        using var cmd = Sql.Command(c, tx,
            "UPDATE alerts SET state = @state, version = @version, doc = @doc, record_index = @ri WHERE id = @id AND a_party = @a AND b_party = @b");
        AlertRows.Bind(cmd, alert, string.Empty);
        cmd.Parameters.AddWithValue("ri", NextRecordIndex());
        var changed = cmd.ExecuteNonQuery();
        _rowsChanged += changed;
        if (changed != 1)
        {
            throw new InvalidOperationException($"No alert {alert.Id} between {alert.A.Party} and {alert.B.Party} to update.");
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Rollback();
        onDispose();
    }

    private object?[] DeclarationArguments(Declaration d) =>
    [
        d.Id, StoreRows.Enum(d.Kind), d.Party, d.Version, StoreRows.Enum(d.State), d.Priority, d.Rule is { } rule ? StoreRows.Enum(rule) : null, d.Name,
        StoreRows.VolumesJson(d.Volumes), d.DetailsJson, StoreRows.Ms(d.StartsAt), StoreRows.Ms(d.EndsAt), StoreRows.Ms(d.CreatedAt), StoreRows.Ms(d.UpdatedAt),
        NextRecordIndex(), d.DetailsSalt,
    ];

    private object?[] ConflictArguments(Conflict c) =>
    [
        c.Id, c.Version, StoreRows.Enum(c.State),
        StoreRows.Enum(c.A.Kind), c.A.Id, c.A.Party, c.A.Version,
        StoreRows.Enum(c.B.Kind), c.B.Id, c.B.Party, c.B.Version,
        StoreRows.Text(c.Overlap.TimeStart), StoreRows.Text(c.Overlap.TimeEnd), c.Overlap.AltitudeLowerM, c.Overlap.AltitudeUpperM,
        StoreRows.TimesJson(c.AcknowledgedBy), StoreRows.TimesJson(c.AcceptedBy), StoreRows.Ms(c.CreatedAt), StoreRows.Ms(c.UpdatedAt),
        c.ResolvedAt is { } resolved ? StoreRows.Ms(resolved) : null, NextRecordIndex(),
    ];

    /// <summary>A declaration read in this transaction: its volumes are kept only when it is not one this transaction wrote.</summary>
    private Declaration ReadDeclaration(NpgsqlDataReader r) => rows.ReadDeclaration(r, remember: !_writtenIds.Contains(r.GetString(1)));

    private void Wrote(Declaration d)
    {
        _written.Add(d);
        _writtenIds.Add(d.Id);
    }

    /// <summary>
    /// The index the next appended entry gets: a row written now names the entry its caller emits
    /// next, about it (the start check holds each row to that entry).
    /// </summary>
    private long NextRecordIndex()
    {
        Open();
        return _record.Size;
    }


    private void Undo(int mark)
    {
        for (var i = _journal.Count - 1; i >= mark; i--)
        {
            _journal[i]();
        }

        _journal.RemoveRange(mark, _journal.Count - mark);
    }

    private (NpgsqlConnection Connection, NpgsqlTransaction Tx) Open() =>
        _connection is not null && _tx is not null ? (_connection, _tx) : throw new InvalidOperationException("No write transaction is open: call Begin first.");

    private int Write(string sql, params object?[] args)
    {
        var (c, tx) = Open();
        var changed = Sql.Execute(c, tx, sql, args);
        _rowsChanged += changed;
        return changed;
    }

    private object? Scalar(string sql, params object?[] args)
    {
        var (c, tx) = Open();
        return Sql.Scalar(c, tx, sql, args);
    }

    private T? One<T>(Func<NpgsqlDataReader, T> read, string sql, params object?[] args)
        where T : class
    {
        var (c, tx) = Open();
        return Sql.One(c, tx, read, sql, args);
    }

    private List<T> List<T>(Func<NpgsqlDataReader, T> read, string sql, params object?[] args)
    {
        var (c, tx) = Open();
        return Sql.List(c, tx, read, sql, args);
    }

    /// <summary>A connection that broke (PostgreSQL stopped or restarted) leaves the pool's others suspect: they are dropped, so the next batch connects afresh.</summary>
    private void Broken(Exception e)
    {
        if (_connection is { } c && (c.FullState.HasFlag(ConnectionState.Broken) || StorageFault.IsConnectionFailure(e)))
        {
            NpgsqlConnection.ClearPool(c);
        }
    }

    private void Close()
    {
        _tx?.Dispose();
        _tx = null;
        _connection?.Dispose();
        _connection = null;
    }
}
