using System.Diagnostics;
using System.Net.Sockets;
using Deconflict.Tests.Infrastructure;

namespace Deconflict.Tests.Cluster;

/// <summary>
/// A nats-server of one cluster's own on a free loopback port: the track reports of one test's
/// nodes (subject deconflict.tracks) never reach the nodes of another test, or of another
/// process using the shared server, and a test may kill it.
/// </summary>
public sealed class PrivateNats : IAsyncDisposable
{
    private Process? _server;

    private PrivateNats(int port) => Port = port;

    public int Port { get; }

    public string Url => $"nats://127.0.0.1:{Port}";

    public static async Task<PrivateNats> StartAsync()
    {
        var nats = new PrivateNats(TestServer.FreePort());
        await nats.RestartAsync();
        return nats;
    }

    public void Kill()
    {
        if (_server is { } s)
        {
            ProcessRun.Kill(s);
            s.Dispose();
            _server = null;
        }
    }

    /// <summary>Starts the server on its port and waits until it accepts connections.</summary>
    public async Task RestartAsync()
    {
        _server = ProcessRun.Start(_ => { }, "nats-server", "-a", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync("127.0.0.1", Port);
                return;
            }
            catch (SocketException) when (!_server.HasExited && deadline.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(50);
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        return ValueTask.CompletedTask;
    }
}
