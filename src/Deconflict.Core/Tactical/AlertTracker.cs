namespace Deconflict.Core.Tactical;

public enum AlertChangeKind
{
    Raised,
    LevelChanged,
    Cleared,

    /// <summary>A track of the pair went stale while the loss was still predicted: the alert stays active, marked lost.</summary>
    TrackLost,

    /// <summary>The lost track reports again and the loss is predicted again: no longer lost, with that cycle's prediction.</summary>
    TrackRegained,
}

/// <summary>
/// What one detection cycle decided about one alert. For a raise, a level change, a lost or a
/// regained track it carries the level, the two aircraft (A before B in ordinal order of party then
/// track id; for a lost track, as last seen, the lost ones flagged) and the encounter seen from A,
/// predicted at <see cref="PredictedAt"/> (null: this cycle); a clear carries the alert id and its
/// <see cref="Reason"/>.
/// </summary>
public sealed record AlertDecision(AlertChangeKind Kind, string AlertId, AlertLevel Level, AlertAircraft? A, AlertAircraft? B, Encounter Encounter)
{
    public ClearReason? Reason { get; init; }

    /// <summary>When the encounter was predicted, if not in this cycle (a lost track: the last cycle that saw both aircraft).</summary>
    public DateTimeOffset? PredictedAt { get; init; }
}

/// <summary>
/// Turns each cycle's predictions into alert decisions with hysteresis, so an alert does not flap
/// when a prediction hovers around a threshold: a more urgent level is raised at once (an alert
/// must reach both sides within one cycle), a less urgent one only after it has held for
/// <see cref="AlertPolicy.ClearAfterCycles"/> cycles in a row (then to the most urgent level seen in
/// those cycles), and an alert clears after that many cycles in a row without any prediction while
/// both aircraft report, as <see cref="ClearReason.Passed"/> or <see cref="ClearReason.Diverging"/>.
/// Recomputations that change nothing decide nothing: the record holds changes, not every cycle.
/// </summary>
/// <remarks>
/// <para>
/// Losing sight of an aircraft is not the danger passing. When a track of an active alert is left
/// out of the cycle (stale) while the last cycle that saw both aircraft still predicted the loss,
/// the alert is marked lost at once (<see cref="AlertChangeKind.TrackLost"/>) and stays active until
/// the loss of separation that last prediction gave would have ended; it then clears as
/// <see cref="ClearReason.TrackStale"/>. If the track reports again and the loss is predicted again
/// it is regained. An alert whose prediction was already gone while both reported (a miss streak)
/// goes on clearing by the usual rule, its reason from the aircraft as last seen.
/// </para>
/// <para>Not thread-safe: one detection loop owns it. Cost O(conflicts + active alerts) per cycle.</para>
/// </remarks>
public sealed class AlertTracker
{
    private readonly AlertPolicy _policy;
    private readonly Dictionary<(TrackKey A, TrackKey B), PairState> _active = [];

    public AlertTracker(AlertPolicy policy)
    {
        policy.Validate();
        _policy = policy;
    }

    public int ActiveCount => _active.Count;

    /// <summary>
    /// Takes back an alert that was active when the service stopped: it continues from its stored
    /// prediction and aircraft. Its aircraft are not taken as lost before <paramref name="lostNotBefore"/>
    /// (the feeds refill the track table within the staleness limit after a restart).
    /// </summary>
    public void Restore(TrackAlert alert, DateTimeOffset lostNotBefore)
    {
        if (alert.State == AlertState.Active)
        {
            _active[(alert.A.Key, alert.B.Key)] = PairState.Restored(alert, lostNotBefore);
        }
    }

    /// <summary>
    /// One cycle at <paramref name="now"/>: <paramref name="conflicts"/> as <see cref="TacticalDetector.Detect"/>
    /// found them in <paramref name="tracks"/> (the tracks fresh at <paramref name="now"/>) with look-ahead
    /// <see cref="AlertPolicy.AdvisoryS"/>. <paramref name="freshOf"/> gives a track's state if it is
    /// fresh at <paramref name="now"/> (<see cref="TrackTable.Fresh"/>), for the aircraft of alerts
    /// no prediction names: a lookup, because a pass over every track to find them cost 19 ms a
    /// cycle at 100,000 tracks (debug build; the lookup 0.4 ms). (A report that arrived after the cycle's snapshot may show there;
    /// that moves a miss or a lost track by one cycle at most.)
    /// </summary>
    public List<AlertDecision> Step(IReadOnlyList<TrackState> tracks, IReadOnlyList<TrackConflict> conflicts, DateTimeOffset now, Func<string> newId, Func<TrackKey, string?> callsignOf, Func<TrackKey, TrackState?> freshOf)
    {
        var decisions = new List<AlertDecision>();
        var seen = new HashSet<(TrackKey, TrackKey)>();
        foreach (var c in conflicts)
        {
            if (_policy.Classify(c.Encounter) is not { } level)
            {
                continue;
            }

            var (first, second) = (tracks[c.A], tracks[c.B]);
            var encounter = c.Encounter;
            if (Order(first, second) > 0)
            {
                // The encounter is symmetric in everything it reports (times, distances).
                (first, second) = (second, first);
            }

            var key = (new TrackKey(first.Party, first.Id), new TrackKey(second.Party, second.Id));
            if (!seen.Add(key))
            {
                continue;
            }

            if (!_active.TryGetValue(key, out var state))
            {
                state = new PairState(newId(), level);
                state.See(first, second, encounter, now);
                _active.Add(key, state);
                decisions.Add(Decide(AlertChangeKind.Raised, state, first, second, encounter, callsignOf));
                continue;
            }

            var wasLost = state.Lost;
            state.See(first, second, encounter, now);
            if (wasLost)
            {
                state.Level = level;
                state.LowerStreak = 0;
                decisions.Add(Decide(AlertChangeKind.TrackRegained, state, first, second, encounter, callsignOf));
            }
            else if (level > state.Level)
            {
                state.Level = level;
                state.LowerStreak = 0;
                decisions.Add(Decide(AlertChangeKind.LevelChanged, state, first, second, encounter, callsignOf));
            }
            else if (level == state.Level)
            {
                state.LowerStreak = 0;
            }
            else
            {
                state.LowerMax = state.LowerStreak == 0 ? level : (AlertLevel)Math.Max((int)state.LowerMax, (int)level);
                if (++state.LowerStreak >= _policy.ClearAfterCycles)
                {
                    state.Level = state.LowerMax;
                    state.LowerStreak = 0;
                    decisions.Add(Decide(AlertChangeKind.LevelChanged, state, first, second, encounter, callsignOf));
                }
            }
        }

        if (_active.Count > seen.Count)
        {
            Unseen(seen, now, decisions, callsignOf, freshOf);
        }

        return decisions;
    }

    /// <summary>The active alerts whose pair no prediction of this cycle names.</summary>
    private void Unseen(HashSet<(TrackKey, TrackKey)> seen, DateTimeOffset now, List<AlertDecision> decisions, Func<TrackKey, string?> callsignOf, Func<TrackKey, TrackState?> freshOf)
    {
        List<(TrackKey, TrackKey)>? cleared = null;
        foreach (var (key, state) in _active)
        {
            if (seen.Contains(key))
            {
                continue;
            }

            var a = freshOf(key.A);
            var b = freshOf(key.B);
            state.CurrentA = a ?? state.CurrentA;
            state.CurrentB = b ?? state.CurrentB;
            ClearReason? reason = null;
            if ((a is not null && b is not null) || state.Misses > 0)
            {
                // Both report and no loss is predicted, or the prediction was already gone while
                // both reported: the usual rule, the reason from the aircraft as last seen.
                if (++state.Misses >= _policy.ClearAfterCycles)
                {
                    reason = now >= state.CpaAt && TacticalDetector.TimeToClosestApproach(state.CurrentA, state.CurrentB, now) == 0.0
                        ? ClearReason.Passed
                        : ClearReason.Diverging;
                }
            }
            else if (now < state.LostNotBefore)
            {
                // Restored after a restart: the feeds have not had the staleness limit to report again.
                continue;
            }
            else if (now >= state.LossEndsAt)
            {
                reason = ClearReason.TrackStale;
            }
            else if (!state.Lost)
            {
                state.Lost = true;
                decisions.Add(new AlertDecision(
                    AlertChangeKind.TrackLost, state.Id, state.Level,
                    AlertAircraft.Of(state.SeenA, callsignOf(new TrackKey(state.SeenA.Party, state.SeenA.Id))) with { Lost = a is null },
                    AlertAircraft.Of(state.SeenB, callsignOf(new TrackKey(state.SeenB.Party, state.SeenB.Id))) with { Lost = b is null },
                    state.Encounter)
                { PredictedAt = state.SeenAt });
            }

            if (reason is { } r)
            {
                (cleared ??= []).Add(key);
                decisions.Add(new AlertDecision(AlertChangeKind.Cleared, state.Id, state.Level, null, null, default) { Reason = r });
            }
        }

        foreach (var key in cleared ?? [])
        {
            _active.Remove(key);
        }
    }

    private static int Order(TrackState x, TrackState y)
    {
        var byParty = string.CompareOrdinal(x.Party, y.Party);
        return byParty != 0 ? byParty : string.CompareOrdinal(x.Id, y.Id);
    }

    private static AlertDecision Decide(AlertChangeKind kind, PairState state, TrackState a, TrackState b, Encounter e, Func<TrackKey, string?> callsignOf) =>
        new(kind, state.Id, state.Level, AlertAircraft.Of(a, callsignOf(new TrackKey(a.Party, a.Id))), AlertAircraft.Of(b, callsignOf(new TrackKey(b.Party, b.Id))), e);

    private sealed class PairState(string id, AlertLevel level)
    {
        public string Id { get; } = id;

        public AlertLevel Level { get; set; } = level;

        public int Misses { get; set; }

        public int LowerStreak { get; set; }

        public AlertLevel LowerMax { get; set; }

        /// <summary>The aircraft and the prediction of the last cycle that predicted the loss (or as restored).</summary>
        public TrackState SeenA { get; private set; } = null!;

        public TrackState SeenB { get; private set; } = null!;

        public Encounter Encounter { get; private set; }

        public DateTimeOffset SeenAt { get; private set; }

        /// <summary>The closest approach of that prediction: "passed" needs it to have come.</summary>
        public DateTimeOffset CpaAt { get; private set; }

        /// <summary>When that prediction's loss of separation ends (bounded by the horizon): a lost alert holds until then.</summary>
        public DateTimeOffset LossEndsAt { get; private set; }

        /// <summary>The latest report of each aircraft the tracker has seen, for the reason of a clear.</summary>
        public TrackState CurrentA { get; set; } = null!;

        public TrackState CurrentB { get; set; } = null!;

        public bool Lost { get; set; }

        public DateTimeOffset LostNotBefore { get; private set; }

        public static PairState Restored(TrackAlert alert, DateTimeOffset lostNotBefore)
        {
            // The stored alert has no loss end; its closest approach (or entry, if later) stands in.
            var cpaS = (alert.Cpa.Time - alert.PredictedAt).TotalSeconds;
            var e = new Encounter(true, alert.TimeToLossS, Math.Max(alert.TimeToLossS, cpaS), cpaS, alert.Cpa.HorizontalM, alert.Cpa.VerticalM);
            var state = new PairState(alert.Id, alert.Level);
            state.See(alert.A.ToState(), alert.B.ToState(), e, alert.PredictedAt);
            state.Lost = alert.TrackLostAt is not null;
            state.LostNotBefore = lostNotBefore;
            return state;
        }

        public void See(TrackState a, TrackState b, Encounter e, DateTimeOffset now)
        {
            (SeenA, SeenB, CurrentA, CurrentB, Encounter, SeenAt) = (a, b, a, b, e, now);
            CpaAt = After(now, e.CpaTime);
            LossEndsAt = After(now, e.TimeOut);
            Misses = 0;
            Lost = false;
            LostNotBefore = default;
        }

        /// <summary>now + seconds, saturating: an unbounded look-ahead gives an unbounded time, not an overflow.</summary>
        private static DateTimeOffset After(DateTimeOffset now, double seconds) =>
            seconds < (DateTimeOffset.MaxValue - now).TotalSeconds ? now + TimeSpan.FromSeconds(seconds) : DateTimeOffset.MaxValue;
    }
}
