using System.Diagnostics.Metrics;
using Deconflict.Alerts;
using Deconflict.Api;
using Deconflict.Core.Model;
using Deconflict.Tracks;

namespace Deconflict.Service;

/// <summary>
/// The service's own measurements, as instruments of the meter <see cref="MeterName"/>, exported
/// with the writer's and ASP.NET Core's at GET /metrics (<see cref="MetricsEndpoint"/>; the list is
/// in docs/metrics.md). Labels are bounded: a problem code, a party id (parties are created by the
/// admin) or one of <see cref="AdminLabel"/> and <see cref="AnonymousLabel"/>; never a token or a
/// client address. The gauges are read when scraped, so they cost nothing in between.
/// </summary>
public sealed class ServiceMetrics
{
    public const string MeterName = "Deconflict";

    /// <summary>The party label: the caller's party id, <see cref="AdminLabel"/> or <see cref="AnonymousLabel"/>.</summary>
    public const string PartyTag = "deconflict.party";

    /// <summary>The problem code of a rejected request (OpenTelemetry's attribute for the class of an error).</summary>
    public const string CodeTag = "error.type";

    /// <summary>The party label of an admin token. Party ids are lowercase letters, digits and '-': no party is called this.</summary>
    public const string AdminLabel = "_admin";

    /// <summary>The party label of a request refused before a valid token was seen (no token, a bad one, no such endpoint).</summary>
    public const string AnonymousLabel = "_anonymous";

    private readonly Counter<long> _rejected;
    private readonly UpDownCounter<long> _streams;

    /// <summary>The outcome label of a relayed track message (<see cref="TrackRelayStatus"/>).</summary>
    public const string OutcomeTag = "outcome";

    public ServiceMetrics(IMeterFactory meters, EventHub hub, TacticalService tactical, TrackRelayStatus? relay = null)
    {
        var meter = meters.Create(MeterName);
        _rejected = meter.CreateCounter<long>("deconflict.requests.rejected", "{request}", "Requests answered with a problem, by problem code and caller's party.");
        _streams = meter.CreateUpDownCounter<long>("deconflict.streams.open", "{stream}", "Event streams open, by party.");
        meter.CreateObservableUpDownCounter("deconflict.tracks.held", () => (long)tactical.Tracks.Count, "{track}", "Live tracks held in memory, stale ones included.");
        meter.CreateObservableUpDownCounter("deconflict.alerts.active", () => (long)tactical.ActiveAlerts, "{alert}", "Track alerts active after the last detection cycle.");

        // The record only grows: a counter, so that rate() gives entries appended per second.
        meter.CreateObservableCounter("deconflict.record.entries", () => hub.LastSequence, "{entry}", "Entries in the record (its size), as last committed.");

        // Only a node of a cluster relays tracks: a single node exports no series.
        if (relay is not null)
        {
            meter.CreateObservableCounter("deconflict.tracks.relay.messages", () => RelayMessages(relay), "{message}", "Track messages between the nodes, by outcome.");
        }
    }

    private static IEnumerable<Measurement<long>> RelayMessages(TrackRelayStatus relay) => !relay.Clustered
        ? []
        : [
            new(relay.Published, new KeyValuePair<string, object?>(OutcomeTag, "published")),
            new(relay.NotRelayed, new KeyValuePair<string, object?>(OutcomeTag, "not_relayed")),
            new(relay.Applied, new KeyValuePair<string, object?>(OutcomeTag, "applied")),
            new(relay.Dropped, new KeyValuePair<string, object?>(OutcomeTag, "dropped")),
            new(relay.Late, new KeyValuePair<string, object?>(OutcomeTag, "late")),
        ];

    /// <summary>The label of the caller of a request: its party, the admin, or nobody yet.</summary>
    public static string PartyLabel(Caller? caller) => caller is null ? AnonymousLabel : caller.PartyId ?? AdminLabel;

    /// <summary>Counts a problem sent in answer to <paramref name="http"/>, by code and caller.</summary>
    public void Rejected(string code, HttpContext http) =>
        _rejected.Add(1, new KeyValuePair<string, object?>(CodeTag, code), new KeyValuePair<string, object?>(PartyTag, PartyLabel(Authentication.Find(http))));

    /// <summary>Counts an event stream of <paramref name="caller"/> as open until the result is disposed.</summary>
    public IDisposable StreamOpened(Caller caller)
    {
        var party = new KeyValuePair<string, object?>(PartyTag, PartyLabel(caller));
        _streams.Add(1, party);
        return new OpenStream(_streams, party);
    }

    /// <summary>A problem result that counts itself as a rejection when it is sent (<see cref="Problems.ToResult"/>).</summary>
    public static IResult Counted(string code, IResult problem) => new CountedProblem(code, problem);

    private sealed class CountedProblem(string code, IResult inner) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            // Absent only in a host built without ServerHost; such a host exports nothing.
            httpContext.RequestServices.GetService<ServiceMetrics>()?.Rejected(code, httpContext);
            return inner.ExecuteAsync(httpContext);
        }
    }

    private sealed class OpenStream(UpDownCounter<long> streams, KeyValuePair<string, object?> party) : IDisposable
    {
        private int _closed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _closed, 1) == 0)
            {
                streams.Add(-1, party);
            }
        }
    }
}
