using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Deconflict.Tests.Infrastructure;

namespace Deconflict.Tests.Cluster;

/// <summary>
/// The mixed load of the failover test, spread over the nodes still believed alive as a load
/// balancer would: blue and red write operations (created, some moved), blue sends red a line
/// message requiring acknowledgement within 5 s every half second (none is acknowledged, so each
/// escalates), and a new head-on <see cref="Encounter"/> starts every second while every started one
/// is reported each second. It keeps what each 2xx acknowledged; a request whose node died under it
/// was not acknowledged.
/// </summary>
public sealed class MixedLoad(ClusterNodes cluster, string blueToken, string redToken) : IAsyncDisposable
{
    public const int AckWithinS = 5;

    private readonly ConcurrentDictionary<int, bool> _avoided = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Encounter> _encounters = [];
    private readonly List<Task> _loops = [];
    private readonly ConcurrentDictionary<string, HttpClient> _clients = new();

    /// <summary>Operations acknowledged (201 or 200), with the highest version acknowledged, and their party.</summary>
    public ConcurrentDictionary<string, (string Party, long Version)> Operations { get; } = new();

    /// <summary>Line messages acknowledged (201), with the due time of their acknowledgement.</summary>
    public ConcurrentDictionary<string, DateTimeOffset> Messages { get; } = new();

    /// <summary>Requests answered with a status other than 2xx (or 429, the party's own limit), as "node: status body", for a failure's message.</summary>
    public ConcurrentQueue<string> Refusals { get; } = new();

    public IReadOnlyList<Encounter> Encounters
    {
        get
        {
            lock (_encounters)
            {
                return [.. _encounters];
            }
        }
    }

    public void Start()
    {
        _loops.Add(Task.Run(() => OperationsAsync("blue", blueToken, 1)));
        _loops.Add(Task.Run(() => OperationsAsync("red", redToken, 2)));
        _loops.Add(Task.Run(MessagesAsync));
        _loops.Add(Task.Run(TracksAsync));
    }

    /// <summary>From now on no request goes to this node (it is being killed).</summary>
    public void Avoid(ClusterNode node) => _avoided[node.Index] = true;

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_loops);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    private ClusterNode Pick(Random random)
    {
        var alive = cluster.Nodes.Where(n => !_avoided.ContainsKey(n.Index)).ToList();
        return alive[random.Next(alive.Count)];
    }

    private HttpClient Client(ClusterNode node, string token) =>
        _clients.GetOrAdd($"{node.Index}/{token}", _ => node.Client(token));

    /// <summary>Sends one request; null when the node died under it (not acknowledged).</summary>
    private async Task<(int Status, JsonNode? Body, HttpResponseMessage Response)?> TryAsync(ClusterNode node, Func<Task<(int Status, JsonNode? Body, HttpResponseMessage Response)>> send)
    {
        try
        {
            var r = await send();
            if (r.Status is < 200 or > 299 and not 429)
            {
                Refusals.Enqueue($"{node}: {r.Status} {r.Body?.ToJsonString()}");
            }

            return r;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            return null;
        }
    }

    private async Task OperationsAsync(string party, string token, int seed)
    {
        var random = new Random(seed);
        while (!_stop.IsCancellationRequested)
        {
            var node = Pick(random);
            var client = Client(node, token);
            var created = await TryAsync(node, () => client.Post("v1/operations", Bodies.Operation(Bodies.Square(-30 + (random.NextDouble() * 10), -60 + (random.NextDouble() * 10), halfDeg: 0.05))));
            if (created is { Status: 201 } c)
            {
                var id = c.Body!["operation"]!["id"]!.GetValue<string>();
                Operations[id] = (party, 1);
                if (random.Next(2) == 0)
                {
                    node = Pick(random);
                    client = Client(node, token);
                    var moved = await TryAsync(node, () => client.Send(HttpMethod.Put, $"v1/operations/{id}", Bodies.Operation(Bodies.Square(-30 + (random.NextDouble() * 10), -60 + (random.NextDouble() * 10), halfDeg: 0.05)), ifMatch: "\"1\""));
                    if (moved is { Status: 200 })
                    {
                        Operations[id] = (party, 2);
                    }
                }
            }

            await Task.Delay(50);
        }
    }

    private async Task MessagesAsync()
    {
        var random = new Random(3);
        for (var i = 0; !_stop.IsCancellationRequested; i++)
        {
            var node = Pick(random);
            var client = Client(node, blueToken);
            var body = new JsonObject
            {
                ["to"] = new JsonArray("red"),
                ["subject"] = $"Tanker track {i}",
                ["body"] = "Moving the tanker track 20 NM north; confirm.",
                ["requires_ack"] = true,
                ["ack_within_s"] = AckWithinS,
            };
            var sent = await TryAsync(node, () => client.Post("v1/line/messages", body));
            if (sent is { Status: 201 } s)
            {
                Messages[s.Body!["id"]!.GetValue<string>()] = DateTimeOffset.Parse(s.Body["receipts"]!["red"]!["due_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
            }

            await Task.Delay(500);
        }
    }

    private async Task TracksAsync()
    {
        var random = new Random(4);
        for (var i = 0; !_stop.IsCancellationRequested; i++)
        {
            var now = DateTimeOffset.UtcNow;
            lock (_encounters)
            {
                _encounters.Add(new Encounter(i, now));
            }

            var encounters = Encounters;
            var blueNode = Pick(random);
            var redNode = Pick(random);
            var blueClient = Client(blueNode, blueToken);
            var redClient = Client(redNode, redToken);
            await Task.WhenAll(
                TryAsync(blueNode, () => blueClient.Post("v1/tracks", new JsonObject { ["tracks"] = new JsonArray([.. encounters.Select(e => (JsonNode)e.Blue(now))]) })),
                TryAsync(redNode, () => redClient.Post("v1/tracks", new JsonObject { ["tracks"] = new JsonArray([.. encounters.Select(e => (JsonNode)e.Red(now))]) })));
            await Task.Delay(1000);
        }
    }
}
