using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Deconflict.Tests.Infrastructure;

/// <summary>
/// Debian's nginx (/usr/sbin/nginx) as the current user, in front of a cluster's nodes with the
/// repository's own deploy/nginx/deconflict.conf: a main configuration of its own (logs, pid and
/// temporary files in a directory of its own, so no root and nothing of the machine's nginx) whose
/// http block includes a copy of that file in which only the four addresses 127.0.0.1:8080..8083
/// are replaced by the ports of this test. Everything else in the file is used as written, so what
/// a test shows through it holds for the file an operator installs.
/// </summary>
public sealed partial class NginxProcess : IDisposable
{
    public const string Executable = "/usr/sbin/nginx";

    private readonly Process _process;
    private readonly string _directory;
    private readonly OutputTail _output = new(100);
    private readonly ApiClients _clients;

    private NginxProcess(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
        BaseAddress = new Uri($"http://127.0.0.1:{port}/");
        _clients = new ApiClients(BaseAddress);
    }

    /// <summary>The one address in front of the nodes (the file's 127.0.0.1:8080).</summary>
    public Uri BaseAddress { get; }

    public int Port { get; }

    /// <summary>nginx's error log and what it wrote to its standard error, for a failing test's message.</summary>
    public string RecentOutput
    {
        get
        {
            var log = Path.Combine(_directory, "error.log");
            return (File.Exists(log) ? File.ReadAllText(log) : string.Empty) + _output;
        }
    }

    /// <summary>
    /// Starts nginx with the repository's file, its three upstream servers pointed at
    /// <paramref name="nodePorts"/> in order, and waits until it accepts connections.
    /// </summary>
    public static async Task<NginxProcess> StartAsync(IReadOnlyList<int> nodePorts)
    {
        if (nodePorts.Count != 3)
        {
            throw new ArgumentException("deconflict.conf names three nodes", nameof(nodePorts));
        }

        var directory = Path.Combine(Path.GetTempPath(), "deconflict-tests", "nginx-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var port = TestServer.FreePort();
        File.WriteAllText(Path.Combine(directory, "deconflict.conf"), Retarget(File.ReadAllText(ConfigurationFile()), [port, .. nodePorts]));

        // worker_processes 1: one worker's round robin is the only one, so requests go to the nodes
        // in turn and a test can say where each goes. The temporary paths replace Debian's
        // compiled-in /var/lib/nginx, which the current user may not write.
        File.WriteAllText(Path.Combine(directory, "nginx.conf"), $$"""
            worker_processes 1;
            error_log {{directory}}/error.log notice;
            pid {{directory}}/nginx.pid;
            events {}
            http {
                access_log off;
                client_body_temp_path {{directory}}/client_body;
                proxy_temp_path {{directory}}/proxy;
                fastcgi_temp_path {{directory}}/fastcgi;
                uwsgi_temp_path {{directory}}/uwsgi;
                scgi_temp_path {{directory}}/scgi;
                include {{directory}}/deconflict.conf;
            }
            """);

        var info = new ProcessStartInfo(Executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "-p", directory, "-c", Path.Combine(directory, "nginx.conf"), "-g", "daemon off;" })
        {
            info.ArgumentList.Add(arg);
        }

        // In the foreground (daemon off), the process started here is nginx's master: its pid is
        // the one to end, and its workers are its children.
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start " + Executable);
        var nginx = new NginxProcess(process, directory, port);
        process.OutputDataReceived += (_, e) => nginx._output.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => nginx._output.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await nginx.WaitListeningAsync();
        }
        catch
        {
            nginx.Dispose();
            throw;
        }

        return nginx;
    }

    /// <summary>A client of nginx's address with this bearer token (none: anonymous); disposed with nginx.</summary>
    public HttpClient Client(string? token) => _clients.Create(token);

    public void Dispose()
    {
        _clients.Dispose();

        // This master and its workers, by the pid of the process started here, and nothing else.
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>
    /// The file with 127.0.0.1:8080 (listen) and 127.0.0.1:8081..8083 (the nodes) replaced by these
    /// four ports, in one pass so that a chosen port cannot be replaced again. Each of the four
    /// must be in the file: a file that no longer names them is not the one this fixture proves.
    /// </summary>
    private static string Retarget(string configuration, int[] ports)
    {
        for (var i = 0; i < ports.Length; i++)
        {
            var address = $"127.0.0.1:{8080 + i}";
            if (!configuration.Contains(address, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"deploy/nginx/deconflict.conf does not name {address}");
            }
        }

        return FileAddress().Replace(configuration, m => "127.0.0.1:" + ports[m.Groups[1].Value[0] - '0'].ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>deploy/nginx/deconflict.conf of the repository the tests were built from.</summary>
    private static string ConfigurationFile() => Path.Combine(Repository.Root, "deploy", "nginx", "deconflict.conf");

    [GeneratedRegex(@"127\.0\.0\.1:808([0-3])(?![0-9])")]
    private static partial Regex FileAddress();

    private async Task WaitListeningAsync()
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"nginx exited with {_process.ExitCode}: {RecentOutput}");
            }

            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync("127.0.0.1", Port);
                return;
            }
            catch (SocketException) when (clock.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(50);
            }
            catch (SocketException e)
            {
                throw new TimeoutException($"nginx does not accept connections on {BaseAddress} after 10 s: {RecentOutput}", e);
            }
        }
    }
}
