namespace Deconflict.Core.Tactical;

/// <summary>
/// Why an alert cleared (the wire names are the kebab-case of these: <c>passed</c>, <c>diverging</c>,
/// <c>track-stale</c>). The first two say the danger is over by what both aircraft reported; the
/// third says the service stopped seeing one of them, which is not the same thing.
/// </summary>
public enum ClearReason
{
    /// <summary>
    /// The closest approach is behind: the time of closest approach the last prediction gave has
    /// come and the horizontal distance (the vertical one, with no horizontal relative motion) is
    /// no longer shrinking, with both aircraft reporting.
    /// </summary>
    Passed = 1,

    /// <summary>
    /// No loss of separation is predicted within the advisory horizon any more, with both aircraft
    /// reporting, before the closest approach came: one turned, climbed or slowed away.
    /// </summary>
    Diverging = 2,

    /// <summary>
    /// A track of the pair stopped reporting past the staleness limit while the loss was still
    /// predicted; the alert was held (marked lost) until that last prediction's loss of separation
    /// would have ended, and cleared then without the danger having been seen to pass.
    /// </summary>
    TrackStale = 3,
}
