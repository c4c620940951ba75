using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Deconflict.Core.Geometry;
using Deconflict.Core.Model;
using Deconflict.Core.Record;
using Deconflict.Core.Volumes;

namespace Deconflict.Storage;

/// <summary>
/// The row and column encodings every store shares, so that SQLite and PostgreSQL hold and give
/// back objects the same way: times as integer milliseconds since the Unix epoch (conflict overlaps
/// and acknowledgement maps as round-trip text), enums by their wire names, volumes as F3548 JSON,
/// and the record's entries. The readers take columns by position from any ADO.NET reader; each
/// store's SELECT lists them in the order of the column lists below. An instance keeps the decoded
/// volumes of the declaration versions it has read.
/// </summary>
internal sealed class StoreRows
{
    public const string DeclarationColumns =
        "d.seq, d.id, d.kind, d.party, d.version, d.state, d.priority, d.rule, d.name, d.volumes, d.details, d.created_at, d.updated_at, d.record_index, d.details_salt";

    public const string ConflictColumns =
        "seq, id, version, state, a_kind, a_id, a_party, a_version, b_kind, b_id, b_party, b_version, " +
        "time_start, time_end, altitude_lower_m, altitude_upper_m, acknowledged_by, accepted_by, created_at, updated_at, resolved_at, record_index";

    public const string TokenColumns = "id, party, secret_hash, created_at, revoked_at";

    /// <summary>
    /// The parties of an entry that may be shown to no party: one whose bytes do not hash to its
    /// leaf or are not an entry. No party has the empty id, so only the admin and observers see it.
    /// </summary>
    public static readonly ImmutableArray<string> NoParty = [string.Empty];

    // Volumes were validated when written; reading them back must not refuse them because the
    // deployment's limits changed since, so decoding uses no limits.
    private static readonly GeometryLimits DecodeLimits = new(double.MaxValue, double.MaxValue, int.MaxValue, double.MaxValue);

    // Parsing a volume densifies its geodesic edges (the costly part of a conflict check after the
    // index), so decoded volumes are kept per (id, version): a version never changes its volumes
    // (on any node of a cluster either). Bounded by clearing: a rebuild costs one parse per
    // declaration touched afterwards.
    private const int MaxCachedVolumeSets = 500_000;
    private readonly ConcurrentDictionary<(string Id, long Version), ImmutableArray<Volume4D>> _volumes = new();

    // ConcurrentDictionary.Count takes every bucket lock; the writer caches on every declaration
    // write, and that lock round was 4% of its time (dotnet-trace). This count only decides when
    // to clear, so an approximate one (a race may add a few past the bound) is enough.
    private int _cachedVolumeSets;

    // Declaration versions whose volumes were decoded from their JSON (outlines derived), for tests
    // and diagnostics.
    private long _decoded;

    /// <summary>How many declaration versions have had their volumes decoded (their outlines derived) from the database.</summary>
    public long DecodedVolumeSets => Interlocked.Read(ref _decoded);

    /// <summary>
    /// Notes one index box of a declaration (its start in days since 2020, its south-west corner in
    /// degrees) in <paramref name="keys"/>, keeping per declaration the least key: declarations in
    /// the same 6 h bin and 0.5 degree cell get the same key. Declarations read and decoded in key
    /// order are allocated next to each other, and a conflict check's candidates are neighbours in
    /// time and space: the check mostly waits on their objects (memory latency).
    /// </summary>
    public static void NoteNeighbourKey(Dictionary<long, long> keys, long seq, double minDays, double minLat, double minLng)
    {
        var key = ((long)Math.Floor(minDays * 4.0) << 20) | ((long)Math.Floor((minLat + 90.0) * 2.0) << 10) | (long)Math.Floor((minLng + 180.0) * 2.0);
        keys[seq] = keys.TryGetValue(seq, out var other) ? Math.Min(key, other) : key;
    }

    /// <summary>Every party's escalation contacts as stored, by party in ordinal order.</summary>
    public static SortedDictionary<string, List<(int Level, string Url)>> ContactsByParty(DbConnection c, DbTransaction? tx)
    {
        var contacts = new SortedDictionary<string, List<(int Level, string Url)>>(StringComparer.Ordinal);
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "SELECT party, level, url FROM escalation_contacts";
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            var party = r.GetString(0);
            if (!contacts.TryGetValue(party, out var list))
            {
                contacts[party] = list = [];
            }

            list.Add((r.GetInt32(1), r.GetString(2)));
        }

        return contacts;
    }

    public static long Ms(DateTimeOffset t) => t.ToUnixTimeMilliseconds();

    public static DateTimeOffset Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    public static string Text(DateTimeOffset t) => t.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    public static DateTimeOffset ParseText(string s) => DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    public static string Enum<T>(T value)
        where T : struct, System.Enum => StoreJson.Name(value);

    public static T ParseEnum<T>(string s)
        where T : struct, System.Enum => System.Enum.Parse<T>(s.Replace("-", string.Empty, StringComparison.Ordinal), ignoreCase: true);

    public static string VolumesJson(ImmutableArray<Volume4D> volumes) =>
        JsonSerializer.Serialize(volumes.Select(VolumeParser.ToF3548).ToArray(), StoreJson.Options);

    // A new conflict has no acknowledgements yet: its two empty maps need no serializer.
    public static string TimesJson(ImmutableSortedDictionary<string, DateTimeOffset> times) =>
        times.IsEmpty ? "{}" : JsonSerializer.Serialize(times.ToDictionary(kv => kv.Key, kv => Text(kv.Value)), StoreJson.Options);

    /// <summary>The record entry of an event (its index is its sequence - 1) with the given salt, or a fresh random one.</summary>
    public static RecordEntry Entry(StoredEvent e, string? salt = null) =>
        new(e.Sequence - 1, e.Time, e.Type, e.Actor, e.Audience.IsDefault ? [] : e.Audience, e.PayloadJson,
            salt ?? Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(RecordEntry.SaltBytes)));

    /// <summary>The entry, when its bytes are an entry and hash to <paramref name="leaf"/>; otherwise null.</summary>
    public static RecordEntry? Verified(byte[] entry, byte[] leaf) =>
        MerkleTree.LeafHash(entry).AsSpan().SequenceEqual(leaf) ? RecordEntry.Parse(entry) : null;

    /// <summary>
    /// A declaration from a row of <see cref="DeclarationColumns"/>. Its decoded volumes are kept
    /// unless <paramref name="remember"/> is false: a version written in a transaction that may
    /// still roll back must not be, since the same id and version may later be committed with other
    /// volumes (by another node of a cluster).
    /// </summary>
    public Declaration ReadDeclaration(DbDataReader r, bool remember = true)
    {
        var id = r.GetString(1);
        var version = r.GetInt64(4);
        var volumes = _volumes.TryGetValue((id, version), out var cached) ? cached : DecodeVolumes(id, version, r.GetString(9), remember);
        return new Declaration(
            ParseEnum<DeclarationKind>(r.GetString(2)),
            id,
            r.GetString(3),
            version,
            ParseEnum<DeclarationState>(r.GetString(5)),
            r.GetInt32(6),
            r.IsDBNull(7) ? null : ParseEnum<ZoneRule>(r.GetString(7)),
            r.IsDBNull(8) ? null : r.GetString(8),
            volumes,
            r.IsDBNull(10) ? null : r.GetString(10),
            Time(r.GetInt64(11)),
            Time(r.GetInt64(12)))
        {
            RecordIndex = r.IsDBNull(13) ? null : r.GetInt64(13),
            DetailsSalt = r.IsDBNull(14) ? null : r.GetString(14),
        };
    }

    public void Remember(Declaration d) => Cache(d.Id, d.Version, d.Volumes);

    /// <summary>A conflict from a row of <see cref="ConflictColumns"/>.</summary>
    public static Conflict ReadConflict(DbDataReader r) => new(
        r.GetString(1),
        r.GetInt64(2),
        ParseEnum<ConflictState>(r.GetString(3)),
        new ConflictRef(ParseEnum<DeclarationKind>(r.GetString(4)), r.GetString(5), r.GetString(6), r.GetInt64(7)),
        new ConflictRef(ParseEnum<DeclarationKind>(r.GetString(8)), r.GetString(9), r.GetString(10), r.GetInt64(11)),
        new VolumeOverlap(ParseText(r.GetString(12)), ParseText(r.GetString(13)), r.GetDouble(14), r.GetDouble(15)),
        ParseTimes(r.GetString(16)),
        ParseTimes(r.GetString(17)),
        Time(r.GetInt64(18)),
        Time(r.GetInt64(19)),
        r.IsDBNull(20) ? null : Time(r.GetInt64(20)))
    {
        RecordIndex = r.IsDBNull(21) ? null : r.GetInt64(21),
    };

    /// <summary>A party from a row of id, name, role, created_at.</summary>
    public static Party ReadParty(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), ParseEnum<PartyRole>(r.GetString(2)), Time(r.GetInt64(3)));

    /// <summary>A token from a row of <see cref="TokenColumns"/>.</summary>
    public static AccessToken ReadToken(DbDataReader r) => new(
        r.GetString(0),
        r.IsDBNull(1) ? null : r.GetString(1),
        (byte[])r.GetValue(2),
        Time(r.GetInt64(3)),
        r.IsDBNull(4) ? null : Time(r.GetInt64(4)));

    /// <summary>Decodes the volumes of a declaration version into the cache.</summary>
    public void Warm(string id, long version, string json)
    {
        if (!_volumes.ContainsKey((id, version)))
        {
            DecodeVolumes(id, version, json, remember: true);
        }
    }

    private ImmutableArray<Volume4D> DecodeVolumes(string id, long version, string json, bool remember)
    {
        Interlocked.Increment(ref _decoded);
        var dtos = JsonSerializer.Deserialize<F3548Volume4D[]>(json, StoreJson.Options)
            ?? throw new InvalidDataException($"declaration {id} has no volumes");
        var builder = ImmutableArray.CreateBuilder<Volume4D>(dtos.Length);
        foreach (var dto in dtos)
        {
            var parsed = VolumeParser.Parse(dto, DecodeLimits);
            builder.Add(parsed.Volume ?? throw new InvalidDataException($"declaration {id} v{version} has an unreadable volume: {parsed.Error?.Detail}"));
        }

        var volumes = builder.MoveToImmutable();
        if (remember)
        {
            Cache(id, version, volumes);
        }

        return volumes;
    }

    private void Cache(string id, long version, ImmutableArray<Volume4D> volumes)
    {
        if (Volatile.Read(ref _cachedVolumeSets) >= MaxCachedVolumeSets)
        {
            _volumes.Clear();
            Volatile.Write(ref _cachedVolumeSets, 0);
        }

        if (_volumes.TryAdd((id, version), volumes))
        {
            Interlocked.Increment(ref _cachedVolumeSets);
        }
    }

    private static ImmutableSortedDictionary<string, DateTimeOffset> ParseTimes(string json) =>
        JsonSerializer.Deserialize<Dictionary<string, string>>(json)!
            .ToImmutableSortedDictionary(kv => kv.Key, kv => ParseText(kv.Value), StringComparer.Ordinal);
}
