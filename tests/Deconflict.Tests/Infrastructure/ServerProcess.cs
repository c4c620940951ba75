using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Deconflict.Tests.Infrastructure;

/// <summary>The deconflict executable as its own process, for tests that must kill it outright.</summary>
public sealed class ServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly OutputTail _output = new(200);

    private ServerProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public int Port => BaseAddress.Port;

    public bool HasExited => _process.HasExited;

    /// <summary>The last lines the server wrote (standard output and error together), for a failing test's message.</summary>
    public string RecentOutput => _output.ToString();

    public static Task<ServerProcess> StartAsync(string dbPath, string adminToken, params string[] extraArgs) =>
        StartAsync(dbPath, adminToken, FreePort(), extraArgs);

    /// <summary>A server on this port (a restart at the address its clients know).</summary>
    public static Task<ServerProcess> StartAsync(string dbPath, string adminToken, int port, params string[] extraArgs) =>
        StartServeAsync(adminToken, port, ["--db", dbPath, .. extraArgs]);

    /// <summary>
    /// <c>deconflict serve</c> with these arguments (the store's among them: --db, or --store and
    /// the cluster's) on this port, with these extra environment variables; returns once /healthz
    /// answers 200.
    /// </summary>
    public static async Task<ServerProcess> StartServeAsync(string adminToken, int port, IEnumerable<string> serveArgs, IReadOnlyDictionary<string, string>? environment = null)
    {
        var dll = typeof(ServerHost).Assembly.Location;
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "exec", dll, "serve" }.Concat(serveArgs).Concat(["--urls", $"http://127.0.0.1:{port}"]))
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["DECONFLICT_ADMIN_TOKEN"] = adminToken;
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start deconflict");
        var server = new ServerProcess(process, new Uri($"http://127.0.0.1:{port}/"));
        process.OutputDataReceived += (_, e) => server._output.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => server._output.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await server.WaitHealthyAsync();
        }
        catch
        {
            server.Dispose();
            throw;
        }

        return server;
    }

    /// <summary>
    /// Runs <c>deconflict serve</c> on the database and waits for it to exit by itself (for a server
    /// that must refuse to start); one that is still running after 60 s is killed and reported as
    /// exit code -1.
    /// </summary>
    public static async Task<(int ExitCode, string Out, string Error)> RunServeToExitAsync(string dbPath, string? adminToken = null)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "exec", typeof(ServerHost).Assembly.Location, "serve", "--db", dbPath, "--urls", $"http://127.0.0.1:{FreePort()}" })
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment.Remove("DECONFLICT_ADMIN_TOKEN");
        if (adminToken is not null)
        {
            info.Environment["DECONFLICT_ADMIN_TOKEN"] = adminToken;
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start deconflict");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return (-1, await output, await error);
        }

        return (process.ExitCode, await output, await error);
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
                throw new InvalidOperationException($"deconflict exited with {_process.ExitCode} before it was healthy: {RecentOutput}");
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

        throw new TimeoutException($"deconflict did not become healthy in 60 s: {RecentOutput}");
    }
}
