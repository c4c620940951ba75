using System.Globalization;
using Deconflict.Api;
using Deconflict.Service;
using Deconflict.Storage;
using Npgsql;

namespace Deconflict.Cluster;

/// <summary>
/// Hears what the other nodes of a cluster committed (docs/cluster.md): the store notifies
/// <see cref="EventsChannel"/> with the sequence of the last event of each write and
/// <see cref="TokensChannel"/> with each revoked token's id, inside the write's transaction, so
/// PostgreSQL delivers them only if it commits, after it has, and in commit order. An event
/// notification wakes this node's event streams (<see cref="EventHub"/>), which read the events
/// from the store; a token notification drops the token from the cache of
/// <see cref="Authentication"/> and ends its requests here. A lost connection is opened again, and
/// since notifications sent meanwhile are gone, the streams are then woken up to the store's last
/// event and the whole token cache is dropped (as it is every second while no connection
/// listens). Every second the store's last event (and newest
/// signed head) is also read, so that even a silent listener costs the streams at most a second.
/// </summary>
public sealed class DatabaseListener : BackgroundService
{
    public const string EventsChannel = "deconflict_events";
    public const string TokensChannel = "deconflict_tokens";

    /// <summary>The application name of a node's listening connection, followed by its node id.</summary>
    public const string ApplicationPrefix = "deconflict-listen/";

    private const string Warning = "database-listener";

    private readonly string _connectionString;
    private readonly EventHub _hub;
    private readonly Authentication _auth;
    private readonly LiveRequests _live;
    private readonly IDeconflictStore _store;
    private readonly HealthWarnings _warnings;
    private readonly ILogger<DatabaseListener> _log;
    private NpgsqlConnection? _connection;
    private bool _failing;

    public DatabaseListener(string connectionString, IClusterState cluster, EventHub hub, Authentication auth, LiveRequests live, IDeconflictStore store, HealthWarnings warnings, ILogger<DatabaseListener> log)
    {
        (_hub, _auth, _live, _store, _warnings, _log) = (hub, auth, live, store, warnings, log);
        var builder = new NpgsqlConnectionStringBuilder(connectionString)
        {
            ApplicationName = ApplicationPrefix + cluster.NodeId,
            Pooling = false,
            Timeout = (int)PostgresCluster.CheckTimeout.TotalSeconds,
            CommandTimeout = (int)PostgresCluster.CheckTimeout.TotalSeconds,
            TcpKeepAlive = true,
            TcpKeepAliveTime = 4,
            TcpKeepAliveInterval = 1,
        };
        _connectionString = builder.ConnectionString;
    }

    /// <summary>How often the store's last event is read and the listening connection checked.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>True while the listening connection is open and listening.</summary>
    public bool Listening => Volatile.Read(ref _connection) is not null;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var nextPoll = DateTimeOffset.UtcNow;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var connection = _connection ?? await ConnectAsync(stoppingToken);
                var wait = nextPoll - DateTimeOffset.UtcNow;
                if (wait > TimeSpan.Zero)
                {
                    // Returns at the first notification (handled by OnNotification within the call) or at the time limit.
                    await connection.WaitAsync(PostgresCluster.WaitMilliseconds(wait), stoppingToken);
                }

                if (DateTimeOffset.UtcNow >= nextPoll)
                {
                    nextPoll = DateTimeOffset.UtcNow + PollInterval;

                    // A connection that stopped answering hears nothing: ask it something.
                    await using var ping = new NpgsqlCommand("SELECT 1", connection);
                    await ping.ExecuteScalarAsync(stoppingToken);
                    Poll();
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                Lost(e);
                Poll();

                // Revocations on other nodes go unheard: read every token from the store again
                // (once a period), so that a revoked one is still refused within a period.
                _auth.ForgetAll();
                try
                {
                    await Task.Delay(PollInterval, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                nextPoll = DateTimeOffset.UtcNow;
            }
        }

        Close();
    }

    private async Task<NpgsqlConnection> ConnectAsync(CancellationToken ct)
    {
        var connection = new NpgsqlConnection(_connectionString);
        try
        {
            connection.Notification += OnNotification;
            await connection.OpenAsync(ct);
            await using var listen = new NpgsqlCommand($"SET tcp_keepalives_idle = 4; SET tcp_keepalives_interval = 1; SET tcp_keepalives_count = 3; LISTEN {EventsChannel}; LISTEN {TokensChannel}", connection);
            await listen.ExecuteNonQueryAsync(ct);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }

        Volatile.Write(ref _connection, connection);

        // Listening from now on; what was committed before, or while no connection listened, is
        // caught up here: the streams read up to the store's last event, and any token may have
        // been revoked unheard, so the cache is dropped (each token is read again once).
        _auth.ForgetAll();
        _hub.Published(_store.LastEventSequence());
        if (_failing)
        {
            _failing = false;
            _warnings.Clear(Warning);
            _log.LogWarning("The database listener is connected again; the token cache was dropped and the event streams caught up");
        }

        return connection;
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        switch (e.Channel)
        {
            case EventsChannel when long.TryParse(e.Payload, NumberStyles.None, CultureInfo.InvariantCulture, out var sequence):
                _hub.Published(sequence);
                break;
            case TokensChannel when e.Payload.Length > 0:
                _auth.Forget([e.Payload]);

                // The token's requests in flight here (its event streams) end as on the node that
                // revoked it; waiting for them to end is not this connection's business.
                _ = _live.EndAsync([e.Payload]);
                break;
            default:
                _log.LogWarning("A notification on {Channel} was not understood: '{Payload}'", e.Channel, e.Payload.Length > 64 ? e.Payload[..64] : e.Payload);
                break;
        }
    }

    /// <summary>The safety net: the streams learn of the store's last event, and of its newest head, at least once a period.</summary>
    private void Poll()
    {
        try
        {
            _hub.Published(_store.LastEventSequence());
            if (_store.LatestHead() is { } head)
            {
                _hub.HeadSigned(head);
            }
        }
        catch (Exception e)
        {
            _log.LogDebug(e, "Reading the store's last event failed; the next poll tries again");
        }
    }

    private void Lost(Exception e)
    {
        if (!_failing)
        {
            _failing = true;
            _log.LogWarning("The database listener lost its connection ({Reason}); events of other nodes reach the streams by polling until it is back", e.Message);
        }

        _warnings.Raise(Warning, $"the database listener is not connected ({e.Message}): events of other nodes reach the streams, and revocations the requests, by polling every {PollInterval.TotalSeconds} s");
        Close();
    }

    private void Close()
    {
        var connection = Interlocked.Exchange(ref _connection, null);
        if (connection is null)
        {
            return;
        }

        connection.Notification -= OnNotification;
        try
        {
            connection.Dispose();
        }
        catch (Exception e)
        {
            _log.LogDebug(e, "Closing the listening connection failed");
        }
    }

    public override void Dispose()
    {
        base.Dispose();
        Close();
    }
}
