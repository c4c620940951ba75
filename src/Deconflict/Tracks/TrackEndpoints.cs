using System.Globalization;
using Deconflict.Alerts;
using Deconflict.Api;
using Deconflict.Core.Feeds;
using Deconflict.Core.Geometry;
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
/// recorded (only the alerts they cause are), and never shown to another party: GET lists the
/// caller's own as the table holds them (the admin and observers: all).
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
        var group = app.MapGroup("/v1/tracks").WithTags("Tracks").RequireToken();
        group.MapPost("/", async (HttpContext http, TacticalService tactical, TrackRelay relay, DeconflictOptions options, TimeProvider time) =>
        {
            var caller = Authentication.Of(http);
            if (!caller.MayWrite)
            {
                return Problems.ToResult(Refusal.Forbidden("Only a party reports tracks: its own aircraft."));
            }

            var received = time.GetUtcNow();
            var type = http.Request.ContentType ?? string.Empty;
            Outcome<List<TrackReport>> reports;
            var skipped = 0;
            if (type.StartsWith("application/cot+xml", StringComparison.OrdinalIgnoreCase) || type.StartsWith("application/xml", StringComparison.OrdinalIgnoreCase))
            {
                var cot = await ReadCursorOnTarget(http, time.GetUtcNow(), options.Tactical);
                reports = cot.Reports;
                skipped = cot.Skipped;
            }
            else
            {
                var body = await http.ReadJson<TrackBatchBody>();
                reports = body.Error is { } e ? e : Parse(body.Value!, time.GetUtcNow(), options.Tactical);
            }

            if (reports.Error is { } invalid)
            {
                return Problems.ToResult(invalid);
            }

            var accepted = tactical.Report(caller.PartyId!, reports.Value!);

            // Applied here first, then sent to the other nodes of a cluster (nothing on a single node).
            relay.Publish(caller.PartyId!, reports.Value!, received);
            return Results.Json(new TrackBatchAcceptedView(accepted, reports.Value!.Count - accepted, skipped), Json.Options, statusCode: StatusCodes.Status202Accepted);
        }).WithSummary("Report live positions of your own aircraft (JSON, or Cursor on Target XML as application/cot+xml); late and repeated reports are ignored")
          .AcceptsJson<TrackBatchBody>("application/cot+xml").WithName("reportTracks")
          .WithDescription("The body is JSON, or Cursor on Target XML events sent as application/cot+xml (one <event> or an <events> list of them); a refused batch changes nothing.")
          .Produces<TrackBatchAcceptedView>(StatusCodes.Status202Accepted).Refuses(RefusalReason.Forbidden);

        group.MapGet("/", (HttpContext http, TacticalService tactical, DeconflictOptions options, TimeProvider time) =>
        {
            var caller = Authentication.Of(http);
            var box = http.Bbox();
            if (box.Error is { } invalid)
            {
                return Problems.ToResult(invalid);
            }

            var now = time.GetUtcNow();
            var staleBefore = now - options.Tactical.StaleAfter;

            // A party sees its own aircraft only (DESIGN.md: raw tracks never reach another party).
            var held = tactical.Tracks.Held(now, caller.SeesEverything ? null : caller.PartyId ?? string.Empty);
            var items = held
                .Where(t => box.Value is not { } area || area.Intersects(new GeoBox(t.State.Lat, t.State.Lng, t.State.Lat, t.State.Lng)))
                .OrderBy(t => t.State.Party, StringComparer.Ordinal).ThenBy(t => t.State.Id, StringComparer.Ordinal)
                .Select(t => TrackView.Of(t.State, t.Callsign, staleBefore))
                .ToList();
            return Results.Json(new TrackListView(now, items), Json.Options);
        }).WithSummary("Your own live tracks as the service holds them, stale ones marked (the admin and observers: every party's)").WithName("listTracks")
          .WithDescription("Tracks are in memory only: each is the latest report accepted, until it is old enough to be forgotten. Another party's aircraft are never listed: a party learns of them only through the alerts they are in.")
          .Produces<TrackListView>()
          .WithQuery("bbox", "Only those positioned in the box: " + BoxQuery.Description).Refuses(RefusalReason.InvalidParameter);
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

    /// <summary>
    /// A body of Cursor on Target events: air tracks become reports, other events are skipped and
    /// counted; a malformed document or a refused air track (no velocity, unknown height) refuses
    /// the whole body, as a bad JSON batch does.
    /// </summary>
    private static async Task<(Outcome<List<TrackReport>> Reports, int Skipped)> ReadCursorOnTarget(HttpContext http, DateTimeOffset now, TacticalOptions options)
    {
        string xml;
        try
        {
            using var reader = new StreamReader(http.Request.Body, System.Text.Encoding.UTF8);
            xml = await reader.ReadToEndAsync(http.RequestAborted);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (new Refusal(RefusalReason.PayloadTooLarge, "The body is larger than the request limit."), 0);
        }

        CotParseResult parsed;
        try
        {
            parsed = CursorOnTarget.Parse(xml);
        }
        catch (FormatException e)
        {
            return (Refusal.Invalid($"The Cursor on Target body is not valid: {e.Message}"), 0);
        }

        if (parsed.Refused.Count > 0)
        {
            var first = parsed.Refused[0];
            return (Refusal.Invalid($"Event {first.Index} (uid {first.Uid ?? "none"}) is refused: {first.Reason}", string.Create(CultureInfo.InvariantCulture, $"/events/{first.Index}")), 0);
        }

        if (parsed.Reports.Count > options.MaxReportsPerBatch)
        {
            return (Refusal.Invalid($"At most {options.MaxReportsPerBatch} reports in one batch ({parsed.Reports.Count} given)."), 0);
        }

        for (var i = 0; i < parsed.Reports.Count; i++)
        {
            if (Check(parsed.Reports[i], now, options, new ReportPointer("/events", i)) is { } wrong)
            {
                return (wrong, 0);
            }
        }

        return (parsed.Reports.ToList(), parsed.Skipped.Count);
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

/// <summary>Where a report is in its body (/tracks/3, /events/0), formatted only when a refusal needs it.</summary>
public readonly record struct ReportPointer(string Collection, int Index)
{
    public static string operator +(ReportPointer p, string field) => p.ToString() + field;

    public static implicit operator string(ReportPointer p) => p.ToString();

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Collection}/{Index}");
}

