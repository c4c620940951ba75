using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Deconflict.Tests.Infrastructure;

/// <summary>The deconflict executable as its own process, for tests that must kill it outright.</summary>
public sealed class ServerProcess : IDisposable
{
    private readonly Process _process;

    private ServerProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public static async Task<ServerProcess> StartAsync(string dbPath, string adminToken, params string[] extraArgs)
    {
        var port = FreePort();
        var dll = typeof(ServerHost).Assembly.Location;
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "exec", dll, "serve", "--db", dbPath, "--urls", $"http://127.0.0.1:{port}" }.Concat(extraArgs))
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["DECONFLICT_ADMIN_TOKEN"] = adminToken;
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start deconflict");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new ServerProcess(process, new Uri($"http://127.0.0.1:{port}/"));
        await server.WaitHealthyAsync();
        return server;
    }

    /// <summary>SIGKILL: no graceful shutdown, no flush, no finally blocks.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Kill();
        }

        _process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task WaitHealthyAsync()
    {
        using var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"deconflict exited with {_process.ExitCode} before it was healthy");
            }

            try
            {
                if ((await client.GetAsync("healthz")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("deconflict did not become healthy in 60 s");
    }
}
