namespace Deconflict.Service;

/// <summary>
/// The single writer's queue, agreed by the parties because it decides who waits: at most
/// <see cref="MaxQueued"/> requests of parties wait for the writer at once (the bound on the memory
/// a flood of writes can hold), and a party may hold at most its fair share of them,
/// MaxQueued / (n + 1) where n is the number of parties with requests waiting, itself included. The
/// "+ 1" keeps a share free for a party that is not waiting yet, so one that arrives always finds
/// room. A request over the share is refused at once with 429 <c>rate-limited</c> and Retry-After,
/// having changed nothing. The service's own work (expiry sweep, line clocks, record heads, tactical
/// cycles, deliveries) and the admin's are never refused and not counted. The writer takes the
/// waiting requests in turn, one party after another, so a party's writes wait behind at most one
/// of each other party's, whatever their backlog.
/// </summary>
public sealed record WriterOptions
{
    /// <summary>Most requests of parties waiting for the writer at once (all parties together).</summary>
    public int MaxQueued { get; init; } = 1024;

    /// <summary>What a refused party is told to wait (Retry-After, whole seconds).</summary>
    public TimeSpan RetryAfter { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>What a request that met a storage fault (disk full, I/O error: 503 <c>storage-unavailable</c>) is told to wait.</summary>
    public TimeSpan StorageRetryAfter { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The most requests one party may have waiting while <paramref name="parties"/> parties (itself included) have some.</summary>
    public int Share(int parties) => Math.Max(1, MaxQueued / (parties + 1));
}
