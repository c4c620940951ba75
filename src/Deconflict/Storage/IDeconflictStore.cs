using Deconflict.Core.Geometry;
using Deconflict.Core.Line;
using Deconflict.Core.Model;
using Deconflict.Core.Record;
using Deconflict.Core.Strategic;
using Deconflict.Core.Tactical;

namespace Deconflict.Storage;

/// <summary>
/// The store behind the service: one durable database. Reads run concurrently; all writes go
/// through one <see cref="IWriteSession"/> at a time (the single writer), so conflict detection and
/// the write it guards are one serialisable step. Every implementation passes the same contract suite.
/// </summary>
public interface IDeconflictStore : IStoreReader, IAsyncDisposable
{
    /// <summary>Brings the schema to the newest version (versioned, forward-only migrations).</summary>
    void Migrate();

    /// <summary>Prepares whatever makes the first writes fast (decoded volumes); returns how many declarations it prepared.</summary>
    int WarmUp(CancellationToken ct = default);

    /// <summary>
    /// True when one process writes the database alone (SQLite): its writer may keep what it
    /// decides on in memory from one transaction to the next (the live declarations and
    /// conflicts, Declarations/LiveDeclarations). False when several nodes write it (PostgreSQL):
    /// every transaction asks the store, which sees the other nodes' commits.
    /// </summary>
    bool SoleWriter { get; }

    /// <summary>Opens the write session (no transaction yet: <see cref="IWriteSession.BeginAsync"/>). Only one may be open at a time.</summary>
    IWriteSession OpenWriteSession();
}

public sealed record DeclarationQuery(
    DeclarationKind Kind,
    GeoBox? Area = null,
    DateTimeOffset? Start = null,
    DateTimeOffset? End = null,
    string? Party = null,
    DeclarationState? State = null,
    int Limit = 100,
    long? After = null);

public sealed record ConflictQuery(string? VisibleTo, ConflictState? State = null, int Limit = 100, long? After = null);

/// <summary>A page of results and the position to continue after, or null at the end.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, long? Next);

/// <summary>Reads, safe from any thread, each on a consistent snapshot.</summary>
public interface IStoreReader
{
    Party? GetParty(string id);

    IReadOnlyList<Party> ListParties();

    AccessToken? FindToken(byte[] secretHash);

    /// <summary>Every token of the party, revoked ones too, in the order they were issued.</summary>
    IReadOnlyList<AccessToken> TokensOf(string party);

    bool AnyAdminToken();

    Declaration? GetDeclaration(DeclarationKind kind, string id);

    Page<Declaration> ListDeclarations(DeclarationQuery query);

    /// <summary>Broad phase on the last committed snapshot: live declarations with a volume whose box meets any of the boxes (a superset of the true conflicts).</summary>
    IReadOnlyList<Declaration> FindCandidates(IReadOnlyList<VolumeBox> boxes);

    Conflict? GetConflict(string id);

    Page<Conflict> ListConflicts(ConflictQuery query);

    /// <summary>Events after <paramref name="afterSequence"/> in order that <paramref name="viewer"/> may see.</summary>
    IReadOnlyList<StoredEvent> ReadEvents(long afterSequence, Caller viewer, int limit);

    long LastEventSequence();

    /// <summary>Leaves [start, end) of the record (end clipped to its size), in order.</summary>
    IReadOnlyList<RecordLeaf> ReadRecord(long start, long end);

    /// <summary>The root hash of the record's first <paramref name="size"/> leaves (size at most the record's size).</summary>
    byte[] RecordRoot(long size);

    /// <summary>RFC 9162 inclusion proof of leaf <paramref name="index"/> in the tree of <paramref name="size"/> leaves.</summary>
    IReadOnlyList<byte[]> InclusionProof(long index, long size);

    /// <summary>RFC 9162 consistency proof between the trees of <paramref name="from"/> and <paramref name="to"/> leaves.</summary>
    IReadOnlyList<byte[]> ConsistencyProof(long from, long to);

    /// <summary>The newest signed head, or null before the first.</summary>
    RecordHead? LatestHead();

    /// <summary>The signed head of that size, if the service signed one.</summary>
    RecordHead? GetHead(long size);

    /// <summary>The cosignatures of the head of that size, by party.</summary>
    IReadOnlyList<Cosignature> CosignaturesOf(long size);

    /// <summary>The party's most recent (largest) cosignature.</summary>
    Cosignature? LastCosignature(string party);

    /// <summary>The party's registered Ed25519 witness key (32 bytes), or null.</summary>
    byte[]? PartyKey(string party);

    LineMessage? GetMessage(string id);

    /// <summary>The party's escalation webhooks, by level.</summary>
    IReadOnlyList<(int Level, string Url)> EscalationContacts(string party);

    /// <summary>Messages to (<paramref name="inbox"/>) or from the party, oldest first; every message when party is null.</summary>
    Page<LineMessage> ListMessages(string? party, bool inbox, int limit, long? after);

    TrackAlert? GetAlert(string id);

    /// <summary>Alerts the party is a side of (every alert when party is null), oldest first, optionally of one state.</summary>
    Page<TrackAlert> ListAlerts(string? party, AlertState? state, int limit, long? after);

    /// <summary>Every active alert, oldest first: what the detector takes back after a restart.</summary>
    IReadOnlyList<TrackAlert> ActiveAlerts();
}

/// <summary>
/// The single writer's unit of work: a transaction with savepoints, so a batch of requests commits
/// with one fsync while a refused request rolls back alone, and one repository per aggregate whose
/// reads and writes all belong to that transaction (reads see its own writes).
/// <para>
/// Asynchronous, so a store that waits on a server (PostgreSQL) waits without holding a thread;
/// one whose I/O is synchronous (SQLite) completes every call before it returns, and the
/// <see cref="ValueTask"/> it gives allocates nothing. The writer awaits each call before it makes
/// the next: a session is never used by two calls at once. No call takes a cancellation token: a
/// transaction that has begun runs to its commit or its rollback, and no statement is abandoned
/// half way (a failure rolls the transaction back).
/// </para>
/// </summary>
public interface IWriteSession : IAsyncDisposable
{
    ValueTask BeginAsync();

    /// <summary>Durable when it completes (fsync'd); only then may the writes be acknowledged.</summary>
    ValueTask CommitAsync();

    ValueTask RollbackAsync();

    /// <summary>
    /// A counter that moves whenever the open transaction changes: a row inserted, updated or
    /// deleted, or the session's own in-memory state. Equal before and after a request means the
    /// request left the transaction exactly as it found it, so its refusal needs nothing undone.
    /// </summary>
    long Changes { get; }

    ValueTask SavepointAsync();

    ValueTask RollbackToSavepointAsync();

    ValueTask ReleaseSavepointAsync();

    /// <summary>
    /// The lease's epoch as this transaction stands (the fencing token of the background duties,
    /// docs/cluster.md): no node can take the lease over before the transaction ends, so a duty's
    /// write that carries this epoch may commit and one that carries another must not. Null where
    /// one node writes alone (SQLite), whose writes need no fence. Read when the transaction
    /// began, so it is known without a round trip.
    /// </summary>
    long? LeaseEpoch { get; }

    /// <summary>Parties, their tokens and witness keys.</summary>
    IPartyRepository Parties { get; }

    /// <summary>Operations and zones, and the strategic broad phase.</summary>
    IDeclarationRepository Declarations { get; }

    /// <summary>Strategic conflicts.</summary>
    IConflictRepository Conflicts { get; }

    /// <summary>The record: events with their entries, heads, cosignatures, revealed entries.</summary>
    IRecordRepository Record { get; }

    /// <summary>The deconfliction line's messages and escalation contacts.</summary>
    ILineRepository Line { get; }

    /// <summary>Tactical alerts.</summary>
    IAlertRepository Alerts { get; }
}
