using Deconflict.Tests.Infrastructure;

namespace Deconflict.Tests.Cluster;

/// <summary>
/// One `deconflict serve` process of a cluster, on a loopback port of its own that it keeps when it
/// is killed and started again (so clients and streams come back to the address they know).
/// </summary>
public sealed class ClusterNode : IDisposable
{
    private readonly IReadOnlyList<string> _serveArgs;
    private readonly string _adminToken;
    private readonly ApiClients _clients;
    private ServerProcess? _process;

    internal ClusterNode(int index, int port, IReadOnlyList<string> serveArgs, string adminToken)
    {
        Index = index;
        Port = port;
        _serveArgs = serveArgs;
        _adminToken = adminToken;
        BaseAddress = new Uri($"http://127.0.0.1:{port}/");
        _clients = new ApiClients(BaseAddress);
    }

    /// <summary>The node's place in its cluster (0, 1, 2...), for messages.</summary>
    public int Index { get; }

    public int Port { get; }

    public Uri BaseAddress { get; }

    /// <summary>True while the process runs (it may still be unhealthy: see <see cref="HealthAsync"/>).</summary>
    public bool Running => _process is { HasExited: false };

    /// <summary>The process's last lines of output, for a failing test's message.</summary>
    public string RecentOutput => _process?.RecentOutput ?? string.Empty;

    public override string ToString() => $"node {Index} ({BaseAddress})";

    /// <summary>Starts the process (again, after <see cref="Kill"/>) and waits until /healthz answers 200.</summary>
    public async Task StartAsync()
    {
        if (Running)
        {
            throw new InvalidOperationException($"{this} is already running");
        }

        _process?.Dispose();
        _process = await ServerProcess.StartServeAsync(_adminToken, Port, _serveArgs);
    }

    /// <summary>SIGKILL to the node (and anything it started): no shutdown, no lease released, connections cut.</summary>
    public void Kill()
    {
        _process?.Kill();
    }

    /// <summary>A client of this node with this bearer token (none: anonymous); disposed with the node.</summary>
    public HttpClient Client(string? token) => _clients.Create(token);

    public HttpClient Admin() => Client(_adminToken);

    /// <summary>The node's /healthz, or null when it does not answer within 2 s (dead, or not listening yet).</summary>
    public async Task<NodeHealth?> HealthAsync()
    {
        using var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        try
        {
            var r = await client.Get("healthz");
            return NodeHealth.Parse(r.Status, r.Body);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        _clients.Dispose();

        _process?.Dispose();
        _process = null;
    }
}
