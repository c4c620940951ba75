using System.CommandLine;
using Deconflict.Core.Strategic;
using Deconflict.Service;
using Deconflict.Storage;

namespace Deconflict.Cli;

/// <summary>`deconflict serve`: the server on a SQLite file.</summary>
public static partial class CliApp
{
    private static Command Serve()
    {
        var db = new Option<string>("--db") { Description = "SQLite database file", DefaultValueFactory = _ => "deconflict.db" };
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
        var quotas = new QuotaOptions();
        var maxLive = new Option<int>("--max-live-declarations") { Description = "Live operations and zones one party may hold", DefaultValueFactory = _ => quotas.MaxLiveDeclarations };
        var maxStreams = new Option<int>("--max-streams") { Description = "Event streams one party may have open", DefaultValueFactory = _ => quotas.MaxStreams };
        var partyRate = new Option<double>("--party-rate") { Description = "Requests a second one party may make, sustained", DefaultValueFactory = _ => quotas.RequestsPerSecond };
        var partyBurst = new Option<int>("--party-burst") { Description = "Requests one party may make at once above its rate", DefaultValueFactory = _ => quotas.RequestBurst };
        var serve = new Command("serve", "Run the Deconflict server on a SQLite file")
        {
            db, urls, policy, notices, horizontalBuffer, verticalBuffer, horizontalSeparation, verticalSeparation, lookahead, warning, advisory, sameParty,
            webhookHttp, webhookAllow, maxLive, maxStreams, partyRate, partyBurst,
        };
        serve.SetAction(async (parse, ct) =>
        {
            DeconflictOptions options;
            try
            {
                options = new DeconflictOptions
                {
                    Policy = parse.GetValue(policy),
                    Line = new LineOptions(ConflictNotices: parse.GetValue(notices)),
                    StrategicBuffer = new(ParseLength(parse.GetValue(horizontalBuffer)!, "--horizontal-buffer", allowZero: true), ParseLength(parse.GetValue(verticalBuffer)!, "--vertical-buffer", allowZero: true)),
                    TacticalSeparation = new(ParseLength(parse.GetValue(horizontalSeparation)!, "--horizontal-separation"), ParseLength(parse.GetValue(verticalSeparation)!, "--vertical-separation")),
                    LookaheadS = ParseDuration(parse.GetValue(lookahead)!).TotalSeconds,
                    Tactical = new TacticalOptions
                    {
                        WarningS = ParseDuration(parse.GetValue(warning)!).TotalSeconds,
                        AdvisoryS = ParseDuration(parse.GetValue(advisory)!).TotalSeconds,
                        SameParty = parse.GetValue(sameParty),
                    },
                    Webhooks = new WebhookOptions { AllowHttp = parse.GetValue(webhookHttp), Allow = [.. parse.GetValue(webhookAllow) ?? []] },
                };
                try
                {
                    options.Webhooks.ParseAllow();
                }
                catch (FormatException e)
                {
                    throw new CliException("--webhook-allow: " + e.Message);
                }

                new Core.Tactical.AlertPolicy(options.Tactical.WarningS, options.LookaheadS, options.Tactical.AdvisoryS, options.Tactical.ClearAfterCycles).Validate();
                if (parse.GetValue(maxLive) < 1 || parse.GetValue(maxStreams) < 1 || parse.GetValue(partyBurst) < 1 || !(parse.GetValue(partyRate) > 0) || double.IsInfinity(parse.GetValue(partyRate)))
                {
                    throw new CliException("--max-live-declarations, --max-streams, --party-rate and --party-burst must be positive.");
                }

                options = options with
                {
                    Quotas = quotas with
                    {
                        MaxLiveDeclarations = parse.GetValue(maxLive),
                        MaxStreams = parse.GetValue(maxStreams),
                        RequestsPerSecond = parse.GetValue(partyRate),
                        RequestBurst = parse.GetValue(partyBurst),
                    },
                };
            }
            catch (Exception e) when (e is CliException or ArgumentException)
            {
                await Console.Error.WriteLineAsync(e is CliException ? e.Message : "--warning, --lookahead and --advisory must be in that order (warning <= look-ahead <= advisory).");
                return 2;
            }

            if (ListenProblem(parse.GetValue(urls)!) is { } badUrls)
            {
                await Console.Error.WriteLineAsync(badUrls);
                return 2;
            }

            var adminToken = Environment.GetEnvironmentVariable(AdminTokenVariable);
            if (adminToken is { Length: > 0 } && Api.Tokens.AdminSecretProblem(adminToken) is { } weak)
            {
                await Console.Error.WriteLineAsync($"{AdminTokenVariable} {weak}");
                return 2;
            }

            var settings = new ServerSettings
            {
                DatabasePath = parse.GetValue(db)!,
                Urls = parse.GetValue(urls)!,
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

            if (Directory.Exists(settings.DatabasePath))
            {
                await Console.Error.WriteLineAsync(IsDirectory(settings.DatabasePath));
                return 1;
            }

            WebApplication app;
            try
            {
                app = ServerHost.Build(settings);
            }
            catch (Exception e) when (e is StartRefusedException or Record.RecordCheckException or InvalidDataException)
            {
                await Console.Error.WriteLineAsync(e.Message);
                return 1;
            }
            catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or IOException or UnauthorizedAccessException)
            {
                // The lock was taken but the file cannot be opened or the key files beside it written.
                await Console.Error.WriteLineAsync($"Cannot open the database {Path.GetFullPath(settings.DatabasePath)}: {CliUsage.Plain(e.Message.ReplaceLineEndings(" ").TrimEnd('.'))}. Give another --db.");
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

            Console.WriteLine($"Deconflict listening on {string.Join(", ", app.Urls)} (database {Path.GetFullPath(settings.DatabasePath)}, policy {settings.Options.Policy.ToString().ToLowerInvariant()}). API reference at /docs.");
            await app.WaitForShutdownAsync(ct);
            return 0;
        });
        return serve.WithExamples(
            "deconflict serve --db data/deconflict.db --urls http://127.0.0.1:8080",
            "deconflict serve --db deconflict.db --urls http://0.0.0.0:8080 --policy reject --conflict-notices",
            "deconflict serve --horizontal-separation 5NM --vertical-separation 1000FT --lookahead 3m --warning 90s");
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

    /// <summary>The line for a --db that names a directory.</summary>
    private static string IsDirectory(string path) =>
        $"--db {Path.GetFullPath(path)} is a directory; give a database file, like {Path.Combine(Path.GetFullPath(path), "deconflict.db")}.";

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
