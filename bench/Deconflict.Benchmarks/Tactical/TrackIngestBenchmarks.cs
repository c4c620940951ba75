using System.Globalization;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Deconflict.Api;
using Deconflict.Core.Tactical;
using Deconflict.Service;
using Deconflict.Tracks;

namespace Deconflict.Benchmarks.Tactical;

/// <summary>
/// What the server does with one POST /v1/tracks body of 2,000 reports, without HTTP: check the
/// body's rules (JsonBodyRules), read the JSON, check every report, and apply the batch to the track table (10,000 aircraft held).
/// Divide by 2,000 for the cost of one report.
/// </summary>
[MemoryDiagnoser]
public class TrackIngestBenchmarks
{
    private static readonly DateTimeOffset Now = new(2030, 1, 1, 9, 0, 0, TimeSpan.Zero);
    private readonly TacticalOptions _options = new();
    private byte[] _body = [];
    private TrackTable _table = null!;

    [GlobalSetup]
    public void Setup()
    {
        var rnd = new Random(3);
        var tracks = Enumerable.Range(0, 2000).Select(i => new
        {
            id = $"AC{i:D6}",
            time = Now.AddMilliseconds(-rnd.Next(1000)).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture),
            lat = 30 + (rnd.NextDouble() * 10),
            lng = 33 + (rnd.NextDouble() * 10),
            altitude_m = rnd.NextDouble() * 12_000,
            velocity = new { east_mps = (rnd.NextDouble() * 600) - 300, north_mps = (rnd.NextDouble() * 600) - 300, up_mps = (rnd.NextDouble() * 20) - 10 },
        }).ToArray();
        _body = JsonSerializer.SerializeToUtf8Bytes(new { tracks }, Json.Options);
        _table = new TrackTable(TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(60));
    }

    [Benchmark(Description = "body rules only (no member twice, no control character)")]
    public bool BodyRules() => JsonBodyRules.Check(_body) is null;

    [Benchmark(Description = "read + check a batch of 2,000 reports")]
    public int ReadAndCheck()
    {
        _ = JsonBodyRules.Check(_body);
        var body = JsonSerializer.Deserialize<TrackBatchBody>(_body, Json.Options)!;
        return TrackDraft.Parse(body, Now, _options).Value!.Count;
    }

    [Benchmark(Description = "read + check + apply to the track table")]
    public int ReadCheckApply()
    {
        _ = JsonBodyRules.Check(_body);
        var body = JsonSerializer.Deserialize<TrackBatchBody>(_body, Json.Options)!;
        return _table.Report("blue", TrackDraft.Parse(body, Now, _options).Value!);
    }
}
