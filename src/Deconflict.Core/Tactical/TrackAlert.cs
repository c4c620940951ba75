using System.Collections.Immutable;

namespace Deconflict.Core.Tactical;

/// <summary>How close a predicted loss of separation is, least to most urgent.</summary>
public enum AlertLevel
{
    /// <summary>Entry into loss of separation within the wider advisory horizon, beyond the look-ahead.</summary>
    Advisory = 1,

    /// <summary>Entry within the look-ahead T.</summary>
    Caution = 2,

    /// <summary>Entry within the warning time (60 s by default).</summary>
    Warning = 3,

    /// <summary>Inside the minima now.</summary>
    Loss = 4,
}

public enum AlertState
{
    Active,
    Cleared,
}

/// <summary>
/// One aircraft of an alert as the service holds it: its party, the party's own track id and
/// callsign, and its last reported position (WGS-84 degrees, metres above the ellipsoid), velocity
/// (east/north/up, m/s) and the time of that report. Only its own party ever sees the id and callsign.
/// <paramref name="Lost"/>: its track went stale while the alert was active (no report for the
/// staleness limit), so this is where it was last seen.
/// </summary>
public sealed record AlertAircraft(string Party, string TrackId, string? Callsign, DateTimeOffset Time, double Lat, double Lng, double AltitudeM, Enu Velocity, bool Lost = false)
{
    public TrackKey Key => new(Party, TrackId);

    public static AlertAircraft Of(TrackState s, string? callsign) => new(s.Party, s.Id, callsign, s.Time, s.Lat, s.Lng, s.AltitudeM, s.Velocity);

    /// <summary>The report this aircraft was taken from, for predicting from it again.</summary>
    public TrackState ToState() => new(Party, TrackId, Time, Lat, Lng, AltitudeM, Velocity);
}

/// <summary>Closest approach: when (UTC) and the horizontal and vertical distances then, metres.</summary>
public readonly record struct ClosestApproach(DateTimeOffset Time, double HorizontalM, double VerticalM);

/// <summary>
/// A predicted loss of separation between aircraft of two parties. Its prediction (level, time to
/// loss, closest approach, the aircraft) is as of <see cref="PredictedAt"/>, the detection cycle of
/// its last recorded change: it is stored and recorded on raise, level change, clear and
/// acknowledgement, not at every recomputation.
/// </summary>
public sealed record TrackAlert(
    string Id,
    long Version,
    AlertState State,
    AlertLevel Level,
    AlertAircraft A,
    AlertAircraft B,
    double TimeToLossS,
    ClosestApproach Cpa,
    DateTimeOffset PredictedAt,
    ImmutableSortedDictionary<string, DateTimeOffset> AcknowledgedBy,
    DateTimeOffset RaisedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? ClearedAt)
{
    /// <summary>Why it cleared; null while active (and for an alert cleared before reasons were recorded).</summary>
    public ClearReason? ClearedReason { get; init; }

    /// <summary>
    /// When the service declared a track of the active alert lost (stale: no report for the
    /// staleness limit; <see cref="AlertAircraft.Lost"/> says which); null while both are seen.
    /// </summary>
    public DateTimeOffset? TrackLostAt { get; init; }

    /// <summary>
    /// The record index of the first of the entries that made this version, one per side in
    /// <see cref="Parties"/> order (docs/record.md, "Served state"); null for a version not yet written.
    /// </summary>
    public long? RecordIndex { get; init; }

    public ImmutableArray<string> Parties => A.Party == B.Party ? [A.Party] : [A.Party, B.Party];

    public bool Concerns(string party) => A.Party == party || B.Party == party;
}

/// <summary>The alert thresholds agreed by the parties, in seconds, and the hysteresis in detection cycles.</summary>
public sealed record AlertPolicy(double WarningS = 60, double LookaheadS = 120, double AdvisoryS = 180, int ClearAfterCycles = 3)
{
    public void Validate()
    {
        if (!(WarningS > 0 && WarningS <= LookaheadS && LookaheadS <= AdvisoryS) || ClearAfterCycles < 1)
        {
            throw new ArgumentException("Alert thresholds must satisfy 0 < warning <= look-ahead <= advisory, and clearing needs at least one cycle.");
        }
    }

    /// <summary>
    /// The level of a predicted conflict found with look-ahead <see cref="AdvisoryS"/>. Entry times
    /// are compared half-open, as the cylinder's own look-ahead is: an entry at exactly 60 s is a
    /// caution, not a warning. Null when the entry is beyond the advisory horizon.
    /// </summary>
    public AlertLevel? Classify(Encounter e) =>
        !e.Conflict ? null
        : e.TimeIn <= 0.0 ? AlertLevel.Loss
        : e.TimeIn < WarningS ? AlertLevel.Warning
        : e.TimeIn < LookaheadS ? AlertLevel.Caution
        : e.TimeIn < AdvisoryS ? AlertLevel.Advisory
        : null;
}

/// <summary>
/// The alert lifecycle as pure functions returning the next version: raised, level changed (with
/// the prediction of that cycle), a track lost and regained, cleared with its reason, acknowledged by
/// a side. A more urgent level clears the acknowledgements, because what a side acknowledged no
/// longer describes the danger.
/// </summary>
public static class AlertLifecycle
{
    public static readonly ImmutableSortedDictionary<string, DateTimeOffset> Nobody = ImmutableSortedDictionary.Create<string, DateTimeOffset>(StringComparer.Ordinal);

    public static TrackAlert Raise(string id, AlertLevel level, AlertAircraft a, AlertAircraft b, Encounter e, DateTimeOffset now) =>
        new(id, 1, AlertState.Active, level, a, b, e.TimeIn, Cpa(e, now), now, Nobody, now, now, null);

    public static TrackAlert ChangeLevel(TrackAlert alert, AlertLevel level, AlertAircraft a, AlertAircraft b, Encounter e, DateTimeOffset now) => alert with
    {
        Version = alert.Version + 1,
        Level = level,
        A = a,
        B = b,
        TimeToLossS = e.TimeIn,
        Cpa = Cpa(e, now),
        PredictedAt = now,
        AcknowledgedBy = level > alert.Level ? Nobody : alert.AcknowledgedBy,
        UpdatedAt = now,
    };

    /// <summary>
    /// A track of the pair went stale: the alert stays active, marked lost since <paramref name="now"/>,
    /// with the aircraft as last seen (<paramref name="a"/>, <paramref name="b"/>, the lost ones
    /// flagged) and the prediction of the last cycle that saw both (<paramref name="seenAt"/>).
    /// A callsign the feed no longer holds is kept from the alert.
    /// </summary>
    public static TrackAlert LoseTrack(TrackAlert alert, AlertAircraft a, AlertAircraft b, Encounter e, DateTimeOffset seenAt, DateTimeOffset now) => alert with
    {
        Version = alert.Version + 1,
        A = KeepCallsign(a, alert.A),
        B = KeepCallsign(b, alert.B),
        TimeToLossS = e.TimeIn,
        Cpa = Cpa(e, seenAt),
        PredictedAt = seenAt,
        TrackLostAt = now,
        UpdatedAt = now,
    };

    /// <summary>The lost track reports again and the loss is still predicted: a level change with that cycle's prediction, no longer lost.</summary>
    public static TrackAlert RegainTrack(TrackAlert alert, AlertLevel level, AlertAircraft a, AlertAircraft b, Encounter e, DateTimeOffset now) =>
        ChangeLevel(alert, level, a, b, e, now) with { TrackLostAt = null };

    public static TrackAlert Clear(TrackAlert alert, DateTimeOffset now, ClearReason reason) =>
        alert with { Version = alert.Version + 1, State = AlertState.Cleared, UpdatedAt = now, ClearedAt = now, ClearedReason = reason };

    /// <summary>The side acknowledges; null when it had already acknowledged this level (nothing changes).</summary>
    public static TrackAlert? Acknowledge(TrackAlert alert, string party, DateTimeOffset now)
    {
        if (!alert.Concerns(party))
        {
            throw new ArgumentException($"Party {party} is not a side of alert {alert.Id}.", nameof(party));
        }

        return alert.AcknowledgedBy.ContainsKey(party)
            ? null
            : alert with { Version = alert.Version + 1, AcknowledgedBy = alert.AcknowledgedBy.SetItem(party, now), UpdatedAt = now };
    }

    private static AlertAircraft KeepCallsign(AlertAircraft x, AlertAircraft held) =>
        x.Callsign is null && x.Key == held.Key ? x with { Callsign = held.Callsign } : x;

    private static ClosestApproach Cpa(Encounter e, DateTimeOffset now) =>
        new(now + TimeSpan.FromSeconds(e.CpaTime), e.CpaHorizontalM, e.CpaVerticalM);
}
