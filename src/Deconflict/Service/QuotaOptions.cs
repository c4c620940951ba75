namespace Deconflict.Service;

/// <summary>
/// Per-party quotas and the limits on failed authentication, shown in GET /v1/config. Over a quota
/// the answer is 429 <c>quota-exceeded</c> (declarations, streams) or <c>rate-limited</c> (request
/// rate, failed authentication), with Retry-After, and nothing changes. The admin and the
/// service's own work (expiry sweep, line clocks, alerts) are never held by a party's quota.
/// <para>
/// On a cluster every quota is the cluster's, not each node's. <see cref="MaxLiveDeclarations"/> is
/// counted inside the write's transaction (DeclarationCommands.Create), and every write transaction
/// of the cluster holds the store's one write order from its start, before it reads (the record is
/// one log), so concurrent creates on any nodes cannot pass it together.
/// <see cref="MaxStreams"/>, <see cref="RequestsPerSecond"/> and <see cref="RequestBurst"/> are
/// counted where the requests arrive, each node allowing its share over the live nodes
/// (Cluster.ClusterShare says why, and what that bounds).
/// </para>
/// </summary>
public sealed record QuotaOptions
{
    /// <summary>Characters of a presented secret that name its prefix for <see cref="FailedAuthPerPrefix"/>.</summary>
    public const int PrefixChars = 8;

    /// <summary>
    /// Live declarations (operations and zones neither ended nor cancelled) one party may hold.
    /// 10,000 is far above a real plan: a busy air tasking order is one to three thousand sorties a
    /// day, each one operation, and declarations end with their last volume. At about 4 KB that
    /// each live declaration keeps in the writer's memory (docs/performance.md) it also bounds what
    /// one party can make the server hold to about 40 MB.
    /// </summary>
    public int MaxLiveDeclarations { get; init; } = 10_000;

    /// <summary>Event streams (GET /v1/events) open at once per party: a party needs one per console or relay.</summary>
    public int MaxStreams { get; init; } = 16;

    /// <summary>Sustained requests per second per party (a token bucket); a feed posts tracks in batches about once a second.</summary>
    public double RequestsPerSecond { get; init; } = 200;

    /// <summary>Requests a party may make at once above the sustained rate (the bucket's size).</summary>
    public int RequestBurst { get; init; } = 400;

    /// <summary>Failed authentications from one client address (IPv4, or an IPv6 /64) before it must wait.</summary>
    public int FailedAuthPerAddress { get; init; } = 20;

    /// <summary>Failed authentications with one secret prefix (its first <see cref="PrefixChars"/> characters), from any address, before it must wait.</summary>
    public int FailedAuthPerPrefix { get; init; } = 20;

    /// <summary>One failed authentication is forgiven per address and per prefix this often (3 s: 20 a minute sustained).</summary>
    public TimeSpan FailedAuthForgiveEvery { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Retry-After of a quota refusal: how long a party should wait before it tries again (a declaration or a stream must end first).</summary>
    public TimeSpan QuotaRetryAfter { get; init; } = TimeSpan.FromSeconds(30);
}
