using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using Deconflict.Service;

namespace Deconflict.Api;

/// <summary>
/// The rate limits and per-party quotas that do not live in the store, on System.Threading.RateLimiting:
/// failed authentication per client address and per secret prefix (token buckets that a failure
/// drains and time refills), each party's request rate (a token bucket) and its open event streams
/// (a concurrency limiter). Partitioned limiters replenish on one shared timer (every 100 ms) and
/// drop partitions idle for 10 s, so an attacker's many addresses or prefixes cost memory only
/// while they are being refused.
/// </summary>
public sealed class AccessLimits : IDisposable
{
    private readonly QuotaOptions _options;
    private readonly PartitionedRateLimiter<string> _failedByAddress;
    private readonly PartitionedRateLimiter<string> _failedByPrefix;
    private readonly PartitionedRateLimiter<string> _requests;
    private readonly PartitionedRateLimiter<string> _streams;
    private readonly TimeSpan _requestPeriod;

    public AccessLimits(DeconflictOptions options)
    {
        _options = options.Quotas;
        _failedByAddress = Failures(_options.FailedAuthPerAddress, _options.FailedAuthForgiveEvery);
        _failedByPrefix = Failures(_options.FailedAuthPerPrefix, _options.FailedAuthForgiveEvery);

        // The shared timer replenishes every 100 ms, so a faster rate is given as more tokens per
        // 100 ms; a rate under 10/s as one token per 1/rate seconds.
        var rate = _options.RequestsPerSecond;
        _requestPeriod = rate >= 10 ? TimeSpan.FromMilliseconds(100) : TimeSpan.FromSeconds(1 / rate);
        var perPeriod = Math.Max(1, (int)Math.Round(rate * _requestPeriod.TotalSeconds));
        _requests = PartitionedRateLimiter.Create<string, string>(party => RateLimitPartition.GetTokenBucketLimiter(party, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = _options.RequestBurst,
            TokensPerPeriod = perPeriod,
            ReplenishmentPeriod = _requestPeriod,
            QueueLimit = 0,
            AutoReplenishment = false,
        }));
        _streams = PartitionedRateLimiter.Create<string, string>(party => RateLimitPartition.GetConcurrencyLimiter(party, _ => new ConcurrencyLimiterOptions
        {
            PermitLimit = _options.MaxStreams,
            QueueLimit = 0,
        }));
    }

    /// <summary>
    /// Null when the address and the presented secret's prefix may still try; otherwise the 429 to
    /// answer, whatever the secret. A locked-out address or prefix waits even with a valid token:
    /// answering 200 to a right guess and 429 to a wrong one would tell a guesser which guess was
    /// right, and the limit would only rename 401 to 429.
    /// </summary>
    public ApiError? LockedOut(HttpContext http, string? secret)
    {
        if (Exhausted(_failedByAddress, AddressKey(http)))
        {
            return Locked("this client address");
        }

        return secret is not null && Exhausted(_failedByPrefix, PrefixKey(secret)) ? Locked("tokens that begin like this one") : null;
    }

    /// <summary>Counts a failed authentication against the address and the prefix; the 429 when either is now over its limit.</summary>
    public ApiError? Failed(HttpContext http, string? secret)
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
    public ApiError? Request(string party)
    {
        using var lease = _requests.AttemptAcquire(party);
        if (lease.IsAcquired)
        {
            return null;
        }

        var after = lease.TryGetMetadata(MetadataName.RetryAfter, out var retry) ? retry : _requestPeriod;
        return Problems.Retry(
            Problems.RateLimited,
            $"Party '{party}' is over its request rate ({_options.RequestsPerSecond}/s, bursts of {_options.RequestBurst}); retry later.",
            after);
    }

    /// <summary>
    /// A place among the party's open event streams, to dispose when the stream ends; or the 429
    /// <c>quota-exceeded</c> when all are taken.
    /// </summary>
    public Outcome<IDisposable> OpenStream(string party)
    {
        var lease = _streams.AttemptAcquire(party);
        if (lease.IsAcquired)
        {
            return new Outcome<IDisposable>(lease, null);
        }

        lease.Dispose();
        return Problems.Retry(
            Problems.QuotaExceeded,
            $"Party '{party}' has {_options.MaxStreams} event streams open, its quota; close one first.",
            _options.QuotaRetryAfter).With("quota", "streams").With("limit", _options.MaxStreams);
    }

    public void Dispose()
    {
        _failedByAddress.Dispose();
        _failedByPrefix.Dispose();
        _requests.Dispose();
        _streams.Dispose();
    }

    /// <summary>
    /// The client's address as the connection gives it (forwarded headers are not trusted: parties
    /// do not trust each other's proxies). An IPv6 client is taken as its /64, the least a host is
    /// given, so that it cannot step through addresses; an IPv4-mapped one as IPv4.
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
    private ApiError Locked(string who) =>
        Problems.Retry(Problems.RateLimited, $"Too many failed authentications from {who}; wait before trying again.", _options.FailedAuthForgiveEvery);
}
