using Deconflict.Core.Tactical;

namespace Deconflict.Core.Feeds;

/// <summary>How <see cref="SbsMerger"/> pairs positions with velocities and when it forgets an aircraft.</summary>
public sealed record SbsMergerOptions
{
    /// <summary>
    /// A position and a velocity make a report only when their times are at most this far apart
    /// (either way: lines may arrive out of order). ADS-B sends each about twice a second.
    /// </summary>
    public TimeSpan MaxVelocityAge { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// An aircraft not heard from (MSG 1, 3 or 4) for this long, in feed time, is forgotten, so
    /// memory stays bounded by the aircraft heard within this window.
    /// </summary>
    public TimeSpan ForgetAfter { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>What a merger did with the messages it was given.</summary>
public sealed record SbsMergeCounts(
    long Positions,
    long Velocities,
    long Callsigns,
    long Reports,
    long OutOfOrder,
    long Incomplete,
    long Ignored,
    long Forgotten,
    int Aircraft);

/// <summary>
/// Merges the SBS-1 messages of each aircraft (by 24-bit address) into track reports.
/// MSG 1 gives the callsign; MSG 3 the airborne position and altitude; MSG 4 ground speed,
/// track and vertical rate. Everything else (MSG 2 surface positions, 5-8 surveillance replies,
/// SEL, ID, AIR, STA, CLK) is counted as ignored.
/// </summary>
/// <remarks>
/// <para>When reports are made. A report is made for each new position, at the position's time,
/// as soon as a velocity is known whose time is within <see cref="SbsMergerOptions.MaxVelocityAge"/>
/// of it: on the MSG 3 itself when a recent velocity is already known, or else on the first such
/// MSG 4 that follows (the position was held, not dropped). A position is reported at most once:
/// a later velocity does not repeat an already reported position, because that would send the same
/// fix twice with a different velocity and no new information about where the aircraft is.</para>
/// <para>Order. A position or velocity not newer than the last one of its kind for that aircraft
/// is counted out of order and dropped (a receiver's lines are in order; a merged or replayed
/// feed may not be).</para>
/// <para>Units. Altitude is the MSG 3 altitude in feet, used as given and converted to metres
/// (1 ft = 0.3048 m). In practice it is barometric (pressure altitude on the 1013.25 hPa standard,
/// what transponders report) and not height above the WGS-84 ellipsoid that
/// <see cref="TrackReport"/> means: the two can differ by hundreds of metres with the weather and
/// the geoid. Aircraft on the same feed share the error; against another party's GNSS heights it
/// is an error in vertical separation. Ground speed in knots (1 kt = 1852/3600 m/s), vertical
/// rate in feet per minute (1 ft/min = 0.00508 m/s; 0 when the MSG 4 has none).</para>
/// <para>Memory. Aircraft are forgotten after <see cref="SbsMergerOptions.ForgetAfter"/> of feed
/// time (the newest message time seen), checked every half of that period: O(aircraft) each time,
/// O(1) amortised per message. Only MSG 1, 3 and 4 create an aircraft.</para>
/// Not thread-safe: one merger per feed.
/// </remarks>
public sealed class SbsMerger(SbsMergerOptions? options = null)
{
    /// <summary>Exact: the international foot.</summary>
    public const double MetresPerFoot = 0.3048;

    /// <summary>Exact: one nautical mile (1852 m) per hour.</summary>
    public const double MetresPerSecondPerKnot = 1852.0 / 3600.0;

    /// <summary>Exact: 0.3048 m / 60 s.</summary>
    public const double MetresPerSecondPerFootPerMinute = 0.00508;

    private readonly SbsMergerOptions _options = options ?? new SbsMergerOptions();
    private readonly Dictionary<uint, Aircraft> _aircraft = [];
    private long _feedClockTicks = long.MinValue;
    private long _nextPruneTicks = long.MinValue;
    private long _positions, _velocities, _callsigns, _reports, _outOfOrder, _incomplete, _ignored, _forgotten;

    public SbsMergerOptions Options => _options;

    public int AircraftCount => _aircraft.Count;

    public SbsMergeCounts Counts => new(_positions, _velocities, _callsigns, _reports, _outOfOrder, _incomplete, _ignored, _forgotten, _aircraft.Count);

    /// <summary>Takes one message; returns the report it completes, if any.</summary>
    public TrackReport? Add(in SbsMessage message)
    {
        if (message.Kind != SbsKind.Msg || message.TransmissionType is not (1 or 3 or 4))
        {
            _ignored++;
            return null;
        }

        var ticks = message.Time.UtcTicks;
        if (ticks > _feedClockTicks)
        {
            _feedClockTicks = ticks;
            if (ticks >= _nextPruneTicks)
            {
                Prune();
            }
        }

        return message.TransmissionType switch
        {
            1 => Callsign(message),
            3 => Position(message),
            _ => Velocity(message),
        };
    }

    private TrackReport? Callsign(in SbsMessage m)
    {
        if (m.Callsign is null)
        {
            _incomplete++;
            return null;
        }

        var a = Get(m.Icao, m.Time.UtcTicks);
        a.Callsign = m.Callsign;
        _callsigns++;
        return null;
    }

    private TrackReport? Position(in SbsMessage m)
    {
        if (m.Latitude is not { } lat || m.Longitude is not { } lng || m.AltitudeFt is not { } altitudeFt)
        {
            _incomplete++;
            return null;
        }

        var ticks = m.Time.UtcTicks;
        var a = Get(m.Icao, ticks);
        if (a.HasPosition && ticks <= a.PositionTicks)
        {
            _outOfOrder++;
            return null;
        }

        _positions++;
        a.HasPosition = true;
        a.PositionReported = false;
        a.PositionTicks = ticks;
        a.Lat = lat;
        a.Lng = lng;
        a.AltitudeM = altitudeFt * MetresPerFoot;
        return TryReport(a);
    }

    private TrackReport? Velocity(in SbsMessage m)
    {
        if (m.GroundSpeedKt is not { } speedKt || m.TrackDeg is not { } trackDeg)
        {
            _incomplete++;
            return null;
        }

        var ticks = m.Time.UtcTicks;
        var a = Get(m.Icao, ticks);
        if (a.HasVelocity && ticks <= a.VelocityTicks)
        {
            _outOfOrder++;
            return null;
        }

        _velocities++;
        a.HasVelocity = true;
        a.VelocityTicks = ticks;
        a.Velocity = TrackReport.VelocityFrom(speedKt * MetresPerSecondPerKnot, trackDeg, (m.VerticalRateFtPerMin ?? 0) * MetresPerSecondPerFootPerMinute);
        return TryReport(a);
    }

    private TrackReport? TryReport(Aircraft a)
    {
        if (!a.HasPosition || a.PositionReported || !a.HasVelocity
            || Math.Abs(a.PositionTicks - a.VelocityTicks) > _options.MaxVelocityAge.Ticks)
        {
            return null;
        }

        a.PositionReported = true;
        _reports++;
        return new TrackReport(a.Id, new DateTimeOffset(a.PositionTicks, TimeSpan.Zero), a.Lat, a.Lng, a.AltitudeM, a.Velocity, a.Callsign);
    }

    private Aircraft Get(uint icao, long ticks)
    {
        if (!_aircraft.TryGetValue(icao, out var a))
        {
            a = new Aircraft(SbsMessage.IdOf(icao));
            _aircraft.Add(icao, a);
        }

        a.LastHeardTicks = Math.Max(a.LastHeardTicks, ticks);
        return a;
    }

    private void Prune()
    {
        var forget = _options.ForgetAfter.Ticks;
        var cutoff = _feedClockTicks - forget;
        foreach (var (icao, a) in _aircraft)
        {
            if (a.LastHeardTicks < cutoff)
            {
                _aircraft.Remove(icao);
                _forgotten++;
            }
        }

        _nextPruneTicks = _feedClockTicks + Math.Max(forget / 2, TimeSpan.TicksPerSecond);
    }

    private sealed class Aircraft(string id)
    {
        public string Id { get; } = id;

        public string? Callsign { get; set; }

        public long LastHeardTicks { get; set; } = long.MinValue;

        public bool HasPosition { get; set; }

        public bool PositionReported { get; set; }

        public long PositionTicks { get; set; }

        public double Lat { get; set; }

        public double Lng { get; set; }

        public double AltitudeM { get; set; }

        public bool HasVelocity { get; set; }

        public long VelocityTicks { get; set; }

        public Enu Velocity { get; set; }
    }
}
