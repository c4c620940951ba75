using System.Text.Json;
using Deconflict.Alerts;
using Deconflict.Api;
using Deconflict.Conflicts;
using Deconflict.Core.Model;
using Deconflict.Declarations;
using Deconflict.Events;
using Deconflict.Line;
using Deconflict.Parties;
using Deconflict.Record;
using Deconflict.Service;
using Deconflict.Storage;
using Deconflict.Storage.Sqlite;
using Deconflict.Tracks;
using Microsoft.AspNetCore.Diagnostics;
using Scalar.AspNetCore;

namespace Deconflict;

/// <summary>How to start one server: where its database is, where it listens, what was agreed.</summary>
public sealed record ServerSettings
{
    public required string DatabasePath { get; init; }

    public string Urls { get; init; } = "http://127.0.0.1:8080";

    public DeconflictOptions Options { get; init; } = new();

    /// <summary>The admin token from the environment (DECONFLICT_ADMIN_TOKEN); null = create one on first start.</summary>
    public string? AdminToken { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Where a created admin token is printed, once.</summary>
    public TextWriter Out { get; init; } = Console.Out;

    public bool Quiet { get; init; }
}

/// <summary>Builds the Deconflict web application: the one place where the pieces are wired together.</summary>
public static class ServerHost
{
    public static WebApplication Build(ServerSettings settings)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ApplicationName = typeof(ServerHost).Assembly.GetName().Name });
        builder.WebHost.UseUrls(settings.Urls);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = settings.Options.MaxRequestBytes;
            k.AddServerHeader = false;
        });
        builder.Logging.ClearProviders();
        if (!settings.Quiet)
        {
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        }

        var store = new SqliteStore(settings.DatabasePath, settings.Time);
        store.Migrate();

        // The record and the state served from it are checked before anything is served or signed
        // (docs/record.md, "Served state"); a mismatch refuses the start, naming the first bad entry.
        var recordKey = RecordKey.LoadOrCreate(settings.DatabasePath);
        var anchor = RecordAnchor.Load(settings.DatabasePath);
        var check = new RecordCheck(store, recordKey, anchor).Run(full: false);
        if (!check.Ok)
        {
            throw new RecordCheckException(check.Failure!);
        }

        builder.Services.AddSingleton(settings.Options);
        builder.Services.AddSingleton(settings.Time);
        builder.Services.AddSingleton<IDeconflictStore>(store);
        builder.Services.AddSingleton(new AdminToken(settings.AdminToken is { Length: > 0 } t ? Tokens.Hash(t) : null));
        builder.Services.AddSingleton<Authentication>();
        builder.Services.AddSingleton<Authentication.Filter>();
        builder.Services.AddSingleton<EventHub>();
        builder.Services.AddSingleton<WarmUpState>();
        builder.Services.AddSingleton<WriteQueue>();
        builder.Services.AddSingleton<DeclarationCommands>();
        builder.Services.AddSingleton<ExpirySweep>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ExpirySweep>());
        builder.Services.AddSingleton(recordKey);
        builder.Services.AddSingleton(anchor);
        builder.Services.AddSingleton<RecordHeads>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RecordHeads>());
        builder.Services.AddSingleton<EscalationWebhooks>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<EscalationWebhooks>());
        builder.Services.AddSingleton<LineClockService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LineClockService>());
        builder.Services.AddSingleton<TacticalService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<TacticalService>());
        builder.Services.ConfigureHttpJsonOptions(o => Json.Configure(o.SerializerOptions));
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi("v1", o => o.AddDocumentTransformer((doc, _, _) =>
        {
            doc.Info.Title = "Deconflict";
            doc.Info.Description = "Deconfliction of airspace shared by parties that do not trust each other.";
            return Task.CompletedTask;
        }));

        var app = builder.Build();
        app.Services.GetRequiredService<EventHub>().Published(store.LastEventSequence());
        var warm = app.Services.GetRequiredService<WarmUpState>();
        app.Lifetime.ApplicationStarted.Register(() => _ = Task.Run(() =>
        {
            try
            {
                var count = store.WarmUp(app.Lifetime.ApplicationStopping);

                // An empty write opens the writer's session, which loads its grid and its cache of
                // live declarations (from the volumes just decoded) before the first real write.
                app.Services.GetRequiredService<WriteQueue>().Submit<bool>(_ => true).GetAwaiter().GetResult();
                warm.Done(count);
            }
            catch (OperationCanceledException)
            {
            }
        }));
        EnsureAdminToken(app, settings);

        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = e => e is BadHttpRequestException b ? b.StatusCode : 500,
            ExceptionHandler = async http =>
            {
                var error = http.Features.Get<IExceptionHandlerFeature>()?.Error;
                var problem = error is BadHttpRequestException { StatusCode: 413 }
                    ? new ApiError(Problems.PayloadTooLarge, $"The body is larger than the limit of {settings.Options.MaxRequestBytes} bytes.")
                    : error is BadHttpRequestException bad
                        ? Problems.Invalid(bad.Message)
                        : new ApiError(Problems.Internal, "The server failed to handle the request; nothing was acknowledged.");
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
                404 => new ApiError(Problems.NotFound, $"There is no endpoint at {http.Request.Path}."),
                405 => new ApiError(Problems.MethodNotAllowed, $"{http.Request.Method} is not allowed on {http.Request.Path}."),
                413 => new ApiError(Problems.PayloadTooLarge, $"The body is larger than the limit of {settings.Options.MaxRequestBytes} bytes."),
                415 => new ApiError(Problems.UnsupportedMediaType, $"The body must be application/json (it was '{http.Request.ContentType ?? "none"}')."),
                _ => null,
            };
            if (code is not null)
            {
                await Problems.ToResult(code).ExecuteAsync(http);
            }
        });

        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapScalarApiReference("/docs", o => o.WithTitle("Deconflict API").WithOpenApiRoutePattern("/openapi/{documentName}.json"));
        app.MapService();
        app.MapParties();
        app.MapOperations();
        app.MapZones();
        app.MapConflicts();
        app.MapEvents();
        app.MapRecord();
        app.MapLine();
        app.MapTracks();
        app.MapAlerts();
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
        var issued = writes.Submit<IssuedToken>(ctx =>
        {
            var token = PartyEndpoints.Issue(ctx, null);
            ctx.Emit(new DomainEvent("admin-token", null, ["admin"], JsonSerializer.Serialize(new { action = "created", token_id = token.TokenId }, Json.Options)));
            return token;
        }).GetAwaiter().GetResult();
        settings.Out.WriteLine($"Admin token (shown once, keep it safe): {issued.Value!.Token}");
        settings.Out.Flush();
    }
}
