using System.Text.RegularExpressions;
using Deconflict.Service;
using Npgsql;

namespace Deconflict.Cluster;

/// <summary>
/// A node of a cluster on PostgreSQL (docs/cluster.md). The lease of the background duties is a
/// session advisory lock held on a connection of its own, named <c>deconflict-node/&lt;NodeId&gt;</c>:
/// PostgreSQL releases it when that session ends, however the node ends, so a node that dies hands
/// the lease on without anyone having to notice it. Every <see cref="Interval"/> the node checks the
/// connection (and, while it does not hold the lease, tries to take it); on any error it stops
/// holding the lease at once and connects again. The live nodes are the distinct names of such
/// connections to the database.
/// <para>
/// Taking the lease also increments its epoch in the database (<c>record_state.lease_epoch</c>),
/// under the record head lock that every write transaction takes first, before the duties learn
/// that the node holds it. The duties' writes carry that epoch, and the write session refuses one
/// whose epoch is no longer current (<see cref="LeaseGate"/>): a node that lost the lease without
/// knowing it yet cannot commit a duty's write after another node took over and read its state.
/// </para>
/// </summary>
public sealed partial class PostgresCluster : BackgroundService, IClusterState
{
    /// <summary>The advisory lock's key: "Deconfl" in ASCII.</summary>
    public const long LeaseKey = 0x4465636f6e666c;

    /// <summary>The application name of every node's lease connection, followed by its node id.</summary>
    public const string ApplicationPrefix = "deconflict-node/";

    /// <summary>The longest node id: with the prefix it fits PostgreSQL's 63-byte application names.</summary>
    public const int MaxNodeIdLength = 40;

    /// <summary>How long a check may take before the connection is taken for lost (and the lease with it).</summary>
    public static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(3);

    private const string Warning = "cluster-lease";

    // The lease is checked by asking whether the lease's own connection still holds the lock (pg_locks names a
    // bigint key by its high and low halves), not only whether the connection answers. A session
    // already holding the lock does not take it again: session locks stack, and one taken twice
    // would need two unlocks.
    private static readonly string HoldSql =
        $"SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted AND classid = {LeaseKey >> 32} AND objid = {LeaseKey & 0xffffffff} AND objsubid = 1), {NodesSql}";

    private static readonly string TakeSql = $"SELECT pg_try_advisory_lock({LeaseKey}), {NodesSql}";

    // The UPDATE locks the record head row as every write transaction does first, so the new epoch
    // commits between two writes: any write after it sees it.
    internal const string EpochSql = "UPDATE record_state SET lease_epoch = lease_epoch + 1 WHERE id = 1 RETURNING lease_epoch";

    private readonly string _connectionString;
    private readonly HealthWarnings _warnings;
    private readonly ILogger<PostgresCluster> _log;
    private NpgsqlConnection? _connection;
    private volatile bool _holds;
    private long _epoch;
    private volatile int _liveNodes = 1;
    private bool _failing;

    /// <param name="connectionString">The cluster's database (an Npgsql connection string).</param>
    /// <param name="nodeId">This node's id, from configuration; null: one made of the host name, the process id and a random part.</param>
    /// <exception cref="ArgumentException">The node id or the connection string is not valid (one line).</exception>
    public PostgresCluster(string connectionString, string? nodeId, HealthWarnings warnings, ILogger<PostgresCluster> log)
    {
        if (nodeId is not null && NodeIdProblem(nodeId) is { } problem)
        {
            throw new ArgumentException($"The node id '{nodeId}' {problem}.", nameof(nodeId));
        }

        NodeId = nodeId ?? NewNodeId();
        _warnings = warnings;
        _log = log;
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            throw new ArgumentException($"The PostgreSQL connection string is not valid: {e.Message}", nameof(connectionString), e);
        }

        builder.ApplicationName = ApplicationPrefix + NodeId;

        // Its own physical connection: closing it must end the session (and release the lock), not
        // return it to a pool.
        builder.Pooling = false;
        builder.Timeout = (int)CheckTimeout.TotalSeconds;
        builder.CommandTimeout = (int)CheckTimeout.TotalSeconds;

        // The node's side notices a silent network through the checks' time limit; TCP keepalives
        // also end the socket of a peer that vanished between them.
        builder.TcpKeepAlive = true;
        builder.TcpKeepAliveTime = 4;
        builder.TcpKeepAliveInterval = 1;
        _connectionString = builder.ConnectionString;
    }

    public string NodeId { get; }

    public bool HoldsLease => _holds;

    public long Epoch => Interlocked.Read(ref _epoch);

    public int LiveNodes => _liveNodes;

    /// <summary>How often the lease is checked or tried.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    // A node whose session just failed waits a period more before it tries again, so that the
    // nodes whose sessions work take the lease first: it moves to a healthy node rather than back
    // to the one whose connection failed.
    private TimeSpan Backoff => Interval * 2;

    /// <summary>Why <paramref name="id"/> cannot be a node id (a phrase to follow it), or null when it can.</summary>
    public static string? NodeIdProblem(string id) =>
        id.Length is 0 or > MaxNodeIdLength ? $"must have 1 to {MaxNodeIdLength} characters"
        : !NodeIdPattern().IsMatch(id) ? "may hold only letters, digits, '.', '_' and '-'"
        : null;

    /// <summary>A node id unique among the nodes: the host's name, the process id and a random part.</summary>
    public static string NewNodeId()
    {
        var host = NotInNodeId().Replace(Environment.MachineName, "-");
        host = host.Length == 0 ? "node" : host[..Math.Min(host.Length, 20)];
        return $"{host}-{Environment.ProcessId}-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4))}";
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var wait = Interval;
            try
            {
                await CheckAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                Lost(e);
                wait = Backoff;
            }

            try
            {
                await WaitAsync(wait, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
        }
    }

    /// <summary>
    /// Waits for the next check on the connection itself: a session the server ends (terminated,
    /// or the server shutting down) says so on it, and the lease is let go at once rather than
    /// at the next check, while another node may already be taking it.
    /// </summary>
    private async Task WaitAsync(TimeSpan wait, CancellationToken ct)
    {
        if (_connection is not { } connection)
        {
            await Task.Delay(wait, ct);
            return;
        }

        try
        {
            // Nothing is sent on the lease's connection but the checks' answers: a message before the time
            // is up is the server's notice that it ends the session (which throws here), or a
            // stray notice, after which the next check merely comes early.
            await connection.WaitAsync(WaitMilliseconds(wait), ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            Lost(e);
            await Task.Delay(Backoff, ct);
        }
    }

    /// <summary>A time limit for <see cref="NpgsqlConnection.WaitAsync(int, CancellationToken)"/>, where 0 would mean no limit at all.</summary>
    internal static int WaitMilliseconds(TimeSpan wait) => (int)Math.Clamp(Math.Ceiling(wait.TotalMilliseconds), 1, int.MaxValue);

    private async Task CheckAsync(CancellationToken ct)
    {
        if (_connection is null)
        {
            var connection = new NpgsqlConnection(_connectionString);
            try
            {
                await connection.OpenAsync(ct);

                // The server's side: a node whose machine died (no FIN, no RST) is dropped after
                // 4 s of silence and 3 unanswered probes a second apart, and its lock with it; the
                // node, checking every second with a 3 s limit, has let go of the lease before.
                await using var keepalive = new NpgsqlCommand("SET tcp_keepalives_idle = 4; SET tcp_keepalives_interval = 1; SET tcp_keepalives_count = 3", connection);
                await keepalive.ExecuteNonQueryAsync(ct);
            }
            catch
            {
                await connection.DisposeAsync();
                throw;
            }

            _connection = connection;
        }

        await using var cmd = new NpgsqlCommand(_holds ? HoldSql : TakeSql, _connection);
        bool holds;
        long nodes;
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            holds = reader.GetBoolean(0);
            nodes = reader.GetInt64(1);
        }

        _liveNodes = (int)Math.Clamp(nodes, 1, int.MaxValue);
        if (_failing)
        {
            _failing = false;
            _warnings.Clear(Warning);
            _log.LogWarning("Node {Node} is connected to the database again", NodeId);
        }

        _log.LogTrace("Node {Node}: holds {Holds}, {Nodes} live nodes", NodeId, holds, nodes);
        if (holds && !_holds)
        {
            // The new epoch is committed before any duty sees the lease, so what a duty reads again
            // on gaining it holds every duty write committed under an older epoch; any later is refused.
            var epoch = await TakeEpochAsync(_connection, ct);
            Interlocked.Exchange(ref _epoch, epoch);
            _holds = true;
            _log.LogWarning("Node {Node} gained the lease (epoch {Epoch}): it runs the background duties", NodeId, epoch);
        }
        else if (!holds && _holds)
        {
            // Only a session that lost its lock without losing itself gets here: start afresh.
            throw new InvalidOperationException("the session no longer holds the lease's lock");
        }
    }

    /// <summary>Increments the lease's epoch and returns it. A failure fails the check, and the session (with the lock) is closed.</summary>
    private static async Task<long> TakeEpochAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        try
        {
            await using var cmd = new NpgsqlCommand(EpochSql, connection);
            return (long)(await cmd.ExecuteScalarAsync(ct))!;
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.UndefinedColumn)
        {
            // A database the store has not migrated yet, where no write commits. Epoch 0 is what a
            // migrated database starts at, and the next node to take the lease moves past it.
            return 0;
        }
    }

    private void Lost(Exception e)
    {
        _log.LogDebug(e, "Node {Node}: the lease connection failed", NodeId);
        if (_holds)
        {
            _holds = false;
            _log.LogWarning("Node {Node} lost the lease ({Reason}): another node takes it over", NodeId, e.Message);
        }

        if (!_failing)
        {
            _failing = true;
            _log.LogWarning("Node {Node} cannot hold its lease connection to the database ({Reason}); it tries again in {Seconds} s", NodeId, e.Message, Backoff.TotalSeconds);
        }

        _warnings.Raise(Warning, $"the lease connection to the database failed ({e.Message}); reconnecting");
        Close();
    }

    private void Close()
    {
        var connection = _connection;
        _connection = null;
        try
        {
            connection?.Dispose();
        }
        catch (Exception e)
        {
            _log.LogDebug(e, "Closing the lease connection failed");
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);

        // Closing the session releases the lock now: another node need not wait for a timeout.
        if (_holds)
        {
            _holds = false;
            _log.LogWarning("Node {Node} released the lease as it stops", NodeId);
        }

        Close();
    }

    public override void Dispose()
    {
        _holds = false;
        Close();
        base.Dispose();
    }

    [GeneratedRegex("^[A-Za-z0-9._-]+$")]
    private static partial Regex NodeIdPattern();

    [GeneratedRegex("[^A-Za-z0-9._-]")]
    private static partial Regex NotInNodeId();

    private const string NodesSql =
        $"(SELECT count(DISTINCT application_name) FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE '{ApplicationPrefix}%')";
}
