using System.Data.Common;
using System.Globalization;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Deconflict.Storage;
using NATS.Client.Core;
using Npgsql;

namespace Deconflict.Cluster;

/// <summary>
/// A cluster node's connections at start: the PostgreSQL connection string and the NATS URL
/// checked as text first, then each server reached once with a short timeout, so that a node that
/// cannot work says which server and why in one line, before it creates or serves anything.
/// </summary>
public static partial class ClusterConnections
{
    /// <summary>How long a node waits for PostgreSQL or NATS to answer at start (a refused connection is told at once; a loaded machine may take seconds to log in).</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);

    private const string ConnectionExample = "like Host=127.0.0.1;Database=deconflict;Username=deconflict;Password=...";

    /// <summary>Whether the value of --store is a connection string (it has a key=value) rather than a SQLite file.</summary>
    public static bool IsConnectionString(string store) => store.Contains('=', StringComparison.Ordinal);

    /// <summary>What is wrong with the connection string, naming the key (never a value: it may hold the password); null when Npgsql takes it.</summary>
    public static string? ConnectionStringProblem(string connection)
    {
        var generic = new DbConnectionStringBuilder();
        try
        {
            generic.ConnectionString = connection;
        }
        catch (ArgumentException e)
        {
            var at = FormatIndex().Match(e.Message);
            return at.Success
                ? $"is not a connection string from character {int.Parse(at.Groups[1].Value, CultureInfo.InvariantCulture) + 1} on ({ConnectionExample})."
                : $"is not a connection string ({ConnectionExample}).";
        }

        var npgsql = new NpgsqlConnectionStringBuilder();
        foreach (string key in generic.Keys)
        {
            try
            {
                npgsql[key] = generic[key];
            }
            catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or OverflowException or NotSupportedException)
            {
                // The generic parser lowers the keys: the user's own spelling is named.
                var at = connection.IndexOf(key, StringComparison.OrdinalIgnoreCase);
                var written = at < 0 ? key : connection.Substring(at, key.Length);
                return npgsql.ContainsKey(key)
                    ? $"has a value for '{written}' that PostgreSQL's client does not take."
                    : $"has '{written}', which is not a PostgreSQL connection setting ({ConnectionExample}).";
            }
        }

        return string.IsNullOrWhiteSpace(npgsql.Host) ? $"has no Host ({ConnectionExample})." : null;
    }

    /// <summary>"host:port/database" of a connection string that <see cref="ConnectionStringProblem"/> took: no user, no password.</summary>
    public static string Describe(string connection)
    {
        var b = new NpgsqlConnectionStringBuilder(connection);
        return b.Database is { Length: > 0 } database ? $"{b.Host}:{b.Port}/{database}" : $"{b.Host}:{b.Port}";
    }

    /// <summary>Opens one connection to the database (with <see cref="StartTimeout"/>) and closes it.</summary>
    /// <exception cref="StartRefusedException">The server does not answer or refuses (one line: host:port and why).</exception>
    public static void ProbePostgres(string connection)
    {
        var builder = new NpgsqlConnectionStringBuilder(connection) { Timeout = (int)StartTimeout.TotalSeconds, Pooling = false };
        try
        {
            using var probe = new NpgsqlConnection(builder.ConnectionString);
            probe.Open();
        }
        catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException or InvalidOperationException or ArgumentException)
        {
            throw new StartRefusedException($"Cannot connect to PostgreSQL at {Describe(connection)}: {PostgresReason(e)}.", e);
        }
    }

    /// <summary>Why PostgreSQL could not be used, in words (its own message for a refusal: a wrong password, no such database).</summary>
    public static string PostgresReason(Exception e) => e switch
    {
        PostgresException p => p.MessageText.TrimEnd('.'),
        _ when Find<SocketException>(e) is { } s => SocketReason(s, "PostgreSQL"),
        _ when Find<TimeoutException>(e) is not null => $"no answer within {StartTimeout.TotalSeconds:0} s",
        _ => e.Message.ReplaceLineEndings(" ").TrimEnd('.'),
    };

    /// <summary>What is wrong with a NATS URL (several may be given, separated by ','); null when each is nats://host[:port].</summary>
    public static string? NatsUrlProblem(string urls)
    {
        const string Like = "like nats://127.0.0.1:4222 (several separated by ',')";
        var parts = urls.Split(',', StringSplitOptions.TrimEntries);
        foreach (var part in parts)
        {
            if (!Uri.TryCreate(part, UriKind.Absolute, out var uri) || uri.Scheme != "nats" || uri.Host.Length == 0 || uri.AbsolutePath is not ("" or "/") || uri.Query.Length > 0)
            {
                return $"must be {Like}; '{Shown(part)}' is not.";
            }
        }

        return null;
    }

    /// <summary>Connects to NATS (with <see cref="StartTimeout"/>); the connection reconnects by itself afterwards.</summary>
    /// <exception cref="StartRefusedException">No server answers at the URL (one line: the URL and why).</exception>
    public static NatsConnection ConnectNats(string urls, string name)
    {
        var connection = new NatsConnection(new NatsOpts { Url = urls, Name = name, ConnectTimeout = StartTimeout });
        try
        {
            connection.ConnectAsync().AsTask().GetAwaiter().GetResult();
            return connection;
        }
        catch (Exception e) when (e is NatsException or SocketException or TimeoutException or OperationCanceledException)
        {
            connection.DisposeAsync().AsTask().GetAwaiter().GetResult();
            // The client logs why each server could not be reached and throws only "can not connect
            // uris": a connection of our own to the first server finds the reason to tell.
            var reason = Find<SocketException>(e) is { } s ? SocketReason(s, "nats-server")
                : Find<TimeoutException>(e) is not null || Find<OperationCanceledException>(e) is not null ? $"no answer within {StartTimeout.TotalSeconds:0} s"
                : TcpReason(urls.Split(',', StringSplitOptions.TrimEntries)[0], "nats-server") ?? e.Message.ReplaceLineEndings(" ").TrimEnd('.');
            throw new StartRefusedException($"Cannot connect to NATS at {string.Join(",", urls.Split(',', StringSplitOptions.TrimEntries).Select(Shown))}: {reason}.", e);
        }
    }

    /// <summary>A NATS URL without the user and password it may carry.</summary>
    public static string Shown(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.UserInfo.Length > 0 ? url.Replace(uri.UserInfo + "@", string.Empty, StringComparison.Ordinal) : url;

    /// <summary>Why a TCP connection to the URL's host and port (NATS's 4222 if none) fails, or null when it does not.</summary>
    private static string? TcpReason(string url, string server)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            return null;
        }

        using var client = new TcpClient();
        try
        {
            using var timeout = new CancellationTokenSource(StartTimeout);
            client.ConnectAsync(uri.Host, uri.Port < 0 ? 4222 : uri.Port, timeout.Token).AsTask().GetAwaiter().GetResult();
            return null;
        }
        catch (SocketException e)
        {
            return SocketReason(e, server);
        }
        catch (OperationCanceledException)
        {
            return $"no answer within {StartTimeout.TotalSeconds:0} s";
        }
    }

    private static string SocketReason(SocketException e, string server) => e.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => $"connection refused (is {server} running, and on that port?)",
        SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData => "no such host",
        SocketError.TimedOut => $"no answer within {StartTimeout.TotalSeconds:0} s",
        SocketError.NetworkUnreachable or SocketError.HostUnreachable => "the host cannot be reached from here",
        _ => e.Message.ReplaceLineEndings(" ").TrimEnd('.'),
    };

    private static T? Find<T>(Exception? e)
        where T : Exception
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is T found)
            {
                return found;
            }

            if (e is AggregateException { InnerExceptions.Count: > 0 } many)
            {
                return many.InnerExceptions.Select(Find<T>).FirstOrDefault(f => f is not null);
            }
        }

        return null;
    }

    [GeneratedRegex(@"index (\d+)")]
    private static partial Regex FormatIndex();
}
