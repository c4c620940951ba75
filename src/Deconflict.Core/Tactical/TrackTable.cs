namespace Deconflict.Core.Tactical;

/// <summary>A track's identity: ids are party-scoped, so two parties may both have a "LEAD1".</summary>
public readonly record struct TrackKey(string Party, string Id);

/// <summary>What became of one report.</summary>
public enum TrackUpdate
{
    /// <summary>Newer than what the table held (or the first): it is now the track's state.</summary>
    Accepted,

    /// <summary>Older than the state held: a late, out-of-order report.</summary>
    OutOfOrder,

    /// <summary>At exactly the time of the state held: a repeat.</summary>
    Duplicate,
}

/// <summary>
/// The latest state of every live aircraft, in memory (tracks are perishable: after a restart the
/// feeds refill it within seconds). A report replaces a track's state only when it is newer; late
/// and repeated reports are ignored, so feeds that deliver out of order cannot move an aircraft
/// back in time. A track is stale (left out of detection) once its last report is older than
/// <see cref="StaleAfter"/>, and forgotten once older than <see cref="DropAfter"/>.
/// </summary>
/// <remarks>
/// Thread-safe: feeds report from many request threads while the detector takes snapshots. One
/// lock over a dictionary: a batch takes it once, and at 100,000 reports a second it is held for
/// a few milliseconds a second, well below what contention would need to matter.
/// </remarks>
public sealed class TrackTable(TimeSpan staleAfter, TimeSpan dropAfter)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<TrackKey, Entry> _tracks = [];

    public TimeSpan StaleAfter { get; } = staleAfter > TimeSpan.Zero ? staleAfter : throw new ArgumentOutOfRangeException(nameof(staleAfter));

    public TimeSpan DropAfter { get; } = dropAfter >= staleAfter ? dropAfter : throw new ArgumentOutOfRangeException(nameof(dropAfter), "Tracks must be dropped no sooner than they go stale.");

    /// <summary>Tracks held, stale ones included.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _tracks.Count;
            }
        }
    }

    /// <summary>Applies a party's batch in order; returns how many reports were accepted.</summary>
    public int Report(string party, IReadOnlyList<TrackReport> reports)
    {
        var accepted = 0;
        lock (_gate)
        {
            foreach (var r in reports)
            {
                if (Apply(party, r) == TrackUpdate.Accepted)
                {
                    accepted++;
                }
            }
        }

        return accepted;
    }

    public TrackUpdate Report(string party, TrackReport report)
    {
        lock (_gate)
        {
            return Apply(party, report);
        }
    }

    /// <summary>
    /// The tracks fresh at <paramref name="now"/> (last report less than <see cref="StaleAfter"/> old),
    /// for one detection cycle; forgets those older than <see cref="DropAfter"/> on the way.
    /// </summary>
    public List<TrackState> Live(DateTimeOffset now)
    {
        var staleBefore = now - StaleAfter;
        var dropBefore = now - DropAfter;
        List<TrackKey>? dropped = null;
        lock (_gate)
        {
            var live = new List<TrackState>(_tracks.Count);
            foreach (var (key, entry) in _tracks)
            {
                var time = entry.State.Time;
                if (time > staleBefore)
                {
                    live.Add(entry.State);
                }
                else if (time <= dropBefore)
                {
                    (dropped ??= []).Add(key);
                }
            }

            if (dropped is not null)
            {
                foreach (var key in dropped)
                {
                    _tracks.Remove(key);
                }
            }

            return live;
        }
    }

    /// <summary>
    /// The track's latest state if it is fresh at <paramref name="now"/> (the rule of <see cref="Live"/>),
    /// else null. O(1): for the few tracks of alerts a cycle did not predict, without a pass over all.
    /// </summary>
    public TrackState? Fresh(TrackKey key, DateTimeOffset now)
    {
        lock (_gate)
        {
            return _tracks.TryGetValue(key, out var entry) && entry.State.Time > now - StaleAfter ? entry.State : null;
        }
    }

    /// <summary>
    /// Every track held and not yet old enough to forget at <paramref name="now"/> (stale ones
    /// included), with its callsign: one party's (<paramref name="party"/>) or all (null). For
    /// showing the tracks to their owner; detection uses <see cref="Live"/>.
    /// </summary>
    public List<(TrackState State, string? Callsign)> Held(DateTimeOffset now, string? party)
    {
        var dropBefore = now - DropAfter;
        lock (_gate)
        {
            var held = new List<(TrackState, string?)>();
            foreach (var (key, entry) in _tracks)
            {
                if ((party is null || key.Party == party) && entry.State.Time > dropBefore)
                {
                    held.Add((entry.State, entry.Callsign));
                }
            }

            return held;
        }
    }

    /// <summary>The callsign the party's feed gave for its track, if any (private to that party).</summary>
    public string? CallsignOf(TrackKey key)
    {
        lock (_gate)
        {
            return _tracks.TryGetValue(key, out var entry) ? entry.Callsign : null;
        }
    }

    private TrackUpdate Apply(string party, TrackReport r)
    {
        var key = new TrackKey(party, r.Id);
        if (_tracks.TryGetValue(key, out var held))
        {
            if (r.Time < held.State.Time)
            {
                return TrackUpdate.OutOfOrder;
            }

            if (r.Time == held.State.Time)
            {
                return TrackUpdate.Duplicate;
            }
        }

        _tracks[key] = new Entry(new TrackState(party, r.Id, r.Time, r.Lat, r.Lng, r.AltitudeM, r.Velocity), r.Callsign ?? held.Callsign);
        return TrackUpdate.Accepted;
    }

    private readonly record struct Entry(TrackState State, string? Callsign);
}
