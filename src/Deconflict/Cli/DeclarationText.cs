using System.Globalization;
using System.Text.Json.Nodes;
using Deconflict.Core.Model;
using Deconflict.Core.Volumes;

namespace Deconflict.Cli;

/// <summary>
/// An operation's or zone's volumes (F3548 Volume4D, as the API gives them) said briefly for a
/// person: the time window, the altitude band in feet and flight levels, the place. Times are UTC;
/// positions are lat,lng in degrees. Nothing here knows more than the JSON it is given.
/// </summary>
internal static class DeclarationText
{
    /// <summary>From 10,000 ft up an altitude is also given as a flight level (hundreds of feet), as a pilot would read it.</summary>
    private const double FlightLevelFromFeet = 10_000;

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>The name a person knows it by: a zone's name, or an operation's details.name (only its owner sees details).</summary>
    public static string? Name(JsonNode? declaration) =>
        FileJson.Text(declaration?["name"]) ?? FileJson.Text((declaration?["details"] as JsonObject)?["name"]);

    /// <summary>The earliest start and the latest end of the volumes, or null when a volume has no readable time.</summary>
    public static (DateTimeOffset Start, DateTimeOffset End)? Window(JsonArray? volumes)
    {
        var starts = new List<DateTimeOffset>();
        var ends = new List<DateTimeOffset>();
        foreach (var v in volumes ?? [])
        {
            if (Time(v?["time_start"]) is not { } start || Time(v?["time_end"]) is not { } end)
            {
                return null;
            }

            starts.Add(start);
            ends.Add(end);
        }

        return starts.Count == 0 ? null : (starts.Min(), ends.Max());
    }

    /// <summary>The lowest lower and highest upper altitude of the volumes, in metres.</summary>
    public static (double Lower, double Upper)? Band(JsonArray? volumes)
    {
        var lowers = new List<double>();
        var uppers = new List<double>();
        foreach (var v in volumes ?? [])
        {
            if (Metres(v?["volume"]?["altitude_lower"]) is not { } lower || Metres(v?["volume"]?["altitude_upper"]) is not { } upper)
            {
                return null;
            }

            lowers.Add(lower);
            uppers.Add(upper);
        }

        return lowers.Count == 0 ? null : (lowers.Min(), uppers.Max());
    }

    /// <summary>A half-open window [start, end) in UTC: "2027-06-01 09:00–11:00" on one day, else both dates.</summary>
    public static string WindowText(DateTimeOffset start, DateTimeOffset end)
    {
        var (s, e) = (start.UtcDateTime, end.UtcDateTime);
        var clock = s.Second != 0 || e.Second != 0 || s.Millisecond != 0 || e.Millisecond != 0 ? "HH:mm:ss" : "HH:mm";
        return s.ToString("yyyy-MM-dd " + clock, Invariant) + "–" + e.ToString(s.Date == e.Date ? clock : "yyyy-MM-dd " + clock, Invariant);
    }

    public static string WindowText((DateTimeOffset Start, DateTimeOffset End)? window) => window is { } w ? WindowText(w.Start, w.End) : "?";

    /// <summary>An altitude band for a table: "FL150–FL250", "0–5,000 ft", "5,000 ft–FL120".</summary>
    public static string BandText(double lowerM, double upperM)
    {
        var (lower, upper) = (Short(lowerM), Short(upperM));
        return lower.EndsWith(" ft", StringComparison.Ordinal) && upper.EndsWith(" ft", StringComparison.Ordinal)
            ? $"{lower[..^3]}–{upper}"
            : $"{lower}–{upper}";
    }

    public static string BandText((double Lower, double Upper)? band) => band is { } b ? BandText(b.Lower, b.Upper) : "?";

    /// <summary>An altitude in full: "15,000 ft (FL150, 4,572 m)".</summary>
    public static string Altitude(double metres)
    {
        var feet = Math.Round(metres / Units.MetresPerFoot);
        var level = feet >= FlightLevelFromFeet && feet % 100 == 0 ? string.Create(Invariant, $"FL{feet / 100:000}, ") : string.Empty;
        return string.Create(Invariant, $"{feet:#,0} ft ({level}{metres:#,0.#} m)");
    }

    /// <summary>The centre of the volumes' bounding box, "35.975,39.000" (lat,lng).</summary>
    public static string Where(JsonArray? volumes)
    {
        var boxes = (volumes ?? []).Select(v => Box(v?["volume"])).ToList();
        if (boxes.Count == 0 || boxes.Any(b => b is null))
        {
            return "?";
        }

        var (south, west) = (boxes.Min(b => b!.Value.South), boxes.Min(b => b!.Value.West));
        var (north, east) = (boxes.Max(b => b!.Value.North), boxes.Max(b => b!.Value.East));
        return string.Create(Invariant, $"{(south + north) / 2:0.000},{(west + east) / 2:0.000}");
    }

    /// <summary>
    /// One volume's outline: a polygon's vertex count and bounding box (south,west to north,east), or
    /// a circle's centre and radius in NM and km.
    /// </summary>
    public static string Outline(JsonNode? volume)
    {
        if (volume?["outline_polygon"]?["vertices"] is JsonArray vertices && Box(volume) is { } box)
        {
            return string.Create(Invariant, $"polygon of {vertices.Count} vertices, bbox {box.South:0.0000},{box.West:0.0000} to {box.North:0.0000},{box.East:0.0000}");
        }

        if (volume?["outline_circle"] is JsonObject circle && Number(circle["center"]?["lat"]) is { } lat && Number(circle["center"]?["lng"]) is { } lng
            && Metres(circle["radius"]) is { } radius)
        {
            return string.Create(Invariant, $"circle centred {lat:0.0000},{lng:0.0000}, radius {radius / Units.MetresPerNauticalMile:0.##} NM ({radius / 1000:0.###} km)");
        }

        return "outline not shown";
    }

    /// <summary>A time as "2027-06-01 09:00:00Z" (UTC), or the text as given when it is not RFC 3339.</summary>
    public static string Clock(JsonNode? time) =>
        FileJson.Text(time) is { } text && Rfc3339.TryParse(text, out var t) ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", Invariant) : TerminalText.Safe(time?.ToString());

    /// <summary>A time as "12-01 17:20" (UTC) for a table cell.</summary>
    public static string ShortClock(JsonNode? time) =>
        FileJson.Text(time) is { } text && Rfc3339.TryParse(text, out var t) ? t.UtcDateTime.ToString("MM-dd HH:mm", Invariant) : TerminalText.Safe(time?.ToString());

    public static DateTimeOffset? Time(JsonNode? time) =>
        FileJson.Text(time is JsonObject o ? o["value"] : time) is { } text && Rfc3339.TryParse(text, out var t) ? t : null;

    public static double? Number(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<double>(out var d) && double.IsFinite(d) ? d : null;

    /// <summary>A length or altitude { value, units } in metres; null for a unit the CLI does not know.</summary>
    public static double? Metres(JsonNode? length) =>
        Number(length?["value"]) is { } value && Enum.TryParse<LengthUnit>(FileJson.Text(length?["units"]), ignoreCase: false, out var unit) && Enum.IsDefined(unit)
            ? Units.ToMetres(value, unit)
            : null;

    /// <summary>"15,000 ft" below FL100, "FL150" from it (when a whole flight level).</summary>
    private static string Short(double metres)
    {
        var feet = Math.Round(metres / Units.MetresPerFoot);
        return feet >= FlightLevelFromFeet && feet % 100 == 0
            ? string.Create(Invariant, $"FL{feet / 100:000}")
            : string.Create(Invariant, $"{feet:#,0} ft");
    }

    private static (double South, double West, double North, double East)? Box(JsonNode? volume)
    {
        if (volume?["outline_polygon"]?["vertices"] is JsonArray { Count: > 0 } vertices)
        {
            var points = vertices.Select(p => (Lat: Number(p?["lat"]), Lng: Number(p?["lng"]))).ToList();
            if (points.Any(p => p.Lat is null || p.Lng is null))
            {
                return null;
            }

            return (points.Min(p => p.Lat!.Value), points.Min(p => p.Lng!.Value), points.Max(p => p.Lat!.Value), points.Max(p => p.Lng!.Value));
        }

        if (volume?["outline_circle"] is JsonObject circle && Number(circle["center"]?["lat"]) is { } lat && Number(circle["center"]?["lng"]) is { } lng
            && Metres(circle["radius"]) is { } radius)
        {
            // Degrees of latitude are 60 NM; of longitude, 60 NM times the cosine of the latitude.
            var dLat = radius / Units.MetresPerNauticalMile / 60;
            var dLng = dLat / Math.Max(Math.Cos(lat * Math.PI / 180), 1e-6);
            return (lat - dLat, lng - dLng, lat + dLat, lng + dLng);
        }

        return null;
    }
}
