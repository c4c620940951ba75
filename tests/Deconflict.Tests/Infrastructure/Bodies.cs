using System.Globalization;
using System.Text.Json.Nodes;

namespace Deconflict.Tests.Infrastructure;

/// <summary>Readable request bodies for tests: F3548 volumes around real places, in M unless stated.</summary>
public static class Bodies
{
    /// <summary>
    /// 09:00Z thirty days from today: inside the window of times the service accepts around its
    /// clock (TimeWindowOptions: a year ahead) for tests that run on the real clock, and ahead of
    /// it, so that the expiry sweep does not end what a test declares.
    /// </summary>
    public static readonly DateTimeOffset T0 = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero).AddDays(30).AddHours(9);

    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static JsonObject Polygon(double[][] latLng, double lowerM = 1000, double upperM = 5000, DateTimeOffset? start = null, DateTimeOffset? end = null, string units = "M") =>
        Volume(new JsonObject { ["outline_polygon"] = new JsonObject { ["vertices"] = new JsonArray([.. latLng.Select(p => (JsonNode)new JsonObject { ["lat"] = p[0], ["lng"] = p[1] })]) } }, lowerM, upperM, start, end, units);

    /// <summary>A square of side 2*halfDeg degrees around a point.</summary>
    public static JsonObject Square(double lat, double lng, double halfDeg = 0.1, double lowerM = 1000, double upperM = 5000, DateTimeOffset? start = null, DateTimeOffset? end = null) =>
        Polygon([[lat - halfDeg, lng - halfDeg], [lat - halfDeg, lng + halfDeg], [lat + halfDeg, lng + halfDeg], [lat + halfDeg, lng - halfDeg]], lowerM, upperM, start, end);

    public static JsonObject Circle(double lat, double lng, double radiusM, double lowerM = 1000, double upperM = 5000, DateTimeOffset? start = null, DateTimeOffset? end = null) =>
        Volume(new JsonObject { ["outline_circle"] = new JsonObject { ["center"] = new JsonObject { ["lat"] = lat, ["lng"] = lng }, ["radius"] = new JsonObject { ["value"] = radiusM, ["units"] = "M" } } }, lowerM, upperM, start, end, "M");

    public static JsonObject Operation(params JsonObject[] volumes) => new() { ["volumes"] = new JsonArray([.. volumes]) };

    public static JsonObject Zone(string rule, string name, params JsonObject[] volumes) =>
        new() { ["volumes"] = new JsonArray([.. volumes]), ["rule"] = rule, ["name"] = name };

    private static JsonObject Volume(JsonObject outline, double lowerM, double upperM, DateTimeOffset? start, DateTimeOffset? end, string units)
    {
        outline["altitude_lower"] = new JsonObject { ["value"] = lowerM, ["reference"] = "W84", ["units"] = units };
        outline["altitude_upper"] = new JsonObject { ["value"] = upperM, ["reference"] = "W84", ["units"] = units };
        return new JsonObject
        {
            ["volume"] = outline,
            ["time_start"] = new JsonObject { ["value"] = Time(start ?? T0), ["format"] = "RFC3339" },
            ["time_end"] = new JsonObject { ["value"] = Time(end ?? T0.AddHours(2)), ["format"] = "RFC3339" },
        };
    }
}
