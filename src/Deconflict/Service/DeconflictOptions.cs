using Deconflict.Core.Geometry;
using Deconflict.Core.Strategic;
using Deconflict.Core.Volumes;

namespace Deconflict.Service;

/// <summary>
/// The parameters agreed between the parties, in SI units. Defaults are the agreed minima of the
/// mechanism: 3 NM horizontal (5,556 m), 1,000 ft vertical (304.8 m), 120 s look-ahead. All of them
/// are served by GET /v1/config, because both sides must be able to see what is in force.
/// </summary>
public sealed record DeconflictOptions
{
    public const double NauticalMileM = 1852.0;
    public const double FootM = 0.3048;

    public ConflictPolicy Policy { get; init; } = ConflictPolicy.Notify;

    /// <summary>Buffers added around declared volumes before they are intersected.</summary>
    public Separation StrategicBuffer { get; init; } = new(3 * NauticalMileM, 1000 * FootM);

    /// <summary>Separation minima and look-ahead for live tracks.</summary>
    public Separation TacticalSeparation { get; init; } = new(3 * NauticalMileM, 1000 * FootM);

    public double LookaheadS { get; init; } = 120;

    public GeometryLimits Geometry { get; init; } = new();

    public int MaxVolumesPerDeclaration { get; init; } = 100;

    public long MaxRequestBytes { get; init; } = 1 << 20;

    public int MaxDetailsBytes { get; init; } = 64 * 1024;

    /// <summary>How often the sweep ends declarations whose last volume is over.</summary>
    public TimeSpan ExpirySweepInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Most requests the single writer commits together with one fsync.</summary>
    public int MaxWriteBatch { get; init; } = 256;

    /// <summary>The bound on the writer's queue and each party's fair share of it.</summary>
    public WriterOptions Writer { get; init; } = new();

    public LineOptions Line { get; init; } = new();

    /// <summary>How far ahead of and behind the service's clock a time a party sends may be.</summary>
    public TimeWindowOptions Times { get; init; } = new();

    /// <summary>Live tracks, the detection cycle and the alert levels.</summary>
    public TacticalOptions Tactical { get; init; } = new();

    /// <summary>Attempts per escalation webhook call.</summary>
    public int WebhookAttempts { get; init; } = 4;

    /// <summary>Delay before the second attempt; each later one waits twice as long.</summary>
    public TimeSpan WebhookFirstRetry { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Where escalation webhooks may go: https and public addresses unless the admin allows more.</summary>
    public WebhookOptions Webhooks { get; init; } = new();

    /// <summary>How often the line's acknowledgement clocks are checked (the precision of escalations).</summary>
    public TimeSpan LineClockTick { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How often the service signs a new tree head while entries arrive.</summary>
    public TimeSpan RecordHeadInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Most record entries one GET /v1/record/entries returns.</summary>
    public int MaxRecordPage { get; init; } = 10_000;

    /// <summary>Per-party quotas and the limits on failed authentication.</summary>
    public QuotaOptions Quotas { get; init; } = new();
}

/// <summary>
/// Deconfliction-line clock parameters, agreed by the parties: default and bounds of ack_within_s,
/// escalation interval and highest level; and whether a new conflict sends the other side an
/// automatic notice requiring acknowledgement. Notices are off by default: at a conflict's rate
/// (about six per submission in a busy airspace) each doubles the writes a submission makes;
/// deployments that want every conflict acknowledged on the line turn them on (serve --conflict-notices).
/// </summary>
public sealed record LineOptions(
    double AckWithinS = 300,
    double MinAckWithinS = 5,
    double MaxAckWithinS = 86_400,
    double EscalationIntervalS = 300,
    int MaxEscalationLevel = 3,
    bool ConflictNotices = false);

/// <summary>
/// Tactical deconfliction, agreed by the parties: alert thresholds (warning and advisory entry
/// times in seconds; caution is the look-ahead), hysteresis in cycles, track ages, the detection
/// cycle, and whether pairs of one party's own aircraft are checked too (off: each party
/// deconflicts its own aircraft).
/// </summary>
public sealed record TacticalOptions
{
    /// <summary>Entry into loss of separation sooner than this is a warning.</summary>
    public double WarningS { get; init; } = 60;

    /// <summary>Entry later than the look-ahead but sooner than this is an advisory.</summary>
    public double AdvisoryS { get; init; } = 180;

    /// <summary>Cycles a less urgent level must hold before an alert steps down, and cycles without a prediction before it clears.</summary>
    public int ClearAfterCycles { get; init; } = 3;

    /// <summary>The detection cycle; new reports also start a cycle promptly.</summary>
    public TimeSpan CycleInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The least time between the starts of two cycles that new reports start early.</summary>
    public TimeSpan MinCycleGap { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>A track whose last report is this old leaves detection.</summary>
    public TimeSpan StaleAfter { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>A track whose last report is this old is forgotten.</summary>
    public TimeSpan DropAfter { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Reports timed further than this ahead of the service's clock are refused (a feed's clock is wrong).</summary>
    public TimeSpan MaxReportAhead { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Most reports in one POST /v1/tracks.</summary>
    public int MaxReportsPerBatch { get; init; } = 10_000;

    public bool SameParty { get; init; }
}

