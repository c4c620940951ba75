using System.Text.Json.Nodes;
using Deconflict.Alerts;
using Deconflict.Service;
using Deconflict.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Deconflict.Tests.Api;

/// <summary>
/// GET /metrics on a real server: after known traffic, the Prometheus text holds each metric with
/// the labels and values that traffic implies; only the admin may read it; and one server's
/// metrics never include another's in the same process.
/// </summary>
public sealed class MetricsTests
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 9, 0, 0, TimeSpan.Zero);

    // Cycles only when the test runs one: the timer and the prompt wake-up wait an hour of fake time.
    private static readonly DeconflictOptions Manual = new()
    {
        Tactical = new TacticalOptions { CycleInterval = TimeSpan.FromHours(1), MinCycleGap = TimeSpan.FromHours(1) },
        LineClockTick = TimeSpan.FromDays(30),
        ExpirySweepInterval = TimeSpan.FromDays(30),
    };

    [Fact]
    public async Task The_admin_reads_requests_rejections_streams_tracks_alerts_record_and_writer_metrics()
    {
        var clock = new FakeTimeProvider(T0);
        await using var server = await TestServer.StartAsync(Manual, clock);
        var blue = await server.AddPartyAsync("blue");
        var red = await server.AddPartyAsync("red");
        var nobody = server.Client(null);

        // Rejections: two 404s of blue, one 400 of red, one 404 of the admin, two 401s without a
        // token, and the refused scrapes below (403 for a party, 401 without a token).
        (await blue.Get("v1/operations/no-such-operation")).AssertProblem(404, "not-found");
        (await blue.Get("v1/operations/nor-this-one")).AssertProblem(404, "not-found");
        (await red.Post("v1/tracks", new { tracks = "not a list" })).AssertProblem(400, "invalid-request");
        (await server.Admin.Get("v1/operations/no-such-operation")).AssertProblem(404, "not-found");
        (await nobody.Get("v1/config")).AssertProblem(401, "unauthorized");
        (await nobody.Get("v1/operations")).AssertProblem(401, "unauthorized");
        (await blue.Get("metrics")).AssertProblem(403, "forbidden");
        (await nobody.Get("metrics")).AssertProblem(401, "unauthorized");

        // Streams: two of blue's, one of red's.
        await using var blueStream1 = await SseClient.ConnectAsync(blue);
        await using var blueStream2 = await SseClient.ConnectAsync(blue);
        await using var redStream = await SseClient.ConnectAsync(red);

        // Tracks: a head-on pair at FL300, 0.2 degrees of longitude apart, closing at 400 m/s; one
        // detection cycle raises one alert between them.
        Assert.Equal(202, (await blue.Post("v1/tracks", Batch(Report("BLUE-1", T0, 37.9, 200)))).Status);
        Assert.Equal(202, (await red.Post("v1/tracks", Batch(Report("RED-1", T0, 38.1, -200)))).Status);
        var cycle = await server.Get<TacticalService>().RunCycleAsync();
        Assert.Equal((2, 1), (cycle.Tracks, cycle.Decisions));

        // The record's size, as the store itself counts it (not the in-memory figure the metric reads).
        var lastEvent = (await server.Admin.Get("healthz")).Body!["last_event"]!.GetValue<long>();
        Assert.True(lastEvent > 0);

        var metrics = await ScrapeAsync(server.Admin);
        Assert.Equal("text/plain", metrics.ContentType);
        var scrape = metrics.Text;

        Assert.Equal("counter", scrape.Types["deconflict_requests_rejected_total"]);
        Assert.Equal(2, scrape.Value("deconflict_requests_rejected_total", ("error_type", "not-found"), ("deconflict_party", "blue")));
        Assert.Equal(1, scrape.Value("deconflict_requests_rejected_total", ("error_type", "invalid-request"), ("deconflict_party", "red")));
        Assert.Equal(1, scrape.Value("deconflict_requests_rejected_total", ("error_type", "forbidden"), ("deconflict_party", "blue")));
        Assert.Equal(3, scrape.Value("deconflict_requests_rejected_total", ("error_type", "unauthorized"), ("deconflict_party", "_anonymous")));
        Assert.Equal(1, scrape.Value("deconflict_requests_rejected_total", ("error_type", "not-found"), ("deconflict_party", "_admin")));
        Assert.Equal(5, scrape.Find("deconflict_requests_rejected_total").Count());

        Assert.Equal("gauge", scrape.Types["deconflict_streams_open"]);
        Assert.Equal(2, scrape.Value("deconflict_streams_open", ("deconflict_party", "blue")));
        Assert.Equal(1, scrape.Value("deconflict_streams_open", ("deconflict_party", "red")));
        Assert.Equal(2, scrape.Value("deconflict_tracks_held"));
        Assert.Equal(1, scrape.Value("deconflict_alerts_active"));
        Assert.Equal(0, scrape.Value("deconflict_writer_queue_depth"));
        Assert.Equal("counter", scrape.Types["deconflict_record_entries_total"]);
        Assert.Equal(lastEvent, scrape.Value("deconflict_record_entries_total"));

        // The writer committed at least the parties, the tokens and the alert (how many batches
        // it took depends on timing); each commit time is in a histogram in milliseconds.
        Assert.Equal("histogram", scrape.Types["deconflict_writer_commit_milliseconds"]);
        Assert.True(scrape.Value("deconflict_writer_commit_milliseconds_count") >= 1);
        Assert.Equal(scrape.Value("deconflict_writer_commit_milliseconds_count"), scrape.Value("deconflict_writer_commit_milliseconds_bucket", ("le", "+Inf")));
        Assert.True(scrape.Value("deconflict_writer_batch_size_count") >= 1);

        // ASP.NET Core's request durations, by route template, method and status. A request is
        // measured when its response has been sent, which the client may see first: poll briefly.
        scrape = await ScrapeUntilAsync(server.Admin, s =>
            s.Find("http_server_request_duration_seconds_count", ("http_route", "/v1/operations/{id}")).Sum(c => c.Value) == 3
            && s.Find("http_server_request_duration_seconds_count", ("http_route", "/v1/tracks/"), ("http_response_status_code", "202")).Sum(c => c.Value) == 2);
        Assert.Equal(3, scrape.Value("http_server_request_duration_seconds_count", ("http_route", "/v1/operations/{id}"), ("http_request_method", "GET"), ("http_response_status_code", "404")));
        Assert.Equal(2, scrape.Value("http_server_request_duration_seconds_count", ("http_route", "/v1/tracks/"), ("http_request_method", "POST"), ("http_response_status_code", "202")));
        Assert.Equal("histogram", scrape.Types["http_server_request_duration_seconds"]);

        // The runtime's own meter is there too.
        Assert.Contains(scrape.Samples, s => s.Name.StartsWith("dotnet_gc_", StringComparison.Ordinal));

        // A closed stream is no longer counted (the server notices the disconnection shortly).
        await blueStream2.DisposeAsync();
        scrape = await ScrapeUntilAsync(server.Admin, s => s.Value("deconflict_streams_open", ("deconflict_party", "blue")) == 1);
        Assert.Equal(1, scrape.Value("deconflict_streams_open", ("deconflict_party", "red")));
    }

    [Fact]
    public async Task A_server_exports_only_its_own_measurements_when_another_runs_in_the_same_process()
    {
        await using var first = await TestServer.StartAsync();
        await using var second = await TestServer.StartAsync();
        var blue = await first.AddPartyAsync("blue");
        (await blue.Get("v1/operations/no-such-operation")).AssertProblem(404, "not-found");
        (await first.Client(null).Get("v1/config")).AssertProblem(401, "unauthorized");
        await using var stream = await SseClient.ConnectAsync(blue);

        var own = (await ScrapeAsync(first.Admin)).Text;
        Assert.Equal(1, own.Value("deconflict_requests_rejected_total", ("error_type", "not-found"), ("deconflict_party", "blue")));
        Assert.Equal(1, own.Value("deconflict_streams_open", ("deconflict_party", "blue")));

        var other = (await ScrapeAsync(second.Admin)).Text;
        Assert.Empty(other.Find("deconflict_requests_rejected_total"));
        Assert.Empty(other.Find("deconflict_streams_open"));
        Assert.Empty(other.Find("http_server_request_duration_seconds_count", ("http_route", "/v1/operations/{id}")));
    }

    private static async Task<(PrometheusText Text, string? ContentType)> ScrapeAsync(HttpClient admin)
    {
        using var response = await admin.GetAsync("metrics");
        Assert.Equal(200, (int)response.StatusCode);
        return (PrometheusText.Parse(await response.Content.ReadAsStringAsync()), response.Content.Headers.ContentType?.MediaType);
    }

    private static async Task<PrometheusText> ScrapeUntilAsync(HttpClient admin, Func<PrometheusText, bool> done)
    {
        PrometheusText scrape;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!done(scrape = (await ScrapeAsync(admin)).Text) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        return scrape;
    }

    private static JsonObject Report(string id, DateTimeOffset time, double lng, double eastMps) => new()
    {
        ["id"] = id,
        ["time"] = time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture),
        ["lat"] = 35.0,
        ["lng"] = lng,
        ["altitude_m"] = 9144.0,
        ["velocity"] = new JsonObject { ["east_mps"] = eastMps, ["north_mps"] = 0.0, ["up_mps"] = 0.0 },
    };

    private static JsonObject Batch(params JsonObject[] reports) => new() { ["tracks"] = new JsonArray([.. reports]) };
}
