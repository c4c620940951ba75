using System.Globalization;
using System.Text.Json.Nodes;

namespace Deconflict.Tests.Cluster;

/// <summary>
/// Two aircraft of two parties flying head-on along a parallel at FL300, 40 km apart when they
/// start and closing at 300 m/s: a loss of separation (3 NM) is predicted 115 s ahead, inside the
/// 120 s look-ahead, so the first detection cycle that has both raises one alert (a caution), and
/// they are still 30 km apart half a minute later (no level change, no clear, within a test).
/// Encounters on parallels half a degree apart (55 km) never come near each other.
/// </summary>
public sealed class Encounter(int number, DateTimeOffset start)
{
    private const double Lat = 20;
    private const double CentreLng = 40;
    private const double HalfGapM = 20_000;
    private const double SpeedMps = 150;
    private const double AltitudeM = 9144;

    public string BlueTrack { get; } = $"BLUE-{number}";

    public string RedTrack { get; } = $"RED-{number}";

    /// <summary>When the aircraft were 40 km apart (the first report).</summary>
    public DateTimeOffset Start { get; } = start;

    private double Latitude => Lat + (number * 0.5);

    /// <summary>The blue aircraft's report at <paramref name="now"/>, flying east.</summary>
    public JsonObject Blue(DateTimeOffset now) => Report(BlueTrack, now, -1);

    /// <summary>The red aircraft's report at <paramref name="now"/>, flying west.</summary>
    public JsonObject Red(DateTimeOffset now) => Report(RedTrack, now, +1);

    private JsonObject Report(string id, DateTimeOffset now, int side)
    {
        var metresPerDegree = 111_320 * Math.Cos(Latitude * Math.PI / 180);
        var flown = SpeedMps * (now - Start).TotalSeconds;
        var lng = CentreLng + (side * (HalfGapM - flown) / metresPerDegree);
        return new JsonObject
        {
            ["id"] = id,
            ["time"] = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            ["lat"] = Latitude,
            ["lng"] = lng,
            ["altitude_m"] = AltitudeM,
            ["velocity"] = new JsonObject { ["east_mps"] = -side * SpeedMps, ["north_mps"] = 0.0, ["up_mps"] = 0.0 },
        };
    }
}
