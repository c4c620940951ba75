using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Deconflict.Service;
using Deconflict.Storage;
using Deconflict.Storage.Postgres;
using Deconflict.Storage.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Deconflict.Tests.Infrastructure;

/// <summary>
/// A real Deconflict server (Kestrel on a free loopback port) with its own SQLite file, as each API
/// test needs: nothing is shared between tests, so they can run in parallel and assert exact state.
/// With <see cref="UsePostgres"/>, its own PostgreSQL database instead.
/// </summary>
public sealed class TestServer : IAsyncDisposable
{
    public const string AdminSecret = "dcf_test-admin-token-for-this-server-only-0123456789";

    /// <summary>
    /// The PostgreSQL database of each directory: a server started again in a directory (a restart)
    /// finds the store the last one left there, as it finds the SQLite file.
    /// </summary>
    private static readonly ConcurrentDictionary<string, PostgresDatabase> Databases = new();

    private readonly WebApplication _app;
    private readonly ApiClients _clients;
    private bool _stopped;

    private TestServer(WebApplication app, string directory, string dbPath, string? postgresConnection)
    {
        _app = app;
        Directory = directory;
        DatabasePath = dbPath;
        PostgresConnection = postgresConnection;
        BaseAddress = new Uri(app.Urls.First().TrimEnd('/') + "/");
        _clients = new ApiClients(BaseAddress);
    }

    /// <summary>
    /// Each server on a fresh PostgreSQL database of its own (<see cref="PostgresDatabase"/>) instead
    /// of a SQLite file: set once, before any test, by the module initializer of the project that
    /// runs the API tests against PostgreSQL (tests/Deconflict.Tests.Postgres).
    /// </summary>
    public static bool UsePostgres { get; set; }

    public string Directory { get; }

    /// <summary>The SQLite file (with <see cref="UsePostgres"/>, a path nothing uses).</summary>
    public string DatabasePath { get; }

    /// <summary>The connection string of this server's PostgreSQL database; null on SQLite.</summary>
    public string? PostgresConnection { get; }

    public Uri BaseAddress { get; }

    public IServiceProvider Services => _app.Services;

    public HttpClient Admin => Client(AdminSecret);

    /// <param name="port">0: a free port; else this one (a server restarted where the last one was, for clients that reconnect).</param>
    /// <param name="configure">Changes to the settings (a cluster's NATS server and subjects).</param>
    public static async Task<TestServer> StartAsync(DeconflictOptions? options = null, TimeProvider? time = null, string? directory = null, int port = 0, Func<ServerSettings, ServerSettings>? configure = null)
    {
        directory ??= Path.Combine(Path.GetTempPath(), "deconflict-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        var db = Path.Combine(directory, "deconflict.db");
        string? postgres = null;
        if (UsePostgres)
        {
            if (!Databases.TryGetValue(directory, out var database))
            {
                database = await PostgresDatabase.CreateAsync();
                Databases[directory] = database;
            }

            postgres = database.ConnectionString;
            var keys = Path.Combine(directory, "keys");
            if (!System.IO.Directory.Exists(keys))
            {
                // A cluster's node never makes its own keys: the operator makes them once (keys create).
                var (record, webhook) = Deconflict.Record.ServiceKeys.Create(keys);
                record.Dispose();
                webhook.Dispose();
            }
        }

        var settings = new ServerSettings
        {
            DatabasePath = db,
            PostgresConnection = postgres,
            KeysDirectory = postgres is null ? null : Path.Combine(directory, "keys"),
            Urls = $"http://127.0.0.1:{port}",
            Options = options ?? new DeconflictOptions(),
            AdminToken = AdminSecret,
            Time = time ?? TimeProvider.System,
            Out = TextWriter.Null,
            Quiet = true,
        };
        var app = ServerHost.Build(configure is null ? settings : configure(settings));
        await app.StartAsync();
        return new TestServer(app, directory, db, postgres);
    }

    /// <summary>A loopback port free now (the OS's pick), for a server that must come back on the same one.</summary>
    public static int FreePort()
    {
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        return ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
    }

    public HttpClient Client(string? token) => _clients.Create(token);

    /// <summary>Creates a party through the API and returns a client with its token.</summary>
    public async Task<HttpClient> AddPartyAsync(string id, string role = "party")
    {
        var response = await Admin.PostAsJsonAsync("v1/parties", new { id, name = id.ToUpperInvariant() + " operations centre", role });
        response.EnsureSuccessStatusCode();
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return Client(body["token"]!.GetValue<string>());
    }

    /// <summary>The store opened apart from the server's own instance: what is durable.</summary>
    public IDeconflictStore OpenStore() => PostgresConnection is null ? new SqliteStore(DatabasePath) : new PostgresStore(PostgresConnection);

    public T Get<T>()
        where T : notnull => _app.Services.GetRequiredService<T>();

    /// <summary>Stops the server but keeps its files (and PostgreSQL database), to inspect or start again.</summary>
    public async Task DisposeAsyncKeepFiles()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        _clients.Dispose();

        await _app.StopAsync();
        await _app.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    public async ValueTask DisposeAsync()
    {
        await DisposeAsyncKeepFiles();
        if (Databases.TryRemove(Directory, out var database))
        {
            await database.DisposeAsync();
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

public static class HttpJson
{
    public static async Task<(int Status, JsonNode? Body, HttpResponseMessage Response)> Send(this HttpClient client, HttpMethod method, string path, object? body = null, string? ifMatch = null, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            var text = body as string ?? (body is JsonNode node ? node.ToJsonString() : System.Text.Json.JsonSerializer.Serialize(body));
            request.Content = new StringContent(text, Encoding.UTF8);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        var response = await client.SendAsync(request);
        var raw = await response.Content.ReadAsStringAsync();
        JsonNode? parsed = null;
        if (raw.Length > 0)
        {
            try
            {
                parsed = JsonNode.Parse(raw);
            }
            catch (System.Text.Json.JsonException)
            {
                parsed = JsonValue.Create(raw);
            }
        }

        return ((int)response.StatusCode, parsed, response);
    }

    public static Task<(int Status, JsonNode? Body, HttpResponseMessage Response)> Post(this HttpClient c, string path, object? body) => c.Send(HttpMethod.Post, path, body);

    public static Task<(int Status, JsonNode? Body, HttpResponseMessage Response)> Get(this HttpClient c, string path) => c.Send(HttpMethod.Get, path);

    /// <summary>Asserts an RFC 9457 problem with the stable code and returns it.</summary>
    public static JsonNode AssertProblem(this (int Status, JsonNode? Body, HttpResponseMessage Response) r, int status, string code)
    {
        Assert.True(r.Status == status, $"expected {status} {code}, got {r.Status}: {r.Body?.ToJsonString()}");
        Assert.Equal("application/problem+json", r.Response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(code, r.Body!["code"]!.GetValue<string>());
        Assert.Equal(status, r.Body["status"]!.GetValue<int>());
        Assert.False(string.IsNullOrWhiteSpace(r.Body["title"]?.GetValue<string>()));
        Assert.False(string.IsNullOrWhiteSpace(r.Body["detail"]?.GetValue<string>()));
        return r.Body;
    }
}
