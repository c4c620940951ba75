using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.HttpOverrides;
using IPNetwork = System.Net.IPNetwork;

namespace Deconflict.Api;

/// <summary>
/// The proxies (serve --trusted-proxy) whose X-Forwarded-For names the client. Behind a proxy every
/// connection comes from the proxy's address, so the limits on failed authentication per address
/// (<see cref="AccessLimits"/>) would hold every party for anyone's failures; a connection from a
/// trusted proxy is taken as coming from the last address the proxy added. From any other address
/// the header is ignored: a client must not choose the address its failures are counted against.
/// </summary>
public static class TrustedProxies
{
    /// <summary>Reads addresses (one proxy) and CIDR ranges; throws <see cref="FormatException"/> naming a bad entry.</summary>
    public static IReadOnlyList<IPNetwork> Parse(IEnumerable<string> entries)
    {
        var networks = new List<IPNetwork>();
        foreach (var raw in entries)
        {
            var entry = raw.Trim();
            var address = entry.Split('/')[0];
            IPNetwork network;
            // IPAddress also reads "1" and "127.1" as IPv4; a proxy is named in full, like 127.0.0.1.
            if (address.Contains(':', StringComparison.Ordinal) || address.Count(c => c == '.') == 3)
            {
                // A range given by an address inside it (10.0.0.1/8) is refused, not widened: it may
                // name one proxy, and trusting its whole network would let others choose addresses.
                if (IPNetwork.TryParse(entry, out network) && network.BaseAddress.Equals(IPAddress.Parse(address)))
                {
                    if (network.PrefixLength == 0)
                    {
                        throw new FormatException($"'{raw}' would trust every address, so any client could choose the address its failed logins count against; give the proxy's address or its network.");
                    }

                    networks.Add(network);
                    continue;
                }

                if (!entry.Contains('/', StringComparison.Ordinal) && IPAddress.TryParse(entry, out var one))
                {
                    networks.Add(new IPNetwork(one, one.AddressFamily == AddressFamily.InterNetwork ? 32 : 128));
                    continue;
                }
            }

            throw new FormatException($"'{raw}' is not a proxy's address or CIDR range (like 127.0.0.1 or 10.0.0.0/24).");
        }

        return networks;
    }

    /// <summary>
    /// Takes the client's address from X-Forwarded-For on connections from <paramref name="proxies"/>
    /// (one hop: the address the proxy itself added, the last); nothing when there are none.
    /// </summary>
    public static IApplicationBuilder UseTrustedProxies(this IApplicationBuilder app, IReadOnlyList<IPNetwork> proxies)
    {
        if (proxies.Count == 0)
        {
            return app;
        }

        var options = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor, ForwardLimit = 1 };
        // The defaults trust loopback; only the proxies the admin named are trusted.
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        foreach (var network in proxies)
        {
            options.KnownIPNetworks.Add(network);
        }

        return app.UseForwardedHeaders(options);
    }
}
