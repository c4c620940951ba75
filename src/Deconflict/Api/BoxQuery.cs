using System.Globalization;
using Deconflict.Core.Geometry;
using Deconflict.Service;

namespace Deconflict.Api;

/// <summary>
/// The <c>?bbox=min_lng,min_lat,max_lng,max_lat</c> query parameter the lists of places share, in
/// degrees; min_lng &gt; max_lng crosses the antimeridian.
/// </summary>
public static class BoxQuery
{
    public const string Description = "min_lng,min_lat,max_lng,max_lat in degrees (min_lng > max_lng crosses the antimeridian).";

    /// <summary>The box asked for, null when none was, or an invalid-parameter refusal naming bbox.</summary>
    public static Outcome<GeoBox?> Bbox(this HttpContext http)
    {
        if (http.Request.Query["bbox"].ToString() is not { Length: > 0 } bbox)
        {
            return (GeoBox?)null;
        }

        var parts = bbox.Split(',');
        var numbers = new double[4];
        if (parts.Length != 4 || !parts.Select((p, i) => double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out numbers[i])).All(ok => ok)
            || numbers.Any(n => !double.IsFinite(n))
            || numbers[0] is < -180 or > 180 || numbers[2] is < -180 or > 180
            || numbers[1] is < -90 or > 90 || numbers[3] is < -90 or > 90 || numbers[1] > numbers[3])
        {
            return new Refusal(RefusalReason.InvalidParameter, "bbox must be " + Description).With("parameter", "bbox");
        }

        return (GeoBox?)new GeoBox(numbers[1], numbers[0], numbers[3], numbers[2]);
    }
}
