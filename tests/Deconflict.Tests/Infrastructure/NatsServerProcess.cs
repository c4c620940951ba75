using System.Diagnostics;
using System.Net.Sockets;

namespace Deconflict.Tests.Infrastructure;

/// <summary>
/// A private nats-server on its own loopback port, for a test that must stop NATS under a running
/// cluster: only this process is ever killed, never the shared server.
/// </summary>
public sealed class NatsServerProcess : IDisposable
{
    private Process? _process;

    private NatsServerProcess(int port)
    {
        Port = port;
    }

    public int Port { get; }

    public string Url => $"nats://127.0.0.1:{Port}";

    public static async Task<NatsServerProcess> StartAsync(int port = 0)
    {
        var server = new NatsServerProcess(port == 0 ? TestServer.FreePort() : port);
        await server.RestartAsync();
        return server;
    }

    /// <summary>The NATS server every test shares (DECONFLICT_TEST_NATS); tests keep apart by their own subject prefix.</summary>
    public static string SharedUrl => Environment.GetEnvironmentVariable("DECONFLICT_TEST_NATS") is { Length: > 0 } url ? url : "nats://127.0.0.1:4222";

    /// <summary>Starts the server again on its port (after <see cref="Kill"/>) and waits until it accepts connections.</summary>
    public async Task RestartAsync()
    {
        var info = new ProcessStartInfo("nats-server") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-a", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            info.ArgumentList.Add(arg);
        }

        _process = Process.Start(info) ?? throw new InvalidOperationException("could not start nats-server");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync("127.0.0.1", Port, deadline.Token);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50, deadline.Token);
            }
        }
    }

    /// <summary>Kills this server (and only it) at once, as a crash would.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill();
            p.WaitForExit(10_000);
        }

        _process?.Dispose();
        _process = null;
    }

    public void Dispose() => Kill();
}
