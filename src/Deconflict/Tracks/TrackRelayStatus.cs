using System.Globalization;
using Deconflict.Core.Model;

namespace Deconflict.Tracks;

/// <summary>
/// Whether this node's track reports reach the other nodes and theirs reach it (<see cref="TrackRelay"/>),
/// for /healthz and the detector. A single node (no NATS) is never paused and has no warning. A
/// node of a cluster that loses NATS keeps accepting reports into its own table, but no longer
/// hears the other nodes': detection would then see part of the sky and clear or lose alerts whose
/// other aircraft it no longer hears, so it pauses, with a warning on /healthz, until NATS is back
/// and <see cref="ResumeAfter"/> more has passed.
/// </summary>
public sealed class TrackRelayStatus(TimeProvider time)
{
    /// <summary>
    /// How long detection waits after NATS comes back: feeds report about once a second (a batch a
    /// second is what the request quota is sized for), so within two seconds every aircraft another
    /// node hears has been relayed again, and the first cycle does not take one that was only not
    /// heard during the outage for a lost track. A slower feed's track may be lost, then regained.
    /// </summary>
    public static readonly TimeSpan ResumeAfter = TimeSpan.FromSeconds(2);

    private readonly Lock _gate = new();
    private bool _clustered;
    private bool _connected;
    private DateTimeOffset? _disconnectedSince;
    private DateTimeOffset? _reconnectedAt;
    private long _published;
    private long _notRelayed;
    private long _applied;
    private long _dropped;
    private long _late;
    private long _own;

    /// <summary>True when the node relays tracks over NATS (it is one of a cluster).</summary>
    public bool Clustered
    {
        get
        {
            lock (_gate)
            {
                return _clustered;
            }
        }
    }

    /// <summary>True while the node is connected to NATS (always false on a single node).</summary>
    public bool Connected
    {
        get
        {
            lock (_gate)
            {
                return _connected;
            }
        }
    }

    /// <summary>Since when NATS has been unreachable; null while connected.</summary>
    public DateTimeOffset? DisconnectedSince
    {
        get
        {
            lock (_gate)
            {
                return _disconnectedSince;
            }
        }
    }

    /// <summary>Messages (batches, a large one split) this node accepted and published.</summary>
    public long Published => Interlocked.Read(ref _published);

    /// <summary>Messages this node accepted and could not relay: NATS was unreachable, or the outbox was full.</summary>
    public long NotRelayed => Interlocked.Read(ref _notRelayed);

    /// <summary>Messages of other nodes taken into the track table.</summary>
    public long Applied => Interlocked.Read(ref _applied);

    /// <summary>Messages dropped as malformed: not JSON of a known version, a member missing or out of range, an unknown party.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Messages received later than a track is held (nothing in them could still be shown or detected).</summary>
    public long Late => Interlocked.Read(ref _late);

    /// <summary>This node's own messages heard back and skipped (it applied them before publishing).</summary>
    public long Own => Interlocked.Read(ref _own);

    /// <summary>
    /// True while tactical detection must wait: the node is one of a cluster and NATS is
    /// unreachable, or came back less than <see cref="ResumeAfter"/> ago.
    /// </summary>
    public bool DetectionPaused
    {
        get
        {
            lock (_gate)
            {
                return _clustered && (!_connected || (_reconnectedAt is { } back && time.GetUtcNow() < back + ResumeAfter));
            }
        }
    }

    /// <summary>The warning /healthz shows while detection is paused, or null.</summary>
    public string? Warning
    {
        get
        {
            lock (_gate)
            {
                if (!_clustered)
                {
                    return null;
                }

                if (!_connected)
                {
                    var since = _disconnectedSince is { } s ? " since " + Rfc3339.FormatUtc(s) : string.Empty;
                    return $"NATS is unreachable{since}: track reports are not relayed between the nodes and tactical detection is paused until it returns.";
                }

                return _reconnectedAt is { } back && time.GetUtcNow() < back + ResumeAfter
                    ? string.Create(CultureInfo.InvariantCulture, $"NATS is reachable again since {Rfc3339.FormatUtc(back)}: tactical detection resumes at {Rfc3339.FormatUtc(back + ResumeAfter)}, once the other nodes' tracks are relayed again.")
                    : null;
            }
        }
    }

    /// <summary>The relay started on a connection that is open (or not).</summary>
    public void Started(bool connected)
    {
        lock (_gate)
        {
            _clustered = true;
            _connected = connected;
            _disconnectedSince = connected ? null : time.GetUtcNow();
        }
    }

    public void ConnectionLost()
    {
        lock (_gate)
        {
            if (_connected || _disconnectedSince is null)
            {
                _disconnectedSince = time.GetUtcNow();
            }

            _connected = false;
            _reconnectedAt = null;
        }
    }

    public void ConnectionOpened()
    {
        lock (_gate)
        {
            // Only a connection that was known lost comes back: the first one a starting node
            // opens (whose event may come before or after Started) pauses nothing.
            if (!_connected && _disconnectedSince is not null)
            {
                _reconnectedAt = time.GetUtcNow();
            }

            _connected = true;
            _disconnectedSince = null;
        }
    }

    internal void CountPublished() => Interlocked.Increment(ref _published);

    internal void CountNotRelayed(int messages = 1) => Interlocked.Add(ref _notRelayed, messages);

    internal void CountApplied() => Interlocked.Increment(ref _applied);

    internal void CountDropped() => Interlocked.Increment(ref _dropped);

    internal void CountLate() => Interlocked.Increment(ref _late);

    internal void CountOwn() => Interlocked.Increment(ref _own);
}
