namespace Deconflict.Api;

/// <summary>
/// The requests in flight (event streams included) by the party token that authenticated them, so
/// that revoking a token ends them at once. A revocation first marks the token (no request with it
/// enters any more), aborts the connections of those in flight and waits until their handlers have
/// returned, and only then is the revocation written: whatever a request of the token had queued on
/// the single writer (a write, a stream's delivery receipts) is ordered before the revocation, and
/// nothing is written or sent for the token after it.
/// </summary>
public sealed class LiveRequests(ILogger<LiveRequests> log)
{
    /// <summary>How long a revocation waits for aborted handlers to return (one waiting on a busy writer takes that long).</summary>
    public static readonly TimeSpan DrainWait = TimeSpan.FromSeconds(10);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, HashSet<Entry>> _byToken = new(StringComparer.Ordinal);

    // Tokens being or having been revoked in this process; a handful of ids, kept for its life.
    private readonly HashSet<string> _ended = new(StringComparer.Ordinal);

    /// <summary>Registers a request of the token; null when the token is being (or was) revoked.</summary>
    public Entry? Enter(string tokenId, HttpContext http)
    {
        lock (_gate)
        {
            if (_ended.Contains(tokenId))
            {
                return null;
            }

            if (!_byToken.TryGetValue(tokenId, out var entries))
            {
                entries = [];
                _byToken[tokenId] = entries;
            }

            var entry = new Entry(this, tokenId, http);
            entries.Add(entry);
            return entry;
        }
    }

    /// <summary>How many requests of the token are in flight now.</summary>
    public int Count(string tokenId)
    {
        lock (_gate)
        {
            return _byToken.TryGetValue(tokenId, out var entries) ? entries.Count : 0;
        }
    }

    /// <summary>
    /// Stops the tokens' new requests, aborts those in flight and waits (at most <see cref="DrainWait"/>)
    /// until their handlers have returned.
    /// </summary>
    public async Task EndAsync(IReadOnlyCollection<string> tokenIds)
    {
        var running = new List<Entry>();
        lock (_gate)
        {
            foreach (var id in tokenIds)
            {
                _ended.Add(id);
                if (_byToken.Remove(id, out var entries))
                {
                    running.AddRange(entries);
                }
            }
        }

        foreach (var entry in running)
        {
            entry.Http.Abort();
        }

        try
        {
            await Task.WhenAll(running.Select(e => e.Done)).WaitAsync(DrainWait);
        }
        catch (TimeoutException)
        {
            log.LogWarning("A revoked token's requests did not end within {Seconds} s of being aborted", DrainWait.TotalSeconds);
        }
    }

    /// <summary>The revocation was not written: the tokens work again.</summary>
    public void Restore(IReadOnlyCollection<string> tokenIds)
    {
        lock (_gate)
        {
            foreach (var id in tokenIds)
            {
                _ended.Remove(id);
            }
        }
    }

    private void Leave(Entry entry)
    {
        lock (_gate)
        {
            if (_byToken.TryGetValue(entry.TokenId, out var entries) && entries.Remove(entry) && entries.Count == 0)
            {
                _byToken.Remove(entry.TokenId);
            }
        }
    }

    /// <summary>One request in flight; disposing it (when its handler returns) takes it off.</summary>
    public sealed class Entry(LiveRequests owner, string tokenId, HttpContext http) : IDisposable
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string TokenId { get; } = tokenId;

        public HttpContext Http { get; } = http;

        public Task Done => _done.Task;

        public void Dispose()
        {
            owner.Leave(this);
            _done.TrySetResult();
        }
    }
}
