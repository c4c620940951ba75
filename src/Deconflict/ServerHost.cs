using Deconflict.Alerts;
using Deconflict.Api;
using Deconflict.Cluster;
using Deconflict.Conflicts;
using Deconflict.Declarations;
using Deconflict.Events;
using Deconflict.Line;
using Deconflict.Parties;
using Deconflict.Record;
using Deconflict.Service;
using Deconflict.Storage;
using Deconflict.Storage.Sqlite;
using Deconflict.Tracks;
using Deconflict.WebConsole;
using Microsoft.AspNetCore.Diagnostics;
using NATS.Client.Core;

namespace Deconflict;

/// <summary>How to start one server: where its database is, where it listens, what was agreed.</summary>
public sealed record ServerSettings
{
    public required string DatabasePath { get; init; }

    /// <summary>An Npgsql connection string: the PostgreSQL store shared by the nodes of a cluster, instead of <see cref="DatabasePath"/>.</summary>
    public string? PostgresConnection { get; init; }

    /// <summary>The NATS server the nodes of a cluster share (nats://host:port); null on a single node.</summary>
    public string? NatsUrl { get; init; }

    /// <summary>This node's id in a cluster (1 to 40 letters, digits, '.', '_', '-'); null: made of the host name, the process id and a random part.</summary>
    public string? NodeId { get; init; }

    /// <summary>What every NATS subject of the service starts with; another prefix keeps clusters sharing one NATS server apart.</summary>
    public string NatsSubjectPrefix { get; init; } = "deconflict.";

    /// <summary>The directory of the service's keys (record signing, webhook signing); null: beside <see cref="DatabasePath"/>.</summary>
    public string? KeysDirectory { get; init; }

    public string Urls { get; init; } = "http://127.0.0.1:8080";

    /// <summary>Proxies whose X-Forwarded-For names the client (serve --trusted-proxy); none: the header is ignored.</summary>
    public IReadOnlyList<System.Net.IPNetwork> TrustedProxies { get; init; } = [];

    public DeconflictOptions Options { get; init; } = new();

    /// <summary>The admin token from the environment (DECONFLICT_ADMIN_TOKEN); null = create one on first start.</summary>
    public string? AdminToken { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Where a created admin token is printed, once.</summary>
    public TextWriter Out { get; init; } = Console.Out;

    public bool Quiet { get; init; }

    /// <summary>Decode the stored outlines in the background after the start (on by default; writes never wait for it).</summary>
    public bool WarmUp { get; init; } = true;
}

/// <summary>Builds the Deconflict web application: the one place where the pieces are wired together.</summary>
public static class ServerHost
{
    /// <summary>
    /// Locks the database for this server first, before anything is read or written, then builds.
    /// A keys directory, NATS and PostgreSQL are each checked before anything is created, so a
    /// server that cannot work refuses to start in one line and leaves no file behind.
    /// </summary>
    /// <exception cref="StartRefusedException">Another server holds the database, the file is damaged, a key is missing, or PostgreSQL or NATS cannot be reached (one line for people).</exception>
    public static WebApplication Build(ServerSettings settings)
    {
        if (settings.AdminToken is { Length: > 0 } given && Tokens.AdminSecretProblem(given) is { } weak)
        {
            throw new ArgumentException($"DECONFLICT_ADMIN_TOKEN {weak}", nameof(settings));
        }

        if (settings.PostgresConnection is { } connection)
        {
            return BuildOnPostgres(settings, connection);
        }

        // Given a keys directory, a single node reads its keys there as a cluster's nodes do (and
        // never creates them); without one they are created beside the database on first start.
        var keys = settings.KeysDirectory is { } directory ? ServiceKeys.Load(directory) : ((RecordKey, WebhookKey)?)null;
        NatsConnection? nats = null;
        try
        {
            nats = settings.NatsUrl is { } url ? Nats(url, settings) : null;
            var held = DatabaseLock.Acquire(settings.DatabasePath);
            try
            {
                var store = new SqliteStore(settings.DatabasePath, settings.Time, StatedEvents.Instance);
                store.Migrate();
                var (recordKey, webhookKey) = keys ?? (RecordKey.LoadOrCreate(settings.DatabasePath), WebhookKey.LoadOrCreate(settings.DatabasePath));
                keys = (recordKey, webhookKey);

                // The record and the state served from it are checked before anything is served or signed
                // (docs/record.md, "Served state"); a mismatch refuses the start, naming the first bad entry.
                var anchor = RecordAnchor.Load(settings.DatabasePath);
                var check = new RecordCheck(store, recordKey, anchor).Run(full: false);
                if (!check.Ok)
                {
                    throw new RecordCheckException(check.Failure!);
                }

                return Build(settings, store, recordKey, webhookKey, anchor, held, nats);
            }
            catch (Exception e) when (StorageFault.IsDamaged(e))
            {
                held.Dispose();
                throw new StartRefusedException(
                    $"The database {Path.GetFullPath(settings.DatabasePath)} {StorageFault.Damage(e)}: restore it from a backup, or start with another --db.",
                    e);
            }
            catch
            {
                held.Dispose();
                throw;
            }
        }
        catch
        {
            keys?.Item1.Dispose();
            keys?.Item2.Dispose();
            nats?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
    }

    /// <summary>
    /// A node of a cluster: the keys from the keys directory (required: every node signs with the
    /// same keys, so a node never makes its own), PostgreSQL and NATS reached, then the schema
    /// brought up to date. No lock: any number of nodes share the database.
    /// </summary>
    private static WebApplication BuildOnPostgres(ServerSettings settings, string connection)
    {
        if (ClusterConnections.ConnectionStringProblem(connection) is { } problem)
        {
            throw new StartRefusedException("The PostgreSQL connection string " + problem);
        }

        var directory = settings.KeysDirectory
            ?? throw new StartRefusedException("A PostgreSQL store needs --keys DIR, the keys every node signs with: create them once with 'deconflict keys create DIR' and give every node a copy.");
        var (recordKey, webhookKey) = ServiceKeys.Load(directory);
        NatsConnection? nats = null;
        Deconflict.Storage.Postgres.PostgresStore? store = null;
        try
        {
            var anchorPath = Path.Combine(Path.GetFullPath(directory), RecordAnchor.FileName);
            WritableOrRefuse(anchorPath);
            ClusterConnections.ProbePostgres(connection);
            nats = settings.NatsUrl is { } url ? Nats(url, settings) : null;
            store = new Deconflict.Storage.Postgres.PostgresStore(connection, settings.Time);
            try
            {
                // Refuses (StartRefusedException) a schema newer than this binary knows.
                store.Migrate();
            }
            catch (Npgsql.NpgsqlException e)
            {
                throw new StartRefusedException($"Cannot prepare the database at {ClusterConnections.Describe(connection)}: {ClusterConnections.PostgresReason(e)}.", e);
            }

            // The anchor is the node's own (RecordAnchor) and holds the heads it signs from now on;
            // the record and the state served from it are checked as on SQLite.
            var anchor = RecordAnchor.LoadFile(anchorPath);
            var check = new RecordCheck(store, recordKey, anchor).Run(full: false);
            if (!check.Ok)
            {
                throw new RecordCheckException(check.Failure!);
            }

            return Build(settings, store, recordKey, webhookKey, anchor, held: null, nats);
        }
        catch
        {
            recordKey.Dispose();
            webhookKey.Dispose();
            nats?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            store?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
    }

    /// <summary>The node keeps its record anchor in the keys directory: refuses a directory it cannot write to now, not at the first signed head.</summary>
    private static void WritableOrRefuse(string anchorPath)
    {
        var probe = $"{anchorPath}.{Environment.ProcessId}.tmp";
        try
        {
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StartRefusedException($"Cannot write to the keys directory {Path.GetDirectoryName(anchorPath)}: the node keeps its record head ({RecordAnchor.FileName}) there ({e.Message.ReplaceLineEndings(" ").TrimEnd('.')}).", e);
        }
    }

    private static NatsConnection Nats(string url, ServerSettings settings)
    {
        if (ClusterConnections.NatsUrlProblem(url) is { } problem)
        {
            throw new StartRefusedException("The NATS URL " + problem);
        }

        return ClusterConnections.ConnectNats(url, "deconflict");
    }

    private static WebApplication Build(ServerSettings settings, IDeconflictStore store, RecordKey recordKey, WebhookKey webhookKey, RecordAnchor anchor, DatabaseLock? held, NatsConnection? nats)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ApplicationName = typeof(ServerHost).Assembly.GetName().Name });
        builder.WebHost.UseUrls(settings.Urls);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = settings.Options.MaxRequestBytes;
            RequestLimits.Configure(k.Limits);
            k.AddServerHeader = false;
        });
        builder.Logging.ClearProviders();
        // A start that fails (the address in use) is thrown to the caller, which tells the user in
        // one line; the host's own "Hosting failed to start" entry would add the whole trace. The
        // filter is asked on every entry: once started, the host's errors are logged as before.
        var started = false;
        if (!settings.Quiet)
        {
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
            builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", level => level >= LogLevel.Warning && (level < LogLevel.Error || Volatile.Read(ref started)));
        }

        if (held is not null)
        {
            builder.Services.AddSingleton(_ => held); // disposed (the lock released) with the host
        }

        if (nats is not null)
        {
            // Made by the container's factory so that the container disposes it with the host.
            builder.Services.AddSingleton<INatsConnection>(_ => nats);
        }

        builder.Services.AddSingleton(settings.Options);
        builder.Services.AddSingleton(settings.Time);
        builder.Services.AddSingleton<IDeconflictStore>(store);
        builder.Services.AddSingleton<HealthWarnings>();
        if (settings.PostgresConnection is { } postgres)
        {
            // Registered before the duties: hosted services stop in reverse order, so the duties
            // stop first and the lease is released after them (at once, for another node to take).
            builder.Services.AddSingleton(sp => new PostgresCluster(postgres, settings.NodeId, sp.GetRequiredService<HealthWarnings>(), sp.GetRequiredService<ILogger<PostgresCluster>>()));
            builder.Services.AddSingleton<IClusterState>(sp => sp.GetRequiredService<PostgresCluster>());
            builder.Services.AddHostedService(sp => sp.GetRequiredService<PostgresCluster>());
            builder.Services.AddSingleton(sp => ActivatorUtilities.CreateInstance<DatabaseListener>(sp, postgres));
            builder.Services.AddHostedService(sp => sp.GetRequiredService<DatabaseListener>());
        }
        else
        {
            builder.Services.AddSingleton<IClusterState, SingleNode>();
        }

        builder.Services.AddSingleton(new AdminToken(settings.AdminToken is { Length: > 0 } t ? Tokens.Hash(t) : null));
        builder.Services.AddSingleton<Authentication>();
        builder.Services.AddSingleton<Authentication.Filter>();
        builder.Services.AddSingleton<AccessLimits>();
        builder.Services.AddSingleton<LiveRequests>();
        builder.Services.AddSingleton<EventHub>();
        builder.Services.AddSingleton<WarmUpState>();
        builder.Services.AddSingleton<WriteQueue>();
        builder.Services.AddSingleton<DeclarationCommands>();
        builder.Services.AddSingleton<LineCommands>();
        builder.Services.AddSingleton<RecordCommands>();
        builder.Services.AddSingleton<PartyCommands>();
        builder.Services.AddSingleton<ConflictCommands>();
        builder.Services.AddSingleton<AlertCommands>();
        builder.Services.AddSingleton<ExpirySweep>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ExpirySweep>());
        builder.Services.AddSingleton(recordKey);
        builder.Services.AddSingleton(anchor);
        builder.Services.AddSingleton<RecordHeads>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RecordHeads>());
        builder.Services.AddSingleton(webhookKey);
        builder.Services.AddSingleton<WebhookTargets>();
        builder.Services.AddSingleton<EscalationWebhooks>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<EscalationWebhooks>());
        builder.Services.AddSingleton<LineClockService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LineClockService>());
        builder.Services.AddSingleton<TacticalService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<TacticalService>());
        builder.Services.AddSingleton<TrackRelayStatus>();
        builder.Services.AddSingleton(sp => new TrackRelay(
            sp.GetService<INatsConnection>(),
            settings.NatsSubjectPrefix + "tracks",
            sp.GetRequiredService<TacticalService>(),
            sp.GetRequiredService<TrackRelayStatus>(),
            sp.GetRequiredService<IDeconflictStore>(),
            settings.Options,
            settings.Time,
            sp.GetRequiredService<ILogger<TrackRelay>>()));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<TrackRelay>());
        builder.Services.ConfigureHttpJsonOptions(o => Json.Configure(o.SerializerOptions));
        builder.Services.AddProblemDetails();
        builder.AddDeconflictMetrics();
        builder.Services.AddDeconflictOpenApi();

        var app = builder.Build();
        app.Lifetime.ApplicationStarted.Register(() => Volatile.Write(ref started, true));
        app.Services.GetService<DatabaseLock>();
        app.Services.GetService<INatsConnection>();
        app.Services.GetRequiredService<EventHub>().Published(store.LastEventSequence());
        var warm = app.Services.GetRequiredService<WarmUpState>();
        app.Lifetime.ApplicationStarted.Register(() => _ = Task.Run(() =>
        {
            try
            {
                // An empty write opens the writer's session, which loads the boxes and ends of the
                // live declarations (no outline); then the stored outlines are decoded beside the
                // writer, which reads any it needs first itself.
                app.Services.GetRequiredService<WriteQueue>().Submit<bool>(null, _ => new(true)).GetAwaiter().GetResult();
                warm.Done(settings.WarmUp ? store.WarmUp(app.Lifetime.ApplicationStopping) : 0);
            }
            catch (OperationCanceledException)
            {
            }
        }));
        EnsureAdminToken(app, settings);

        app.UseTrustedProxies(settings.TrustedProxies);
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = e => e is BadHttpRequestException b ? b.StatusCode : StorageFault.Is(e) ? 503 : 500,
            ExceptionHandler = async http =>
            {
                var error = http.Features.Get<IExceptionHandlerFeature>()?.Error;
                var problem = error is BadHttpRequestException { StatusCode: 413 }
                    ? new Refusal(RefusalReason.PayloadTooLarge, $"The body is larger than the limit of {settings.Options.MaxRequestBytes} bytes.")
                    : error is BadHttpRequestException bad
                        ? Refusal.Invalid(bad.Message)
                        : StorageFault.Is(error)
                            ? Refusal.Retry(RefusalReason.StorageUnavailable, $"The store cannot write now ({StorageFault.Describe(error!)}); nothing of this request was acknowledged.", settings.Options.Writer.StorageRetryAfter)
                            : new Refusal(RefusalReason.Internal, "The server failed to handle the request; nothing was acknowledged.");
                await Problems.ToResult(problem).ExecuteAsync(http);
            },
        });
        app.UseStatusCodePages(async ctx =>
        {
            var http = ctx.HttpContext;
            if (http.Response.HasStarted || http.Response.ContentLength is > 0)
            {
                return;
            }

            var code = http.Response.StatusCode switch
            {
                404 => new Refusal(RefusalReason.NotFound, $"There is no endpoint at {http.Request.Path}."),
                405 => new Refusal(RefusalReason.MethodNotAllowed, $"{http.Request.Method} is not allowed on {http.Request.Path}."),
                413 => new Refusal(RefusalReason.PayloadTooLarge, $"The body is larger than the limit of {settings.Options.MaxRequestBytes} bytes."),
                415 => new Refusal(RefusalReason.UnsupportedMediaType, $"The body must be application/json (it was '{http.Request.ContentType ?? "none"}')."),
                _ => null,
            };
            if (code is not null)
            {
                await Problems.ToResult(code).ExecuteAsync(http);
            }
        });

        app.UseRequestLimits();
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapApiReference("/openapi/{documentName}.json");
        app.MapService();
        app.MapParties();
        app.MapOperations();
        app.MapZones();
        app.MapConflicts();
        app.MapEvents();
        app.MapRecord();
        app.MapLine();
        app.MapWebhooks();
        app.MapTracks();
        app.MapAlerts();
        app.MapMetrics();
        app.MapConsole();
        // Callbacks run last registered first: the PostgreSQL store's pool of connections closes
        // after the writer has stopped, so a stopped server holds none of the database's.
        if (app.Services.GetRequiredService<IDeconflictStore>() is Storage.Postgres.PostgresStore shared)
        {
            app.Lifetime.ApplicationStopped.Register(() => shared.DisposeAsync().AsTask().GetAwaiter().GetResult());
        }

        app.Lifetime.ApplicationStopped.Register(() => app.Services.GetRequiredService<WriteQueue>().DisposeAsync().AsTask().GetAwaiter().GetResult());
        return app;
    }

    /// <summary>
    /// With DECONFLICT_ADMIN_TOKEN set, that is the admin token. Otherwise the first start creates one,
    /// prints it once and keeps only its hash: it cannot be shown again, only replaced.
    /// </summary>
    private static void EnsureAdminToken(WebApplication app, ServerSettings settings)
    {
        var store = app.Services.GetRequiredService<IDeconflictStore>();
        if (settings.AdminToken is { Length: > 0 } || store.AnyAdminToken())
        {
            return;
        }

        var writes = app.Services.GetRequiredService<WriteQueue>();
        var issued = writes.Submit<IssuedToken>(null, async ctx => await TokenIssuer.IssueAsync(ctx, null)).GetAwaiter().GetResult();
        settings.Out.WriteLine($"Admin token (shown once, keep it safe): {issued.Value!.Token}");
        settings.Out.Flush();
    }
}
