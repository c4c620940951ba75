using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using Deconflict.Cluster;
using Deconflict.Service;

namespace Deconflict.Api;

/// <summary>
/// The rate limits and per-party quotas that do not live in the store, on System.Threading.RateLimiting:
/// failed authentication per client address and per secret prefix (token buckets that a failure
/// drains and time refills), each party's request rate (a token bucket) and its open event streams
/// (a concurrency limiter). Partitioned limiters replenish on one shared timer (every 100 ms) and
/// drop partitions idle for 10 s, so an attacker's many addresses or prefixes cost memory only
/// while they are being refused.
/// <para>
/// A party's request rate and streams are the cluster's: each node allows its share of them
/// (<see cref="ClusterShare"/>), read from <see cref="IClusterState.LiveNodes"/> at every request. The
/// request buckets are keyed by party and node count, so a change of the live nodes starts the
/// party on a bucket of the new size (full: at most one burst share more at each change, which is
/// rare); streams are counted here and compared with the share as it is now, so a stream already
/// open stays open when nodes join. The limits on failed authentication stay per node: a guesser
/// gains nothing the address and prefix limits do not already bound.
/// </para>
/// </summary>
public sealed class AccessLimits : IDisposable
{
    private readonly QuotaOptions _options;
    private readonly PartitionedRateLimiter<string> _failedByAddress;
    private readonly PartitionedRateLimiter<string> _failedByPrefix;
    private readonly PartitionedRateLimiter<(string Party, int Nodes)> _requests;
    private readonly IClusterState _cluster;
    private readonly Dictionary<string, int> _streams = new(StringComparer.Ordinal);

    public AccessLimits(DeconflictOptions options, IClusterState? cluster = null)
    {
        _options = options.Quotas;
        _cluster = cluster ?? new SingleNode();
        _failedByAddress = Failures(_options.FailedAuthPerAddress, _options.FailedAuthForgiveEvery);
        _failedByPrefix = Failures(_options.FailedAuthPerPrefix, _options.FailedAuthForgiveEvery);
        _requests = PartitionedRateLimiter.Create<(string Party, int Nodes), (string Party, int Nodes)>(key => RateLimitPartition.GetTokenBucketLimiter(key, k => RequestBucket(_options, k.Nodes)));
    }

    /// <summary>The live nodes the party's limits are shared over now (at least 1).</summary>
    private int Nodes => Math.Max(1, _cluster.LiveNodes);

    /// <summary>
    /// Null when the address and the presented secret's prefix may still try; otherwise the 429 to
    /// answer, whatever the secret. A locked-out address or prefix waits even with a valid token:
    /// answering 200 to a right guess and 429 to a wrong one would tell a guesser which guess was
    /// right, and the limit would only rename 401 to 429.
    /// </summary>
    public Refusal? LockedOut(HttpContext http, string? secret)
    {
        if (Exhausted(_failedByAddress, AddressKey(http)))
        {
            return Locked("this client address");
        }

        return secret is not null && Exhausted(_failedByPrefix, PrefixKey(secret)) ? Locked("tokens that begin like this one") : null;
    }

    /// <summary>Counts a failed authentication against the address and the prefix; the 429 when either is now over its limit.</summary>
    public Refusal? Failed(HttpContext http, string? secret)
    {
        using var byAddress = _failedByAddress.AttemptAcquire(AddressKey(http));
        if (secret is not null)
        {
            using var byPrefix = _failedByPrefix.AttemptAcquire(PrefixKey(secret));
            if (!byPrefix.IsAcquired)
            {
                return Locked("tokens that begin like this one");
            }
        }

        return byAddress.IsAcquired ? null : Locked("this client address");
    }

    /// <summary>Takes one request from the party's bucket; the 429 <c>rate-limited</c> when it is empty.</summary>
    public Refusal? Request(string party)
    {
        var nodes = Nodes;
        using var lease = _requests.AttemptAcquire((party, nodes));
        if (lease.IsAcquired)
        {
            return null;
        }

        var after = lease.TryGetMetadata(MetadataName.RetryAfter, out var retry) ? retry : RequestPeriod(nodes);
        return Refusal.Retry(
            RefusalReason.RateLimited,
            $"Party '{party}' is over its request rate ({_options.RequestsPerSecond}/s, bursts of {_options.RequestBurst}{SharedOver(nodes)}); retry later.",
            after);
    }

    /// <summary>
    /// A place among the party's open event streams, to dispose when the stream ends; or the 429
    /// <c>quota-exceeded</c> when all are taken.
    /// </summary>
    public Outcome<IDisposable> OpenStream(string party)
    {
        var nodes = Nodes;
        var limit = ClusterShare.Of(_options.MaxStreams, nodes);
        int open;
        lock (_streams)
        {
            open = _streams.GetValueOrDefault(party);
            if (open < limit)
            {
                _streams[party] = open + 1;
                return new Outcome<IDisposable>(new StreamPlace(this, party), null);
            }
        }

        return Refusal.Retry(
            RefusalReason.QuotaExceeded,
            nodes == 1
                ? $"Party '{party}' has {open} event streams open, its quota; close one first."
                : $"Party '{party}' has {open} event streams open on this node, its share of the quota of {_options.MaxStreams}{SharedOver(nodes)}; close one first.",
            _options.QuotaRetryAfter).With("quota", "streams").With("limit", limit);
    }

    public void Dispose()
    {
        _failedByAddress.Dispose();
        _failedByPrefix.Dispose();
        _requests.Dispose();
    }

    /// <summary>
    /// The client's address as the connection gives it: X-Forwarded-For only from the proxies the
    /// admin trusts (<see cref="TrustedProxies"/>), never from a client. An IPv6 client is taken as
    /// its /64, the least a host is given, so that it cannot step through addresses; an IPv4-mapped
    /// one as IPv4.
    /// </summary>
    public static string AddressKey(HttpContext http)
    {
        var address = http.Connection.RemoteIpAddress;
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var bytes = address.GetAddressBytes();
            Array.Clear(bytes, 8, 8);
            address = new IPAddress(bytes);
        }

        return address.ToString();
    }

    /// <summary>
    /// One node's bucket of a party's requests: its share of the burst, refilled at its share of the
    /// rate. The partitioned limiter's timer refills a bucket that does not replenish itself every
    /// 100 ms by the time elapsed times TokensPerPeriod / ReplenishmentPeriod, so only that ratio
    /// counts: it is the share exactly (to a tick), as a whole number of tokens over a period of at
    /// most a second (one token over 1/rate seconds below 1/s). A whole number of tokens per 100 ms
    /// would round a share of 15/s up to 20/s, and the cluster would allow 40/s for 30/s.
    /// </summary>
    internal static TokenBucketRateLimiterOptions RequestBucket(QuotaOptions quotas, int nodes)
    {
        var rate = ClusterShare.Of(quotas.RequestsPerSecond, nodes);
        var tokens = (int)Math.Clamp(Math.Floor(rate), 1, int.MaxValue);
        return new TokenBucketRateLimiterOptions
        {
            TokenLimit = ClusterShare.Of(quotas.RequestBurst, nodes),
            TokensPerPeriod = tokens,
            ReplenishmentPeriod = TimeSpan.FromTicks(Math.Max(1, (long)Math.Round(tokens * TimeSpan.TicksPerSecond / rate))),
            QueueLimit = 0,
            AutoReplenishment = false,
        };
    }

    // A refused request may try again once one token is back: at most a period.
    private TimeSpan RequestPeriod(int nodes) => RequestBucket(_options, nodes).ReplenishmentPeriod;

    private static string SharedOver(int nodes) => nodes == 1 ? string.Empty : $", shared over {nodes} nodes";

    private void CloseStream(string party)
    {
        lock (_streams)
        {
            var open = _streams.GetValueOrDefault(party) - 1;
            if (open > 0)
            {
                _streams[party] = open;
            }
            else
            {
                _streams.Remove(party);
            }
        }
    }

    private static string PrefixKey(string secret) => secret.Length <= QuotaOptions.PrefixChars ? secret : secret[..QuotaOptions.PrefixChars];

    // A check takes nothing: an empty bucket means locked out.
    private static bool Exhausted(PartitionedRateLimiter<string> limiter, string key) =>
        limiter.GetStatistics(key) is { CurrentAvailablePermits: <= 0 };

    private static PartitionedRateLimiter<string> Failures(int limit, TimeSpan forgiveEvery) =>
        PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = limit,
            TokensPerPeriod = 1,
            ReplenishmentPeriod = forgiveEvery,
            QueueLimit = 0,
            AutoReplenishment = false,
        }));

    // One failure is forgiven per period, so the wait is at most one period.
    private Refusal Locked(string who) =>
        Refusal.Retry(RefusalReason.RateLimited, $"Too many failed authentications from {who}; wait before trying again.", _options.FailedAuthForgiveEvery);

    /// <summary>A place among a party's open streams, given back once when disposed.</summary>
    private sealed class StreamPlace(AccessLimits limits, string party) : IDisposable
    {
        private int _closed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _closed, 1) == 0)
            {
                limits.CloseStream(party);
            }
        }
    }
}
