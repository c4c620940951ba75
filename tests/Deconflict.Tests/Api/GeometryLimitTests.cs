using System.Text.Json.Nodes;
using Deconflict.Core.Geometry;
using Deconflict.Tests.Infrastructure;

namespace Deconflict.Tests.Api;

/// <summary>
/// Issue 15, finding 3: one polygon must not cost a minute of CPU, and stored ones must not delay
/// the first write after a restart. Documented limits are refused before any geometry work, and
/// the writer starts from the stored boxes without deriving a stored outline.
/// </summary>
public sealed partial class GeometryLimitTests
{
    // The documented defaults (README "Rules worth knowing", GET /v1/config).
    private const int VertexLimit = 2_000;
    private const int VolumeLimit = 100;

    [Fact]
    public async Task A_polygon_over_the_vertex_limit_is_refused_with_limit_exceeded_and_nothing_is_stored()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        var tooMany = Bodies.Operation(NearCircle(35.0, 38.0, 20_000, VertexLimit + 1));

        foreach (var path in new[] { "v1/operations", "v1/operations/check" })
        {
            var problem = (await blue.Post(path, tooMany)).AssertProblem(400, "limit-exceeded");
            Assert.Equal("/volumes/0/volume/outline_polygon/vertices", problem["pointer"]!.GetValue<string>());
            Assert.Equal(VertexLimit, problem["limit"]!.GetValue<int>());
            Assert.Contains("2001 vertices; the limit is 2000", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        // A polygon over the limit in any volume is refused, with the pointer to it.
        var second = Bodies.Operation(Bodies.Square(35.0, 38.0), NearCircle(35.0, 38.0, 20_000, VertexLimit + 1));
        var secondProblem = (await blue.Post("v1/operations", second)).AssertProblem(400, "limit-exceeded");
        Assert.Equal("/volumes/1/volume/outline_polygon/vertices", secondProblem["pointer"]!.GetValue<string>());

        var zone = Bodies.Zone("protected", "range", NearCircle(35.0, 38.0, 20_000, VertexLimit + 1));
        (await blue.Post("v1/zones", zone)).AssertProblem(400, "limit-exceeded");

        Assert.Empty((await blue.Get("v1/operations")).Body!["items"]!.AsArray());
        Assert.Empty((await blue.Get("v1/zones")).Body!["items"]!.AsArray());

        // At the limit the polygon is accepted.
        var atLimit = await blue.Post("v1/operations", Bodies.Operation(NearCircle(35.0, 38.0, 20_000, VertexLimit)));
        Assert.Equal(201, atLimit.Status);
        Assert.Equal(VertexLimit, atLimit.Body!["operation"]!["volumes"]![0]!["volume"]!["outline_polygon"]!["vertices"]!.AsArray().Count);
    }

    [Fact]
    public async Task A_declaration_over_the_volume_limit_is_refused_with_limit_exceeded()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        JsonObject[] Volumes(int n) => [.. Enumerable.Range(0, n).Select(i => Bodies.Square(30.0 + (0.5 * (i / 20)), 30.0 + (0.5 * (i % 20))))];

        var problem = (await blue.Post("v1/operations", Bodies.Operation(Volumes(VolumeLimit + 1)))).AssertProblem(400, "limit-exceeded");
        Assert.Equal("/volumes", problem["pointer"]!.GetValue<string>());
        Assert.Equal(VolumeLimit, problem["limit"]!.GetValue<int>());
        Assert.Empty((await blue.Get("v1/operations")).Body!["items"]!.AsArray());

        Assert.Equal(201, (await blue.Post("v1/operations", Bodies.Operation(Volumes(VolumeLimit)))).Status);
    }

    [Fact]
    public async Task The_limits_are_shown_in_the_config()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        var limits = (await blue.Get("v1/config")).Body!["limits"]!;
        Assert.Equal(VertexLimit, limits["max_outline_vertices"]!.GetValue<int>());
        Assert.Equal(VolumeLimit, limits["max_volumes"]!.GetValue<int>());
        Assert.Equal(10_000_000, limits["max_outline_perimeter_m"]!.GetValue<double>());
    }

    /// <summary>A simple polygon of n vertices on a geodesic circle (radius in metres), in azimuth order.</summary>
    private static JsonObject NearCircle(double lat, double lng, double radiusM, int n) =>
        Bodies.Polygon([.. Enumerable.Range(0, n).Select(i => Geodesic.Direct(new GeoPoint(lat, lng), 360.0 * i / n, radiusM)).Select(p => new[] { p.Lat, p.Lng })]);
}
