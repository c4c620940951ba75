using BenchmarkDotNet.Attributes;
using Deconflict.Core.Geometry;
using Deconflict.Core.Tactical;

namespace Deconflict.Benchmarks.Tactical;

/// <summary>
/// One detection cycle over N live tracks of three parties spread over a 2,000 x 2,000 km region
/// (100 to 300 m/s, any heading, altitudes 0 to 12 km, reports up to 5 s old), with the agreed
/// 3 NM, 1,000 ft and 120 s; the baseline tests every pair.
/// </summary>
[MemoryDiagnoser]
public class TacticalDetectionBenchmarks
{
    private static readonly DateTimeOffset Now = new(2030, 1, 1, 9, 0, 0, TimeSpan.Zero);
    private List<TrackState> _tracks = null!;

    [Params(10_000, 100_000)]
    public int Tracks { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var rnd = new Random(5);
        _tracks = [];
        for (var i = 0; i < Tracks; i++)
        {
            var at = Geodesic.Direct(new GeoPoint(35, 38), rnd.NextDouble() * 360, Math.Sqrt(rnd.NextDouble()) * 1_100_000);
            var speed = 100 + (rnd.NextDouble() * 200);
            var heading = rnd.NextDouble() * 2 * Math.PI;
            _tracks.Add(new TrackState(
                (i % 3) switch { 0 => "blue", 1 => "red", _ => "green" }, $"T{i}", Now.AddSeconds(-rnd.NextDouble() * 5), at.Lat, at.Lng,
                rnd.NextDouble() * 12_000, new Enu(speed * Math.Sin(heading), speed * Math.Cos(heading), (rnd.NextDouble() - 0.5) * 20)));
        }
    }

    [Benchmark(Description = "detection cycle: swept ECEF boxes in a sorted cell list + CD3D")]
    public int Grid() => TacticalDetector.Detect(_tracks, Now, 5556, 304.8, 120).Count;

    [Benchmark(Baseline = true, Description = "baseline: CD3D on every pair")]
    public int AllPairs() => Tracks > 20_000 ? 0 : TacticalDetector.DetectAllPairs(_tracks, Now, 5556, 304.8, 120).Count;
}
