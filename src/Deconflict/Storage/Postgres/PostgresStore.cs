using Deconflict.Core.Line;
using Deconflict.Core.Model;
using Deconflict.Core.Record;
using Deconflict.Core.Strategic;
using Deconflict.Core.Tactical;

namespace Deconflict.Storage.Postgres;

/// <summary>The store on PostgreSQL + PostGIS, shared by every node of a cluster.</summary>
public sealed class PostgresStore(string connectionString, TimeProvider? time = null) : IDeconflictStore
{
    public string ConnectionString { get; } = connectionString;

    public TimeProvider Time { get; } = time ?? TimeProvider.System;

    public Party? GetParty(string id) => throw Missing();

    public IReadOnlyList<Party> ListParties() => throw Missing();

    public AccessToken? FindToken(byte[] secretHash) => throw Missing();

    public IReadOnlyList<AccessToken> TokensOf(string party) => throw Missing();

    public bool AnyAdminToken() => throw Missing();

    public Declaration? GetDeclaration(DeclarationKind kind, string id) => throw Missing();

    public Page<Declaration> ListDeclarations(DeclarationQuery query) => throw Missing();

    public IReadOnlyList<Declaration> FindCandidates(IReadOnlyList<VolumeBox> boxes) => throw Missing();

    public Conflict? GetConflict(string id) => throw Missing();

    public Page<Conflict> ListConflicts(ConflictQuery query) => throw Missing();

    public IReadOnlyList<StoredEvent> ReadEvents(long afterSequence, Caller viewer, int limit) => throw Missing();

    public long LastEventSequence() => throw Missing();

    public IReadOnlyList<RecordLeaf> ReadRecord(long start, long end) => throw Missing();

    public byte[] RecordRoot(long size) => throw Missing();

    public IReadOnlyList<byte[]> InclusionProof(long index, long size) => throw Missing();

    public IReadOnlyList<byte[]> ConsistencyProof(long from, long to) => throw Missing();

    public RecordHead? LatestHead() => throw Missing();

    public RecordHead? GetHead(long size) => throw Missing();

    public IReadOnlyList<Cosignature> CosignaturesOf(long size) => throw Missing();

    public Cosignature? LastCosignature(string party) => throw Missing();

    public byte[]? PartyKey(string party) => throw Missing();

    public LineMessage? GetMessage(string id) => throw Missing();

    public IReadOnlyList<(int Level, string Url)> EscalationContacts(string party) => throw Missing();

    public Page<LineMessage> ListMessages(string? party, bool inbox, int limit, long? after) => throw Missing();

    public TrackAlert? GetAlert(string id) => throw Missing();

    public Page<TrackAlert> ListAlerts(string? party, AlertState? state, int limit, long? after) => throw Missing();

    public IReadOnlyList<TrackAlert> ActiveAlerts() => throw Missing();

    public void Migrate() => throw Missing();

    public int WarmUp(CancellationToken ct = default) => throw Missing();

    public IWriteSession OpenWriteSession() => throw Missing();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static NotSupportedException Missing() => new("The PostgreSQL store is being built.");
}
