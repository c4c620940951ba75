using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using Deconflict.Alerts;
using Deconflict.Core.Model;
using Deconflict.Core.Tactical;
using Deconflict.Service;
using Deconflict.Storage;
using NATS.Client.Core;

namespace Deconflict.Tracks;

/// <summary>
/// Track reports between the nodes of a cluster: every batch a node accepts is published on the
/// tracks subject, and every node takes the other nodes' batches into its own track table, so each
/// table holds the tracks reported to any node (GET /v1/tracks lists them all) and the detector,
/// which runs on the node holding the lease, sees every track.
/// <para>
/// Exactly once: a node applies its own batch before it publishes it and skips its own messages
/// when NATS delivers them back (each carries <see cref="Origin"/>, a name unique to this process).
/// Applying first keeps the answer to POST /v1/tracks what it is on a single node (the accepted and
/// ignored counts come from this node's table, at once), keeps the node's own tracks detected while
/// NATS is down, and costs no round trip through NATS before the reporter's own node sees them. The
/// table would also take a batch twice harmlessly (a report at the time already held is a repeat),
/// but skipping keeps every report applied once per node.
/// </para>
/// <para>
/// Messages are hostile input: one that is too large, not JSON of a known version, missing a member,
/// for a party that does not report tracks, or with a report a POST would refuse, is dropped whole
/// and counted (<see cref="TrackRelayStatus.Dropped"/>); nothing a message holds can stop the relay.
/// While NATS is unreachable, reports are still accepted into this node's table (its own tracks and
/// alerts stay visible; reports are perishable, so none are kept to send later) and detection pauses
/// (<see cref="TrackRelayStatus"/>). Without NATS (a single node) the relay does nothing.
/// </para>
/// </summary>
public sealed class TrackRelay : BackgroundService
{
    /// <summary>Reports in one message: a full batch (10,000) is split so that each message stays well under NATS's 1 MB default payload.</summary>
    public const int ReportsPerMessage = 1000;

    /// <summary>The largest message read; a larger one is dropped unread.</summary>
    public const int MaxMessageBytes = 4 << 20;

    /// <summary>Messages waiting to be published; beyond it a batch is not relayed (and counted) rather than held.</summary>
    public const int OutboxCapacity = 1024;

    /// <summary>Longest party id the service gives (PartyEndpoints); a longer one is malformed without a look-up.</summary>
    private const int MaxPartyLength = 32;

    private readonly INatsConnection? _nats;
    private readonly TacticalService _tactical;
    private readonly IDeconflictStore _store;
    private readonly TacticalOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly Channel<byte[]> _outbox = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(OutboxCapacity) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });

    private INatsSub<byte[]>? _subscription;

    // Parties known to report tracks; a party is never deleted nor changes role, so a yes is kept.
    private readonly ConcurrentDictionary<string, bool> _reporters = new(StringComparer.Ordinal);

    /// <param name="nats">The cluster's NATS connection, open; null on a single node.</param>
    /// <param name="subject">The subject of track reports (deconflict.tracks).</param>
    public TrackRelay(INatsConnection? nats, string subject, TacticalService tactical, TrackRelayStatus status, IDeconflictStore store, DeconflictOptions options, TimeProvider time, ILogger<TrackRelay> log)
    {
        _nats = nats;
        Subject = subject;
        _tactical = tactical;
        Status = status;
        _store = store;
        _options = options.Tactical;
        _time = time;
        _log = log;
    }

    /// <summary>This process's name in its messages: a new one at every start, so a restarted node is never taken for its past self.</summary>
    public string Origin { get; } = Guid.NewGuid().ToString("N");

    public string Subject { get; }

    public TrackRelayStatus Status { get; }

    /// <summary>
    /// Sends a batch this node has just applied to the other nodes, without waiting for NATS: the
    /// request is answered at once whatever NATS does. Not relayed (and counted) while NATS is
    /// unreachable or the outbox is full.
    /// </summary>
    public void Publish(string party, IReadOnlyList<TrackReport> reports, DateTimeOffset received)
    {
        if (_nats is null || reports.Count == 0)
        {
            return;
        }

        var messages = (reports.Count + ReportsPerMessage - 1) / ReportsPerMessage;
        if (!Status.Connected)
        {
            Status.CountNotRelayed(messages);
            return;
        }

        for (var i = 0; i < messages; i++)
        {
            var message = Encode(Origin, party, received, reports.Skip(i * ReportsPerMessage).Take(ReportsPerMessage));
            if (!_outbox.Writer.TryWrite(message))
            {
                Status.CountNotRelayed(messages - i);
                return;
            }
        }
    }

    /// <summary>The message of a batch, version <see cref="TrackRelayMessage.CurrentVersion"/>.</summary>
    public static byte[] Encode(string origin, string party, DateTimeOffset received, IEnumerable<TrackReport> reports) =>
        JsonSerializer.SerializeToUtf8Bytes(
            new TrackRelayMessage
            {
                Version = TrackRelayMessage.CurrentVersion,
                Origin = origin,
                Party = party,
                ReceivedMs = received.ToUnixTimeMilliseconds(),
                Reports = reports.Select(r => new TrackRelayReport
                {
                    Id = r.Id,
                    TimeTicks = r.Time.UtcTicks,
                    Lat = r.Lat,
                    Lng = r.Lng,
                    AltitudeM = r.AltitudeM,
                    East = r.Velocity.East,
                    North = r.Velocity.North,
                    Up = r.Velocity.Up,
                    Callsign = r.Callsign,
                }).ToList(),
            },
            TrackRelayJson.Default.TrackRelayMessage);

    /// <summary>
    /// Reads a message: its origin, party and reports, or why it is malformed. Checks everything
    /// that does not need the store: the size, the JSON and its version, every member, and each
    /// report by the rules of POST /v1/tracks at <paramref name="now"/> (this node's clock).
    /// </summary>
    public static (string? Origin, string? Party, DateTimeOffset Received, List<TrackReport>? Reports, string? Malformed) Decode(ReadOnlySpan<byte> data, DateTimeOffset now, TacticalOptions options)
    {
        if (data.Length == 0 || data.Length > MaxMessageBytes)
        {
            return Refuse($"a message of {data.Length} bytes (1 to {MaxMessageBytes})");
        }

        TrackRelayMessage? message;
        try
        {
            message = JsonSerializer.Deserialize(data, TrackRelayJson.Default.TrackRelayMessage);
        }
        catch (JsonException)
        {
            return Refuse("not JSON of a track batch");
        }

        if (message is null || message.Version is not { } version)
        {
            return Refuse("no version");
        }

        if (version != TrackRelayMessage.CurrentVersion)
        {
            return Refuse($"version {version} (this node reads {TrackRelayMessage.CurrentVersion})");
        }

        if (message.Origin is not { Length: > 0 and <= 64 } origin)
        {
            return Refuse("no origin");
        }

        if (message.Party is not { Length: > 0 and <= MaxPartyLength } party)
        {
            return Refuse("no party");
        }

        if (message.ReceivedMs is not { } ms || ms < 0 || ms > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
        {
            return Refuse("no receive time");
        }

        if (message.Reports is not { Count: > 0 } items || items.Count > options.MaxReportsPerBatch)
        {
            return Refuse($"1 to {options.MaxReportsPerBatch} reports are needed");
        }

        var reports = new List<TrackReport>(items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i] is not { Id: { } id, TimeTicks: { } ticks, Lat: { } lat, Lng: { } lng, AltitudeM: { } altitude, East: { } east, North: { } north, Up: { } up } item)
            {
                return Refuse($"report {i} is missing a member");
            }

            if (ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks)
            {
                return Refuse($"report {i} has no valid time");
            }

            var report = new TrackReport(id, new DateTimeOffset(ticks, TimeSpan.Zero), lat, lng, altitude, new Enu(east, north, up), item.Callsign);
            if (TrackDraft.Check(report, now, options, new ReportPointer("/reports", i)) is { } wrong)
            {
                return Refuse($"report {i} is refused: {wrong.Detail}");
            }

            reports.Add(report);
        }

        return (origin, party, DateTimeOffset.FromUnixTimeMilliseconds(ms), reports, null);

        static (string?, string?, DateTimeOffset, List<TrackReport>?, string?) Refuse(string why) => (null, null, default, null, why);
    }

    /// <summary>Takes one message from NATS into the table, or drops and counts it. Never throws for what the message holds.</summary>
    public void Receive(ReadOnlySpan<byte> data)
    {
        var now = _time.GetUtcNow();
        var (origin, party, received, reports, malformed) = Decode(data, now, _options);
        if (malformed is null && origin == Origin)
        {
            Status.CountOwn();
            return;
        }

        if (malformed is null && !Reports(party!))
        {
            malformed = $"party '{party}' does not report tracks here";
        }

        if (malformed is not null)
        {
            Status.CountDropped();
            var count = Status.Dropped;

            // The first, then every 1,000th: a flood of bad messages must not flood the log.
            if (count == 1 || count % 1000 == 0)
            {
                _log.LogWarning("A track message on {Subject} was dropped ({Count} so far): {Reason}", Subject, count, malformed);
            }

            return;
        }

        if (received < now - _options.DropAfter)
        {
            Status.CountLate();
            return;
        }

        _tactical.Report(party!, reports!);
        Status.CountApplied();
    }

    /// <summary>
    /// Subscribes before the node serves anything, and waits until NATS has the subscription (a
    /// ping answered after it), so that no batch another node relays once this one answers is missed.
    /// </summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_nats is { } nats)
        {
            nats.ConnectionDisconnected += OnDisconnected;
            nats.ConnectionOpened += OnOpened;
            _subscription = await nats.SubscribeCoreAsync<byte[]>(Subject, cancellationToken: cancellationToken);
            await nats.PingAsync(cancellationToken);
            Status.Started(nats.ConnectionState == NatsConnectionState.Open);
        }

        await base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_nats is { } nats)
        {
            nats.ConnectionDisconnected -= OnDisconnected;
            nats.ConnectionOpened -= OnOpened;
        }

        if (_subscription is { } sub)
        {
            // Unsubscribing waits for NATS; a node stopping while NATS is away must not wait for it.
            try
            {
                await sub.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(2), cancellationToken);
            }
            catch (TimeoutException)
            {
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_nats is not { } nats || _subscription is not { } sub)
        {
            return;
        }

        try
        {
            await Task.WhenAll(Listen(sub, stoppingToken), Send(nats, stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task Listen(INatsSub<byte[]> sub, CancellationToken ct)
    {
        // The subscription outlives reconnections (the client subscribes again); it ends when the host stops.
        await foreach (var msg in sub.Msgs.ReadAllAsync(ct))
        {
            try
            {
                Receive(msg.Data ?? []);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Not the message's doing (a store read failed): the next one is taken as usual.
                Status.CountDropped();
                _log.LogError(e, "A track message could not be applied");
            }
        }
    }

    private async Task Send(INatsConnection nats, CancellationToken ct)
    {
        await foreach (var message in _outbox.Reader.ReadAllAsync(ct))
        {
            try
            {
                await nats.PublishAsync(Subject, message, cancellationToken: ct);
                Status.CountPublished();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Status.CountNotRelayed();
                _log.LogWarning("A track batch could not be relayed: {Reason}", e.Message);
            }
        }
    }

    private bool Reports(string party)
    {
        if (_reporters.ContainsKey(party))
        {
            return true;
        }

        if (_store.GetParty(party) is not { Role: PartyRole.Party })
        {
            return false;
        }

        _reporters[party] = true;
        return true;
    }

    private ValueTask OnDisconnected(object? sender, NatsEventArgs args)
    {
        Status.ConnectionLost();
        _log.LogWarning("NATS is unreachable: track reports are not relayed and tactical detection is paused");
        return ValueTask.CompletedTask;
    }

    private ValueTask OnOpened(object? sender, NatsEventArgs args)
    {
        Status.ConnectionOpened();
        _log.LogWarning("NATS is reachable again: track reports are relayed; tactical detection resumes in {Seconds} s", TrackRelayStatus.ResumeAfter.TotalSeconds);
        return ValueTask.CompletedTask;
    }
}
