using System.Globalization;
using Deconflict.Alerts;
using Deconflict.Api;
using Deconflict.Core.Model;
using Deconflict.Core.Tactical;
using Deconflict.Service;

namespace Deconflict.Tracks;

public sealed record TrackVelocityBody(double? EastMps, double? NorthMps, double? UpMps);

/// <summary>One report as POST /v1/tracks takes it: every value carries its unit in its name.</summary>
public sealed record TrackBody
{
    public string? Id { get; init; }

    public string? Time { get; init; }

    public double? Lat { get; init; }

    public double? Lng { get; init; }

    public double? AltitudeM { get; init; }

    public TrackVelocityBody? Velocity { get; init; }

    public double? GroundSpeedMps { get; init; }

    public double? TrackDeg { get; init; }

    public double? VerticalRateMps { get; init; }

    public string? Callsign { get; init; }
}

public sealed record TrackBatchBody
{
    public IReadOnlyList<TrackBody>? Tracks { get; init; }
}

/// <summary>
/// Live tracks (API.md "Tracks and alerts"): a party posts batches of its own aircraft's reports;
/// they go to the in-memory track table and wake the detector. Tracks are never stored or
/// recorded (only the alerts they cause are), and never shown to another party.
/// </summary>
public static class TrackEndpoints
{
    public const int MaxIdLength = 64;
    public const int MaxCallsignLength = 16;

    /// <summary>Faster than any aircraft the service is meant for (Mach 3 at sea level); more is a unit error.</summary>
    public const double MaxSpeedMps = 1000;

    public const double MinAltitudeM = -1000;
    public const double MaxAltitudeM = 100_000;

    public static RouteGroupBuilder MapTracks(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/tracks").WithTags("Tracks").AddEndpointFilter<Authentication.Filter>();
        group.MapPost("/", async (HttpContext http, TacticalService tactical, DeconflictOptions options, TimeProvider time) =>
        {
            var caller = Authentication.Of(http);
            if (!caller.MayWrite)
            {
                return Problems.ToResult(Problems.ForbiddenError("Only a party reports tracks: its own aircraft."));
            }

            var body = await http.ReadJson<TrackBatchBody>();
            if (body.Error is { } e)
            {
                return Problems.ToResult(e);
            }

            var reports = Parse(body.Value!, time.GetUtcNow(), options.Tactical);
            if (reports.Error is { } invalid)
            {
                return Problems.ToResult(invalid);
            }

            var accepted = tactical.Report(caller.PartyId!, reports.Value!);
            return Results.Json(new { accepted, ignored = reports.Value!.Count - accepted }, Json.Options, statusCode: StatusCodes.Status202Accepted);
        }).WithSummary("Report live positions of your own aircraft; late and repeated reports are ignored")
          .Accepts<TrackBatchBody>("application/json");
        return group;
    }

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
            return Problems.Invalid("The body needs \"tracks\": an array of reports.", "/tracks");
        }

        if (body.Tracks.Count > options.MaxReportsPerBatch)
        {
            return Problems.Invalid($"At most {options.MaxReportsPerBatch} reports in one batch ({body.Tracks.Count} given).", "/tracks");
        }

        var latest = now + options.MaxReportAhead;
        var reports = new List<TrackReport>(body.Tracks.Count);
        for (var i = 0; i < body.Tracks.Count; i++)
        {
            var pointer = string.Create(CultureInfo.InvariantCulture, $"/tracks/{i}");
            if (body.Tracks[i] is not { } t)
            {
                return Problems.Invalid("A report must be an object.", pointer);
            }

            if (string.IsNullOrWhiteSpace(t.Id) || t.Id.Length > MaxIdLength || t.Id.Any(char.IsControl))
            {
                return Problems.Invalid($"A report needs an id of 1 to {MaxIdLength} printable characters.", pointer + "/id");
            }

            if (t.Callsign is { } cs && (cs.Length is 0 or > MaxCallsignLength || cs.Any(char.IsControl)))
            {
                return Problems.Invalid($"A callsign has 1 to {MaxCallsignLength} printable characters.", pointer + "/callsign");
            }

            var parsedTime = Rfc3339.Parse(t.Time, out var at);
            if (parsedTime != Rfc3339Result.Ok)
            {
                return Problems.Invalid(parsedTime == Rfc3339Result.Malformed
                    ? "time must be an RFC 3339 time with an explicit offset, such as 2026-11-26T09:00:00.5Z."
                    : $"time is not a valid date and time (\"{t.Time}\").", pointer + "/time");
            }

            if (at > latest)
            {
                return Problems.Invalid(string.Create(CultureInfo.InvariantCulture,
                    $"time {UtcTimeConverter.Format(at)} is {(at - now).TotalSeconds:0.###} s ahead of the service's clock ({UtcTimeConverter.Format(now)}); at most {options.MaxReportAhead.TotalSeconds:0.###} s is tolerated. Check the feed's clock."), pointer + "/time");
            }

            if (t.Lat is not { } lat || !double.IsFinite(lat) || lat is < -90 or > 90)
            {
                return Problems.Invalid("lat must be a number of degrees within [-90, 90].", pointer + "/lat");
            }

            if (t.Lng is not { } lng || !double.IsFinite(lng) || lng is < -180 or > 180)
            {
                return Problems.Invalid("lng must be a number of degrees within [-180, 180].", pointer + "/lng");
            }

            if (t.AltitudeM is not { } altitude || !double.IsFinite(altitude) || altitude is < MinAltitudeM or > MaxAltitudeM)
            {
                return Problems.Invalid($"altitude_m (metres above the WGS-84 ellipsoid) must be within [{MinAltitudeM}, {MaxAltitudeM}].", pointer + "/altitude_m");
            }

            var velocity = Velocity(t, pointer);
            if (velocity.Error is { } error)
            {
                return error;
            }

            reports.Add(new TrackReport(t.Id, at, lat, lng, altitude, velocity.Value, t.Callsign));
        }

        return reports;
    }

    private static Outcome<Enu> Velocity(TrackBody t, string pointer)
    {
        var polar = t.GroundSpeedMps is not null || t.TrackDeg is not null || t.VerticalRateMps is not null;
        if (t.Velocity is not null && polar)
        {
            return Problems.Invalid("Give the velocity either as \"velocity\" (east/north/up) or as ground_speed_mps, track_deg and vertical_rate_mps, not both.", pointer);
        }

        if (t.Velocity is { } v)
        {
            if (v.EastMps is not { } east || v.NorthMps is not { } north || v.UpMps is not { } up)
            {
                return Problems.Invalid("velocity needs east_mps, north_mps and up_mps.", pointer + "/velocity");
            }

            if (!double.IsFinite(east) || !double.IsFinite(north) || !double.IsFinite(up) || Math.Sqrt((east * east) + (north * north) + (up * up)) > MaxSpeedMps)
            {
                return Problems.Invalid($"velocity must be finite and at most {MaxSpeedMps} m/s.", pointer + "/velocity");
            }

            return new Enu(east, north, up);
        }

        if (!polar)
        {
            return Problems.Invalid("A report needs its velocity: \"velocity\" (east/north/up, m/s) or ground_speed_mps, track_deg and vertical_rate_mps.", pointer);
        }

        if (t.GroundSpeedMps is not { } speed || !double.IsFinite(speed) || speed is < 0 or > MaxSpeedMps)
        {
            return Problems.Invalid($"ground_speed_mps must be within [0, {MaxSpeedMps}].", pointer + "/ground_speed_mps");
        }

        if (t.TrackDeg is not { } track || !double.IsFinite(track) || track is < 0 or >= 360)
        {
            return Problems.Invalid("track_deg (true, clockwise from north) must be within [0, 360).", pointer + "/track_deg");
        }

        if (t.VerticalRateMps is not { } rate || !double.IsFinite(rate) || Math.Abs(rate) > MaxSpeedMps)
        {
            return Problems.Invalid($"vertical_rate_mps (up positive) must be within [-{MaxSpeedMps}, {MaxSpeedMps}].", pointer + "/vertical_rate_mps");
        }

        return TrackReport.VelocityFrom(speed, track, rate);
    }
}
