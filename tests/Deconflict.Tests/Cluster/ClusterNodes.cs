using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Deconflict.Tests.Cli;
using Deconflict.Tests.Infrastructure;

namespace Deconflict.Tests.Cluster;

/// <summary>
/// N equal `deconflict serve` processes on one PostgreSQL database and one NATS server, as an
/// operator runs them (README "Several nodes"): `serve --store CONN --nats URL --keys DIR`, the
/// keys made once by `deconflict keys create DIR`, one admin token. Each test makes its own
/// (a fresh database, a NATS server of its own) and disposes it.
/// </summary>
public sealed class ClusterNodes : IAsyncDisposable
{
    public const string AdminToken = TestServer.AdminSecret;

    private readonly List<ClusterNode> _nodes;
    private readonly string _directory;
    private readonly PrivateNats? _nats;

    private ClusterNodes(List<ClusterNode> nodes, string directory, PrivateNats? nats, string natsUrl)
    {
        _nodes = nodes;
        _directory = directory;
        _nats = nats;
        NatsUrl = natsUrl;
    }

    public IReadOnlyList<ClusterNode> Nodes => _nodes;

    public ClusterNode this[int index] => _nodes[index];

    public string NatsUrl { get; }

    /// <summary>
    /// Starts <paramref name="count"/> nodes on the database and waits until each answers /healthz.
    /// Without <paramref name="natsUrl"/> the cluster gets a nats-server of its own.
    /// </summary>
    public static async Task<ClusterNodes> StartAsync(int count, string storeConnection, string? natsUrl = null, params string[] extraServeArgs)
    {
        var directory = Path.Combine(Path.GetTempPath(), "deconflict-tests", "cluster-" + Guid.NewGuid().ToString("N"));
        var keys = Path.Combine(directory, "keys");
        Directory.CreateDirectory(directory);
        var nats = natsUrl is null ? await PrivateNats.StartAsync() : null;
        var cluster = new ClusterNodes([], directory, nats, natsUrl ?? nats!.Url);
        try
        {
            var made = await CliTests.Execute(CliTests.Command(null, string.Empty, "keys", "create", keys));
            Assert.True(made.Exit == 0, $"deconflict keys create exited with {made.Exit}: {made.Err}");
            string[] args = ["--store", storeConnection, "--nats", cluster.NatsUrl, "--keys", keys, .. extraServeArgs];
            for (var i = 0; i < count; i++)
            {
                cluster._nodes.Add(new ClusterNode(i, TestServer.FreePort(), args, AdminToken));
            }

            // The first node alone makes the schema of the fresh database; the others then start together.
            await cluster._nodes[0].StartAsync();
            await Task.WhenAll(cluster._nodes.Skip(1).Select(n => n.StartAsync()));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>The nodes whose process runs.</summary>
    public IEnumerable<ClusterNode> Running => _nodes.Where(n => n.Running);

    /// <summary>
    /// The one running node that says it holds the lease (while every other running node says it
    /// does not), waiting up to <paramref name="timeout"/> for the cluster to agree.
    /// </summary>
    public async Task<ClusterNode> LeaseHolderAsync(TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        var last = string.Empty;
        while (true)
        {
            var running = Running.ToList();
            var healths = await Task.WhenAll(running.Select(n => n.HealthAsync()));
            var holders = running.Where((n, i) => healths[i]?.HoldsLease == true).ToList();
            if (holders.Count == 1 && healths.All(h => h?.HoldsLease is not null))
            {
                return holders[0];
            }

            last = string.Join("; ", running.Select((n, i) => $"{n}: {healths[i]}"));
            if (clock.Elapsed > (timeout ?? TimeSpan.FromSeconds(30)))
            {
                throw new TimeoutException($"no single lease holder after {clock.Elapsed.TotalSeconds:F1} s: {last}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Creates a party through the admin API of one node and returns its token.</summary>
    public async Task<string> AddPartyAsync(string id, int node = 0, string role = "party")
    {
        var response = await _nodes[node].Admin().PostAsJsonAsync("v1/parties", new { id, name = id.ToUpperInvariant() + " operations centre", role });
        Assert.True(response.IsSuccessStatusCode, $"creating party {id} on {_nodes[node]}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["token"]!.GetValue<string>();
    }

    /// <summary>
    /// Waits until every running node's /healthz names the same last event and returns it (the
    /// record's size): every write acknowledged by then is committed and seen by all.
    /// </summary>
    public async Task<long> SettledLastEventAsync(TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var healths = await Task.WhenAll(Running.Select(n => n.HealthAsync()));
            if (healths.All(h => h?.LastEvent is not null) && healths.Select(h => h!.LastEvent).Distinct().Count() == 1)
            {
                return healths[0]!.LastEvent!.Value;
            }

            if (clock.Elapsed > (timeout ?? TimeSpan.FromSeconds(30)))
            {
                throw new TimeoutException("the nodes do not agree on the last event: " + string.Join("; ", healths.Select(h => h?.ToString() ?? "no answer")));
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Every node's last lines of output, for a failing test's message.</summary>
    public string Output() => string.Join("\n", _nodes.Select(n => $"--- {n}\n{n.RecentOutput}"));

    public async ValueTask DisposeAsync()
    {
        foreach (var n in _nodes)
        {
            n.Dispose();
        }

        if (_nats is not null)
        {
            await _nats.DisposeAsync();
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
