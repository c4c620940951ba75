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

    public LineOptions Line { get; init; } = new();

    /// <summary>Attempts per escalation webhook call.</summary>
    public int WebhookAttempts { get; init; } = 4;

    /// <summary>Delay before the second attempt; each later one waits twice as long.</summary>
    public TimeSpan WebhookFirstRetry { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How often the line's acknowledgement clocks are checked (the precision of escalations).</summary>
    public TimeSpan LineClockTick { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How often the service signs a new tree head while entries arrive.</summary>
    public TimeSpan RecordHeadInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Most record entries one GET /v1/record/entries returns.</summary>
    public int MaxRecordPage { get; init; } = 10_000;
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
