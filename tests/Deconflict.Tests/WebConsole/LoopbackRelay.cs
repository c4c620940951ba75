using System.Net;
using System.Net.Sockets;

namespace Deconflict.Tests.WebConsole;

/// <summary>
/// A TCP relay on a loopback port in front of a server, to cut a browser's connections as a broken
/// network would while the server stays up: <see cref="Cut"/> drops every open connection and
/// refuses new ones until <see cref="Restore"/>; <see cref="FreezeStreams"/> keeps the open event
/// streams open but lets nothing more through them (a route that died without a reset), while other
/// connections and new ones work. (Chromium's offline emulation leaves an open
/// response stream running, so it cannot break an event stream.)
/// </summary>
public sealed class LoopbackRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Uri _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _open = [];
    private readonly HashSet<TcpClient> _frozen = [];
    private readonly HashSet<TcpClient> _streams = [];
    private readonly Task _accepting;
    private volatile bool _down;

    public LoopbackRelay(Uri target)
    {
        _target = target;
        _listener.Start();
        Address = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
        _accepting = AcceptAsync();
    }

    public Uri Address { get; }

    /// <summary>Drops every open connection and refuses new ones.</summary>
    public void Cut()
    {
        _down = true;
        lock (_open)
        {
            foreach (var c in _open)
            {
                c.Dispose();
            }

            _open.Clear();
        }
    }

    public void Restore() => _down = false;

    /// <summary>From now on, nothing passes through the event streams open now, which stay open.</summary>
    public void FreezeStreams()
    {
        lock (_open)
        {
            _frozen.UnionWith(_streams);
        }
    }

    private bool IsFrozen(TcpClient client)
    {
        lock (_open)
        {
            return _frozen.Contains(client);
        }
    }

    /// <summary>Copies bytes one way until either side closes; bytes read from a frozen connection are dropped.</summary>
    private async Task PumpAsync(TcpClient from, TcpClient to)
    {
        var buffer = new byte[16 * 1024];
        var source = from.GetStream();
        var target = to.GetStream();
        int read;
        while ((read = await source.ReadAsync(buffer, _stop.Token)) > 0)
        {
            // A response that is an event stream marks its connection (both ends) as a stream.
            if (System.Text.Encoding.ASCII.GetString(buffer, 0, read).Contains("Content-Type: text/event-stream", StringComparison.OrdinalIgnoreCase))
            {
                lock (_open)
                {
                    _streams.Add(from);
                    _streams.Add(to);
                }
            }

            if (!IsFrozen(from))
            {
                await target.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            }
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            if (_down)
            {
                client.Dispose();
                continue;
            }

            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        var upstream = new TcpClient();
        lock (_open)
        {
            _open.Add(client);
            _open.Add(upstream);
        }

        try
        {
            await upstream.ConnectAsync(_target.Host, _target.Port, _stop.Token);
            await Task.WhenAny(PumpAsync(client, upstream), PumpAsync(upstream, client));
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
        }
        finally
        {
            client.Dispose();
            upstream.Dispose();
            lock (_open)
            {
                _open.Remove(client);
                _open.Remove(upstream);
                _frozen.Remove(client);
                _frozen.Remove(upstream);
                _streams.Remove(client);
                _streams.Remove(upstream);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Cut();
        await _accepting;
        _stop.Dispose();
    }
}
