using Deconflict.Api;
using Deconflict.Cluster;
using Deconflict.Storage;
using Deconflict.Storage.Sqlite;
using Deconflict.Tracks;

namespace Deconflict.Service;

/// <summary>The agreed parameters in force, health, and the API description.</summary>
public static class ServiceEndpoints
{
    public static IEndpointRouteBuilder MapService(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/config", (DeconflictOptions o) => Results.Json(Config(o), Json.Options))
            .WithTags("Service").RequireToken().WithSummary("The parameters in force, agreed by the parties").WithName("getConfig")
            .WithDescription("Every party may read them: both sides agreed to them. Limits, quotas, the strategic buffer, the tactical separation and the line's clocks.")
            .ProducesSample(StatusCodes.Status200OK, sp => Config(sp.GetRequiredService<DeconflictOptions>()));

        // `time` is the service's clock: a client that times reports (tracks must not be ahead of it)
        // or runs a scenario against a demo server, whose clock is accelerated, sets its own by it.
        // 503 with status "failing" while the store cannot be read or the writer cannot write (its
        // last batch failed to commit, or a write failed in the store); ok again once it commits.
        app.MapGet("/healthz", (IDeconflictStore store, WriteQueue writes, WarmUpState warm, IClusterState cluster, HealthWarnings warnings, TrackRelayStatus relay, TimeProvider time) =>
        {
            var node = new HealthView { Status = "ok", Time = time.GetUtcNow(), Node = cluster.NodeId, Lease = cluster.HoldsLease, LiveNodes = cluster.LiveNodes, Warnings = relay.Warning is { } paused ? [.. warnings.Current, paused] : warnings.Current };
            long last;
            try
            {
                last = store.LastEventSequence();
            }
            catch (Exception e) when (StorageFault.Is(e))
            {
                return Results.Json(node with { Status = "failing", Fault = $"the store cannot be read: {StorageFault.Describe(e)}" }, Json.Options, statusCode: StatusCodes.Status503ServiceUnavailable);
            }

            return writes.Fault is { } fault
                ? Results.Json(node with { Status = "failing", Fault = $"the writer cannot write: {fault}", LastEvent = last }, Json.Options, statusCode: StatusCodes.Status503ServiceUnavailable)
                : Results.Json(node with { LastEvent = last, Warm = warm.IsDone, WarmedDeclarations = warm.Count }, Json.Options);
        }).WithTags("Service").WithSummary("Liveness, store reachability and whether the writer can write (503 when not)").WithName("getHealth")
          .WithDescription("Also names the node that answered, whether it holds the lease of the background duties, the live nodes of its cluster, and warnings its operators must know of (a lost database listener).")
          .Produces<HealthView>().Produces<HealthView>(StatusCodes.Status503ServiceUnavailable);

        return app;
    }

    /// <summary>The parameters in force, as GET /v1/config answers them (and as its schema in the OpenAPI document is inferred).</summary>
    internal static object Config(DeconflictOptions o) => new
    {
        policy = o.Policy,
        strategic_buffer = new { horizontal_m = o.StrategicBuffer.HorizontalM, vertical_m = o.StrategicBuffer.VerticalM },
        separation = new { horizontal_m = o.TacticalSeparation.HorizontalM, vertical_m = o.TacticalSeparation.VerticalM, lookahead_s = o.LookaheadS },
        tactical = new
        {
            warning_s = o.Tactical.WarningS,
            caution_s = o.LookaheadS,
            advisory_s = o.Tactical.AdvisoryS,
            clear_after_cycles = o.Tactical.ClearAfterCycles,
            cycle_interval_s = o.Tactical.CycleInterval.TotalSeconds,
            stale_after_s = o.Tactical.StaleAfter.TotalSeconds,
            drop_after_s = o.Tactical.DropAfter.TotalSeconds,
            max_report_ahead_s = o.Tactical.MaxReportAhead.TotalSeconds,
            max_reports_per_batch = o.Tactical.MaxReportsPerBatch,
            same_party = o.Tactical.SameParty,
            model = "NASA DAIDALUS CD3D cylinder: loss when horizontal distance < D and vertical distance < H (open); linear prediction; levels by entry time: loss (inside now), warning (< warning_s), caution (< caution_s), advisory (< advisory_s)",
        },
        line = new
        {
            ack_within_s = o.Line.AckWithinS,
            min_ack_within_s = o.Line.MinAckWithinS,
            max_ack_within_s = o.Line.MaxAckWithinS,
            escalation_interval_s = o.Line.EscalationIntervalS,
            max_escalation_level = o.Line.MaxEscalationLevel,
            conflict_notices = o.Line.ConflictNotices,
        },
        webhooks = new { allow_http = o.Webhooks.AllowHttp, allow = o.Webhooks.Allow, attempts = o.WebhookAttempts, signature_key = "/v1/line/webhook-key", max_contacts = o.Webhooks.MaxContacts, max_contacts_per_level = o.Webhooks.MaxContactsPerLevel, max_url_length = o.Webhooks.MaxUrlLength },
        record = new
        {
            head_interval_s = o.RecordHeadInterval.TotalSeconds,
            max_entries_per_request = o.MaxRecordPage,
            hashing = "RFC 9162 section 2.1 (SHA-256); entries are RFC 8785 canonical JSON (docs/record.md)",
        },
        writer = new
        {
            max_queued = o.Writer.MaxQueued,
            party_share = "max_queued / (n + 1) requests waiting, n = parties with requests waiting (the requester included); over it: 429 rate-limited",
            retry_after_s = o.Writer.RetryAfter.TotalSeconds,
            storage_retry_after_s = o.Writer.StorageRetryAfter.TotalSeconds,
            max_batch = o.MaxWriteBatch,
        },
        limits = new
        {
            max_outline_area_m2 = o.Geometry.MaxAreaM2,
            max_outline_extent_m = o.Geometry.MaxExtentM,
            max_outline_vertices = o.Geometry.MaxVertices,
            max_outline_perimeter_m = o.Geometry.MaxPerimeterM,
            max_volumes = o.MaxVolumesPerDeclaration,
            max_request_bytes = o.MaxRequestBytes,
            max_list_limit = HttpExtensions.MaxListLimit,
        },
        times = new { max_ahead_s = o.Times.MaxAhead.TotalSeconds, max_behind_s = o.Times.MaxBehind.TotalSeconds },
        quotas = new
        {
            max_live_declarations = o.Quotas.MaxLiveDeclarations,
            max_streams = o.Quotas.MaxStreams,
            requests_per_s = o.Quotas.RequestsPerSecond,
            request_burst = o.Quotas.RequestBurst,
            failed_auth_per_address = o.Quotas.FailedAuthPerAddress,
            failed_auth_per_prefix = o.Quotas.FailedAuthPerPrefix,
            prefix_chars = QuotaOptions.PrefixChars,
            failed_auth_forgive_every_s = o.Quotas.FailedAuthForgiveEvery.TotalSeconds,
            quota_retry_after_s = o.Quotas.QuotaRetryAfter.TotalSeconds,
        },
        boundary_rules = new
        {
            time = "half-open [time_start, time_end): windows that only touch do not conflict",
            altitude = "bands conflict when they overlap or their gap is strictly less than the vertical buffer",
            horizontal = "outlines conflict when their interiors overlap or their distance is strictly less than the horizontal buffer; polygon edges are geodesics on WGS-84",
        },
    };
}

/// <summary>Whether the start-up warm-up of the store has finished (reported by /healthz; the service answers before it).</summary>
public sealed class WarmUpState
{
    private volatile bool _done;

    public bool IsDone => _done;

    public int Count { get; private set; }

    public void Done(int count)
    {
        Count = count;
        _done = true;
    }
}
