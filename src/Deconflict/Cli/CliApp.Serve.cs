using System.CommandLine;
using Deconflict.Core.Strategic;
using Deconflict.Service;
using Deconflict.Storage;

namespace Deconflict.Cli;

/// <summary>`deconflict serve`: the server, on a SQLite file or as a node of a cluster on PostgreSQL and NATS.</summary>
public static partial class CliApp
{
    private static Command Serve()
    {
        var store = new Option<string>("--store") { Description = "Where the data is kept: a SQLite database file, or a PostgreSQL connection string (Host=...;Database=...;Username=...;Password=...) shared by the nodes of a cluster", DefaultValueFactory = _ => "deconflict.db" };
        var db = new Option<string>("--db") { Description = "SQLite database file (as --store, for a file name that has an '=')" };
        var nats = new Option<string>("--nats") { Description = "The NATS server the nodes of a cluster share, like nats://127.0.0.1:4222" };
        var keys = new Option<string>("--keys") { Description = "Directory of the service's keys (record.key, webhook.key) made by 'deconflict keys create'; required with PostgreSQL. Without it a SQLite server keeps its keys beside the database" };
        var config = new Option<string>("--config") { Description = $"A JSON file of settings (default: {ServeConfiguration.DefaultFile} in the working directory, if there is one)" };
        var urls = new Option<string>("--urls") { Description = "Where to listen", DefaultValueFactory = _ => "http://127.0.0.1:8080" };
        var policy = new Option<ConflictPolicy>("--policy") { Description = "notify (store and tell both sides) or reject (F3548: refuse conflicts of equal or lower priority)", DefaultValueFactory = _ => ConflictPolicy.Notify };
        var notices = new Option<bool>("--conflict-notices") { Description = "Send the other side a line message requiring acknowledgement for every new conflict" };
        // The agreed parameters, each with its unit (a bare number is refused, not guessed).
        var horizontalBuffer = new Option<string>("--horizontal-buffer") { Description = "Strategic buffer around declared outlines (M, KM, FT or NM)", DefaultValueFactory = _ => "3NM" };
        var verticalBuffer = new Option<string>("--vertical-buffer") { Description = "Strategic buffer between altitude bands (M or FT)", DefaultValueFactory = _ => "1000FT" };
        var horizontalSeparation = new Option<string>("--horizontal-separation") { Description = "Tactical minimum D between aircraft (M, KM, FT or NM)", DefaultValueFactory = _ => "3NM" };
        var verticalSeparation = new Option<string>("--vertical-separation") { Description = "Tactical minimum H between aircraft (M or FT)", DefaultValueFactory = _ => "1000FT" };
        var lookahead = new Option<string>("--lookahead") { Description = "Look-ahead T: entry within it is a caution", DefaultValueFactory = _ => "120s" };
        var warning = new Option<string>("--warning") { Description = "Entry sooner than this is a warning", DefaultValueFactory = _ => "60s" };
        var advisory = new Option<string>("--advisory") { Description = "Entry later than the look-ahead but sooner than this is an advisory", DefaultValueFactory = _ => "180s" };
        var sameParty = new Option<bool>("--same-party-alerts") { Description = "Also alert on pairs of one party's own aircraft" };
        var webhookHttp = new Option<bool>("--webhook-allow-http") { Description = "Also call escalation webhooks over http (default: https only)" };
        var webhookAllow = new Option<string[]>("--webhook-allow")
        {
            Description = "A host name, address or CIDR range escalation webhooks may reach although not public (repeat for several)",
            AllowMultipleArgumentsPerToken = true,
        };
        var trustedProxy = new Option<string[]>("--trusted-proxy")
        {
            Description = "The address or CIDR range of a proxy in front of the server (nginx) whose X-Forwarded-For names the client, for the limits on failed logins per address; from any other address the header is ignored (repeat for several)",
            AllowMultipleArgumentsPerToken = true,
        };
        var quotas = new QuotaOptions();
        var maxLive = new Option<int>("--max-live-declarations") { Description = "Live operations and zones one party may hold", DefaultValueFactory = _ => quotas.MaxLiveDeclarations };
        var maxStreams = new Option<int>("--max-streams") { Description = "Event streams one party may have open", DefaultValueFactory = _ => quotas.MaxStreams };
        var partyRate = new Option<double>("--party-rate") { Description = "Requests a second one party may make, sustained", DefaultValueFactory = _ => quotas.RequestsPerSecond };
        var partyBurst = new Option<int>("--party-burst") { Description = "Requests one party may make at once above its rate", DefaultValueFactory = _ => quotas.RequestBurst };
        // Every option but --db and --config is also a setting of the file and the environment.
        Option[] settable =
        [
            store, nats, keys, urls, policy, notices, horizontalBuffer, verticalBuffer, horizontalSeparation, verticalSeparation, lookahead, warning, advisory, sameParty,
            webhookHttp, webhookAllow, trustedProxy, maxLive, maxStreams, partyRate, partyBurst,
        ];
        foreach (var option in settable)
        {
            var key = ServeConfiguration.Key(option);
            option.Description += $" [{key}, {ServeConfiguration.Variable(key)}]";
        }

        var serve = new Command("serve", "Run the Deconflict server: one node on a SQLite file, or one of several nodes on PostgreSQL and NATS" + Environment.NewLine + Environment.NewLine
            + $"Each setting in [brackets] can also be given in {ServeConfiguration.DefaultFile} (in the working directory, or --config FILE) by its key, "
            + "or in the environment by its variable; the admin token is admin_token or DECONFLICT_ADMIN_TOKEN. "
            + "The command line wins over the environment, which wins over the file (docs/configuration.md).")
        {
            store, db, nats, keys, config, urls, policy, notices, horizontalBuffer, verticalBuffer, horizontalSeparation, verticalSeparation, lookahead, warning, advisory, sameParty,
            webhookHttp, webhookAllow, trustedProxy, maxLive, maxStreams, partyRate, partyBurst,
        };
        serve.SetAction(async (parse, ct) =>
        {
            ServeConfiguration read;
            DeconflictOptions options;
            IReadOnlyList<System.Net.IPNetwork> proxies;
            try
            {
                read = ServeConfiguration.Read(parse, settable, parse.GetValue(config));
                double Length(Option<string> option, bool allowZero = false) => ParseLength(read.Value(option)!, read.Name(ServeConfiguration.Key(option)), allowZero);
                TimeSpan Duration(Option<string> option)
                {
                    try
                    {
                        return ParseDuration(read.Value(option)!);
                    }
                    catch (CliException e) when (!read.OnCommandLine(option) && read.Text(ServeConfiguration.Key(option)) is not null)
                    {
                        throw CliException.Usage($"{read.Name(ServeConfiguration.Key(option))}: {e.Message}");
                    }
                }

                options = new DeconflictOptions
                {
                    Policy = read.Value(policy),
                    Line = new LineOptions(ConflictNotices: read.Value(notices)),
                    StrategicBuffer = new(Length(horizontalBuffer, allowZero: true), Length(verticalBuffer, allowZero: true)),
                    TacticalSeparation = new(Length(horizontalSeparation), Length(verticalSeparation)),
                    LookaheadS = Duration(lookahead).TotalSeconds,
                    Tactical = new TacticalOptions
                    {
                        WarningS = Duration(warning).TotalSeconds,
                        AdvisoryS = Duration(advisory).TotalSeconds,
                        SameParty = read.Value(sameParty),
                    },
                    Webhooks = new WebhookOptions { AllowHttp = read.Value(webhookHttp), Allow = [.. read.Value(webhookAllow) ?? []] },
                };
                try
                {
                    options.Webhooks.ParseAllow();
                }
                catch (FormatException e)
                {
                    throw new CliException($"{read.Name(ServeConfiguration.Key(webhookAllow))}: " + e.Message);
                }

                try
                {
                    proxies = Api.TrustedProxies.Parse(read.Value(trustedProxy) ?? []);
                }
                catch (FormatException e)
                {
                    throw new CliException($"{read.Name(ServeConfiguration.Key(trustedProxy))}: " + e.Message);
                }

                new Core.Tactical.AlertPolicy(options.Tactical.WarningS, options.LookaheadS, options.Tactical.AdvisoryS, options.Tactical.ClearAfterCycles).Validate();
                if (read.Value(maxLive) < 1 || read.Value(maxStreams) < 1 || read.Value(partyBurst) < 1 || !(read.Value(partyRate) > 0) || double.IsInfinity(read.Value(partyRate)))
                {
                    throw new CliException("--max-live-declarations, --max-streams, --party-rate and --party-burst must be positive.");
                }

                options = options with
                {
                    Quotas = quotas with
                    {
                        MaxLiveDeclarations = read.Value(maxLive),
                        MaxStreams = read.Value(maxStreams),
                        RequestsPerSecond = read.Value(partyRate),
                        RequestBurst = read.Value(partyBurst),
                    },
                };
            }
            catch (Exception e) when (e is CliException or ArgumentException)
            {
                await Console.Error.WriteLineAsync(e is CliException ? e.Message : "--warning, --lookahead and --advisory must be in that order (warning <= look-ahead <= advisory).");
                return 2;
            }

            var listen = read.Value(urls);
            if (ListenProblem(listen) is { } badUrls)
            {
                await Console.Error.WriteLineAsync(read.OnCommandLine(urls) ? badUrls : $"{read.Name(ServeConfiguration.Key(urls))}: {badUrls}");
                return 2;
            }

            var adminToken = read.Text("admin_token");
            if (adminToken is { Length: > 0 } && Api.Tokens.AdminSecretProblem(adminToken) is { } weak)
            {
                await Console.Error.WriteLineAsync($"{read.Name("admin_token")} {weak}");
                return 2;
            }

            // --db is always a file; --store is a connection string when it has a key=value.
            if (read.OnCommandLine(db) && read.OnCommandLine(store))
            {
                await Console.Error.WriteLineAsync("Give --store or --db, not both.");
                return 2;
            }

            var (storeValue, storeName) = read.OnCommandLine(db) ? (parse.GetValue(db)!, "--db") : (read.Value(store), read.Name(ServeConfiguration.Key(store)));
            var postgres = !read.OnCommandLine(db) && Deconflict.Cluster.ClusterConnections.IsConnectionString(storeValue) ? storeValue : null;
            if (postgres is not null && Deconflict.Cluster.ClusterConnections.ConnectionStringProblem(postgres) is { } badConnection)
            {
                await Console.Error.WriteLineAsync($"{storeName} {badConnection}");
                return 2;
            }

            var natsUrl = read.Value(nats) is { Length: > 0 } givenNats ? givenNats.Trim() : null;
            if (natsUrl is not null && Deconflict.Cluster.ClusterConnections.NatsUrlProblem(natsUrl) is { } badNats)
            {
                await Console.Error.WriteLineAsync($"{read.Name(ServeConfiguration.Key(nats))} {badNats}");
                return 2;
            }

            var settings = new ServerSettings
            {
                DatabasePath = postgres is null ? storeValue : string.Empty,
                PostgresConnection = postgres,
                NatsUrl = natsUrl,
                KeysDirectory = read.Value(keys) is { Length: > 0 } givenKeys ? givenKeys : null,
                Urls = listen,
                TrustedProxies = proxies,
                Options = options,
                AdminToken = adminToken,
            };
            // An address in use is found before the database is created or opened (and an admin
            // token printed for a server that never ran); a race with another process is still
            // caught at the start below.
            if (InUse(settings.Urls) is { } taken)
            {
                await Console.Error.WriteLineAsync(BindFailure(settings.Urls, taken));
                return 1;
            }

            if (postgres is null && Directory.Exists(settings.DatabasePath))
            {
                await Console.Error.WriteLineAsync(IsDirectory(settings.DatabasePath, storeName));
                return 1;
            }

            WebApplication app;
            try
            {
                app = ServerHost.Build(settings);
            }
            catch (Exception e) when (e is StartRefusedException or Record.RecordCheckException or InvalidDataException)
            {
                await Console.Error.WriteLineAsync(e.Message.ReplaceLineEndings(" "));
                return 1;
            }
            catch (Npgsql.NpgsqlException e) when (postgres is not null)
            {
                await Console.Error.WriteLineAsync($"Cannot use PostgreSQL at {Deconflict.Cluster.ClusterConnections.Describe(postgres)}: {Deconflict.Cluster.ClusterConnections.PostgresReason(e)}.");
                return 1;
            }
            catch (Exception e) when (postgres is null && e is Microsoft.Data.Sqlite.SqliteException or IOException or UnauthorizedAccessException)
            {
                // The lock was taken but the file cannot be opened or the key files beside it written.
                await Console.Error.WriteLineAsync($"Cannot open the database {Path.GetFullPath(settings.DatabasePath)}: {CliUsage.Plain(e.Message.ReplaceLineEndings(" ").TrimEnd('.'))}. Give another {storeName}.");
                return 1;
            }

            await using var running = app;
            try
            {
                await app.StartAsync(ct);
            }
            catch (IOException e) when (SocketError(e) is { } socket)
            {
                // Kestrel could not bind (another process took the port since the check above).
                // Disposing the app (above) releases the database's lock and closes its connections.
                await Console.Error.WriteLineAsync(BindFailure(settings.Urls, socket));
                return 1;
            }

            var where = postgres is null ? $"database {Path.GetFullPath(settings.DatabasePath)}" : $"PostgreSQL at {Deconflict.Cluster.ClusterConnections.Describe(postgres)}";
            if (natsUrl is not null)
            {
                where += $", NATS at {Deconflict.Cluster.ClusterConnections.Shown(natsUrl)}";
            }

            Console.WriteLine($"Deconflict listening on {string.Join(", ", app.Urls)} ({where}, policy {settings.Options.Policy.ToString().ToLowerInvariant()}). API reference at /docs.");
            await app.WaitForShutdownAsync(ct);
            return 0;
        });
        return serve.WithExamples(
            "deconflict serve --db data/deconflict.db --urls http://127.0.0.1:8080",
            "deconflict serve --db deconflict.db --urls http://0.0.0.0:8080 --policy reject --conflict-notices",
            "deconflict serve --horizontal-separation 5NM --vertical-separation 1000FT --lookahead 3m --warning 90s",
            "deconflict serve --store \"Host=127.0.0.1;Database=deconflict;Username=deconflict;Password=$PGPASSWORD\" --nats nats://127.0.0.1:4222 --keys /etc/deconflict/keys --urls http://127.0.0.1:8081 --trusted-proxy 127.0.0.1");
    }

    /// <summary>
    /// What is wrong with --urls, checked before the database is opened: each URL (several separated
    /// by ';') must be http (the server has no TLS of its own) with a port, on an IP address,
    /// localhost, or * / + (every interface). Kestrel would take "18184" as a format error at start, and listen on every
    /// interface for a host name it cannot bind to (example.invalid, 999.1.1.1).
    /// </summary>
    internal static string? ListenProblem(string urls)
    {
        const string Like = "like http://127.0.0.1:8080 (several separated by ';')";
        var parts = urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0)
        {
            return $"--urls must be {Like}.";
        }

        foreach (var url in parts)
        {
            Microsoft.AspNetCore.Http.BindingAddress address;
            try
            {
                address = Microsoft.AspNetCore.Http.BindingAddress.Parse(url);
            }
            catch (FormatException)
            {
                return $"--urls must be {Like}; '{url}' is not.";
            }

            if (address.Scheme is not ("http" or "https") || !url.Contains("://", StringComparison.Ordinal) || address.IsUnixPipe || address.IsNamedPipe)
            {
                return $"--urls must be {Like}; '{url}' is not.";
            }

            if (address.Scheme == "https")
            {
                return $"--urls: the server listens on http only ('{url}'); put a TLS-terminating proxy in front of it for https.";
            }

            if (address.Port is < 0 or > 65535)
            {
                return $"--urls: the port of '{url}' must be 0 to 65535.";
            }

            var host = address.Host.Trim('[', ']');
            if (host is not ("*" or "+") && !host.Equals("localhost", StringComparison.OrdinalIgnoreCase) && !System.Net.IPAddress.TryParse(host, out _))
            {
                return $"--urls: '{address.Host}' in '{url}' is not an address to listen on; give an IP address of this machine (127.0.0.1; 0.0.0.0 for every interface) or localhost.";
            }
        }

        return null;
    }

    /// <summary>
    /// Binds each address of <paramref name="urls"/> (checked by <see cref="ListenProblem"/>) for a
    /// moment, as Kestrel will: the failure of the first that cannot be bound, or null. Port 0
    /// (any free port) is not checked.
    /// </summary>
    private static System.Net.Sockets.SocketException? InUse(string urls)
    {
        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var address = Microsoft.AspNetCore.Http.BindingAddress.Parse(url);
            var host = address.Host.Trim('[', ']');
            var ip = host is "*" or "+" ? System.Net.IPAddress.Any
                : host.Equals("localhost", StringComparison.OrdinalIgnoreCase) ? System.Net.IPAddress.Loopback
                : System.Net.IPAddress.Parse(host);
            if (address.Port == 0)
            {
                continue;
            }

            try
            {
                using var socket = new System.Net.Sockets.Socket(ip.AddressFamily, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                // Kestrel sets SO_REUSEADDR on Linux too: a port in TIME_WAIT is not "in use".
                socket.SetSocketOption(System.Net.Sockets.SocketOptionLevel.Socket, System.Net.Sockets.SocketOptionName.ReuseAddress, true);
                socket.Bind(new System.Net.IPEndPoint(ip, address.Port));
            }
            catch (System.Net.Sockets.SocketException e)
            {
                // Anything else (no IPv6 on this machine) is left to Kestrel, which knows its fallbacks.
                if (e.SocketErrorCode is System.Net.Sockets.SocketError.AddressAlreadyInUse or System.Net.Sockets.SocketError.AddressNotAvailable or System.Net.Sockets.SocketError.AccessDenied)
                {
                    return e;
                }
            }
        }

        return null;
    }

    /// <summary>The line for a --db (or --store, named by <paramref name="name"/>) that names a directory.</summary>
    private static string IsDirectory(string path, string name = "--db") =>
        $"{name} {Path.GetFullPath(path)} is a directory; give a database file, like {Path.Combine(Path.GetFullPath(path), "deconflict.db")}.";

    /// <summary>The socket error under Kestrel's "Failed to bind" (IOException, AddressInUseException, SocketException).</summary>
    private static System.Net.Sockets.SocketException? SocketError(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is System.Net.Sockets.SocketException socket)
            {
                return socket;
            }
        }

        return null;
    }

    /// <summary>One line for a server that could not listen: the address in use, a privileged port, an address not on this machine.</summary>
    private static string BindFailure(string urls, System.Net.Sockets.SocketException e)
    {
        var reason = e.SocketErrorCode switch
        {
            System.Net.Sockets.SocketError.AddressAlreadyInUse => "the address is in use. Stop the other server or give another --urls.",
            System.Net.Sockets.SocketError.AccessDenied => "permission denied (a port below 1024 needs privileges). Give another port in --urls.",
            System.Net.Sockets.SocketError.AddressNotAvailable => "this machine has no such address. Give one of its addresses in --urls (0.0.0.0 for every interface).",
            _ => CliUsage.Plain(e.Message.ReplaceLineEndings(" ").TrimEnd('.')) + ".",
        };
        return $"Cannot listen on {urls}: {reason}";
    }
}
