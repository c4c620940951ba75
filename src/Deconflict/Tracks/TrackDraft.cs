using System.Globalization;
using Deconflict.Core.Model;
using Deconflict.Core.Tactical;
using Deconflict.Service;

namespace Deconflict.Tracks;

/// <summary>
/// A party's track reports as the service takes them, whichever way they came (a JSON batch,
/// Cursor on Target, another node over NATS): each checked whole before any is applied, with the
/// refusal naming the report and the field.
/// </summary>
public static class TrackDraft
{
    public const int MaxIdLength = 64;
    public const int MaxCallsignLength = 16;

    /// <summary>Faster than any aircraft the service is meant for (Mach 3 at sea level); more is a unit error.</summary>
    public const double MaxSpeedMps = 1000;

    public const double MinAltitudeM = -1000;
    public const double MaxAltitudeM = 100_000;

    /// <summary>
    /// Checks a whole batch before any of it is applied (a refused batch changes nothing) and
    /// converts it to reports: the time must be RFC 3339 with an offset and not ahead of the
    /// service's clock by more than the agreed tolerance; velocity is given either as east/north/up
    /// or as ground speed, track and vertical rate, never both, never partly.
    /// </summary>
    public static Outcome<List<TrackReport>> Parse(TrackBatchBody body, DateTimeOffset now, TacticalOptions options)
    {
        if (body.Tracks is null)
        {
            return Refusal.Invalid("The body needs \"tracks\": an array of reports.", "/tracks");
        }

        if (body.Tracks.Count > options.MaxReportsPerBatch)
        {
            return Refusal.Invalid($"At most {options.MaxReportsPerBatch} reports in one batch ({body.Tracks.Count} given).", "/tracks");
        }

        var reports = new List<TrackReport>(body.Tracks.Count);
        for (var i = 0; i < body.Tracks.Count; i++)
        {
            // The pointer is built only for a refusal: formatting it for every report cost more than the checks.
            var pointer = new ReportPointer("/tracks", i);
            if (body.Tracks[i] is not { } t)
            {
                return Refusal.Invalid("A report must be an object.", pointer);
            }

            if (t.Id is null)
            {
                return Refusal.Invalid($"A report needs an id of 1 to {MaxIdLength} printable characters.", pointer + "/id");
            }

            var parsedTime = Rfc3339.Parse(t.Time, out var at);
            if (parsedTime != Rfc3339Result.Ok)
            {
                return Refusal.Invalid(parsedTime == Rfc3339Result.Malformed
                    ? "time must be an RFC 3339 time with an explicit offset, such as 2026-11-26T09:00:00.5Z."
                    : $"time is not a valid date and time (\"{t.Time}\").", pointer + "/time");
            }

            if (t.Lat is not { } lat || t.Lng is not { } lng)
            {
                return Refusal.Invalid("A report needs lat and lng (WGS-84 degrees).", pointer + (t.Lat is null ? "/lat" : "/lng"));
            }

            if (t.AltitudeM is not { } altitude)
            {
                return Refusal.Invalid($"A report needs altitude_m (metres above the WGS-84 ellipsoid), within [{MinAltitudeM}, {MaxAltitudeM}].", pointer + "/altitude_m");
            }

            var velocity = Velocity(t, pointer);
            if (velocity.Error is { } error)
            {
                return error;
            }

            var report = new TrackReport(t.Id, at, lat, lng, altitude, velocity.Value, t.Callsign);
            if (Check(report, now, options, pointer) is { } wrong)
            {
                return wrong;
            }

            reports.Add(report);
        }

        return reports;
    }

    /// <summary>
    /// The checks every report passes whatever its format: an id and callsign of printable
    /// characters, a time not ahead of the service's clock by more than the agreed tolerance,
    /// coordinates on the earth, an altitude and a speed an aircraft can have (beyond them is a
    /// unit error, not an aircraft).
    /// </summary>
    public static Refusal? Check(TrackReport r, DateTimeOffset now, TacticalOptions options, ReportPointer pointer)
    {
        if (string.IsNullOrWhiteSpace(r.Id) || r.Id.Length > MaxIdLength)
        {
            return Refusal.Invalid($"A report needs an id of 1 to {MaxIdLength} printable characters.", pointer + "/id");
        }

        if (r.Callsign is { } cs && cs.Length is 0 or > MaxCallsignLength)
        {
            return Refusal.Invalid($"A callsign has 1 to {MaxCallsignLength} printable characters.", pointer + "/callsign");
        }

        // JSON bodies were checked whole (JsonBodyRules); Cursor on Target text arrives here unchecked.
        if (ControlText.IndexOfUnsafe(r.Id) >= 0 || (r.Callsign is { } named && ControlText.IndexOfUnsafe(named) >= 0))
        {
            var field = ControlText.IndexOfUnsafe(r.Id) >= 0 ? "/id" : "/callsign";
            return new Refusal(RefusalReason.ControlCharacter, $"A report's {field[1..]} may not hold a control character or a bidirectional override.").With("pointer", pointer + field);
        }

        if (r.Time > now + options.MaxReportAhead)
        {
            return Refusal.Invalid(string.Create(CultureInfo.InvariantCulture,
                $"time {Rfc3339.FormatUtc(r.Time)} is {(r.Time - now).TotalSeconds:0.###} s ahead of the service's clock ({Rfc3339.FormatUtc(now)}); at most {options.MaxReportAhead.TotalSeconds:0.###} s is tolerated. Check the feed's clock."), pointer + "/time");
        }

        if (!double.IsFinite(r.Lat) || r.Lat is < -90 or > 90)
        {
            return Refusal.Invalid("lat must be a number of degrees within [-90, 90].", pointer + "/lat");
        }

        if (!double.IsFinite(r.Lng) || r.Lng is < -180 or > 180)
        {
            return Refusal.Invalid("lng must be a number of degrees within [-180, 180].", pointer + "/lng");
        }

        if (!double.IsFinite(r.AltitudeM) || r.AltitudeM is < MinAltitudeM or > MaxAltitudeM)
        {
            return Refusal.Invalid($"altitude_m (metres above the WGS-84 ellipsoid) must be within [{MinAltitudeM}, {MaxAltitudeM}].", pointer + "/altitude_m");
        }

        var v = r.Velocity;
        if (!double.IsFinite(v.East) || !double.IsFinite(v.North) || !double.IsFinite(v.Up) || Math.Sqrt((v.East * v.East) + (v.North * v.North) + (v.Up * v.Up)) > MaxSpeedMps)
        {
            return Refusal.Invalid($"velocity must be finite and at most {MaxSpeedMps} m/s.", pointer + "/velocity");
        }

        return null;
    }

    private static Outcome<Enu> Velocity(TrackBody t, ReportPointer pointer)
    {
        var polar = t.GroundSpeedMps is not null || t.TrackDeg is not null || t.VerticalRateMps is not null;
        if (t.Velocity is not null && polar)
        {
            return Refusal.Invalid("Give the velocity either as \"velocity\" (east/north/up) or as ground_speed_mps, track_deg and vertical_rate_mps, not both.", pointer);
        }

        if (t.Velocity is { } v)
        {
            if (v.EastMps is not { } east || v.NorthMps is not { } north || v.UpMps is not { } up)
            {
                return Refusal.Invalid("velocity needs east_mps, north_mps and up_mps.", pointer + "/velocity");
            }

            return new Enu(east, north, up);
        }

        if (!polar)
        {
            return Refusal.Invalid("A report needs its velocity: \"velocity\" (east/north/up, m/s) or ground_speed_mps, track_deg and vertical_rate_mps.", pointer);
        }

        if (t.GroundSpeedMps is not { } speed || !double.IsFinite(speed) || speed is < 0 or > MaxSpeedMps)
        {
            return Refusal.Invalid($"ground_speed_mps must be within [0, {MaxSpeedMps}].", pointer + "/ground_speed_mps");
        }

        if (t.TrackDeg is not { } track || !double.IsFinite(track) || track is < 0 or >= 360)
        {
            return Refusal.Invalid("track_deg (true, clockwise from north) must be within [0, 360).", pointer + "/track_deg");
        }

        if (t.VerticalRateMps is not { } rate || !double.IsFinite(rate) || Math.Abs(rate) > MaxSpeedMps)
        {
            return Refusal.Invalid($"vertical_rate_mps (up positive) must be within [-{MaxSpeedMps}, {MaxSpeedMps}].", pointer + "/vertical_rate_mps");
        }

        return TrackReport.VelocityFrom(speed, track, rate);
    }
}
