namespace Deconflict.Core.Tactical;

public enum AlertChangeKind
{
    Raised,
    LevelChanged,
    Cleared,
}

/// <summary>
/// What one detection cycle decided about one alert. For a raise or a level change it carries the
/// level, the two aircraft (A before B in ordinal order of party then track id) and the encounter
/// seen from A; a clear carries only the alert id.
/// </summary>
public sealed record AlertDecision(AlertChangeKind Kind, string AlertId, AlertLevel Level, AlertAircraft? A, AlertAircraft? B, Encounter Encounter);

/// <summary>
/// Turns each cycle's predictions into alert decisions with hysteresis, so an alert does not flap
/// when a prediction hovers around a threshold: a more urgent level is raised at once (an alert
/// must reach both sides within one cycle), a less urgent one only after it has held for
/// <see cref="AlertPolicy.ClearAfterCycles"/> cycles in a row (then to the most urgent level seen in
/// those cycles), and an alert clears after that many cycles in a row without any prediction.
/// Recomputations that change nothing decide nothing: the record holds changes, not every cycle.
/// </summary>
/// <remarks>Not thread-safe: one detection loop owns it. Cost O(conflicts + active alerts) per cycle.</remarks>
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

    /// <summary>Takes back an alert that was active when the service stopped: it clears by the usual rule if the pair is not seen again.</summary>
    public void Restore(TrackAlert alert)
    {
        if (alert.State == AlertState.Active)
        {
            _active[(alert.A.Key, alert.B.Key)] = new PairState(alert.Id, alert.Level);
        }
    }

    /// <summary>
    /// One cycle: <paramref name="conflicts"/> as <see cref="TacticalDetector.Detect"/> found them in
    /// <paramref name="tracks"/> with look-ahead <see cref="AlertPolicy.AdvisoryS"/>.
    /// </summary>
    public List<AlertDecision> Step(IReadOnlyList<TrackState> tracks, IReadOnlyList<TrackConflict> conflicts, Func<string> newId, Func<TrackKey, string?> callsignOf)
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
                _active.Add(key, state);
                decisions.Add(Decide(AlertChangeKind.Raised, state, first, second, encounter, callsignOf));
                continue;
            }

            state.Misses = 0;
            if (level > state.Level)
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

        List<(TrackKey, TrackKey)>? cleared = null;
        foreach (var (key, state) in _active)
        {
            if (!seen.Contains(key) && ++state.Misses >= _policy.ClearAfterCycles)
            {
                (cleared ??= []).Add(key);
                decisions.Add(new AlertDecision(AlertChangeKind.Cleared, state.Id, state.Level, null, null, default));
            }
        }

        foreach (var key in cleared ?? [])
        {
            _active.Remove(key);
        }

        return decisions;
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
    }
}
