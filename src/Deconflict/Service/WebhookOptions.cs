using System.Collections.Immutable;
using System.Net;

namespace Deconflict.Service;

/// <summary>
/// Where escalation webhooks may go, set by the admin (serve --webhook-allow-http, --webhook-allow).
/// By default a target must be https and every address its host resolves to must be public: not
/// loopback, private, link-local, multicast, unspecified, broadcast, shared (CGNAT) or a cloud
/// metadata address, nor an IPv4-mapped or -embedding IPv6 form of one (docs/webhooks.md).
/// <see cref="Allow"/> names the exceptions: host names (matched exactly, case-insensitively; any
/// address they resolve to is then allowed) and addresses or CIDR ranges (an address inside one is
/// allowed whatever name led to it).
/// </summary>
public sealed record WebhookOptions
{
    /// <summary>Whether http (unencrypted) targets are allowed as well as https.</summary>
    public bool AllowHttp { get; init; }

    /// <summary>Host names, addresses and CIDR ranges (e.g. <c>hooks.internal</c>, <c>10.1.0.0/16</c>) allowed although not public.</summary>
    public ImmutableArray<string> Allow { get; init; } = [];

    /// <summary>
    /// At most this many escalation contacts per level. Every contact's host name is resolved when
    /// the contacts are set and again at each call, so the number bounds the DNS lookups and webhook
    /// calls one request or one overdue message can cause; a party needs one or two per level
    /// (a duty desk and a fallback), so 3 leaves room without letting a body fan out.
    /// </summary>
    public int MaxContactsPerLevel { get; init; } = 3;

    /// <summary>
    /// At most this many escalation contacts in all, over every level, for the same reason as
    /// <see cref="MaxContactsPerLevel"/>: with the default 3 levels the per-level cap binds first,
    /// and this one bounds the lookups when the parties agree on more levels.
    /// </summary>
    public int MaxContacts { get; init; } = 10;

    /// <summary>
    /// The longest webhook URL, in characters. A webhook URL is a host and a short path, far below
    /// this; the limit keeps a contact's size (stored, echoed in the record, sent at each call)
    /// small, and a longer URL is refused before its host is resolved.
    /// </summary>
    public int MaxUrlLength { get; init; } = 2000;

    /// <summary>Splits <see cref="Allow"/> into host names and networks; throws <see cref="FormatException"/> naming a bad entry.</summary>
    public (ImmutableHashSet<string> Hosts, ImmutableArray<IPNetwork> Networks) ParseAllow()
    {
        var hosts = ImmutableHashSet.CreateBuilder<string>(StringComparer.OrdinalIgnoreCase);
        var networks = ImmutableArray.CreateBuilder<IPNetwork>();
        foreach (var raw in Allow.IsDefault ? [] : Allow)
        {
            var entry = raw.Trim();
            if (IPNetwork.TryParse(entry, out var network))
            {
                networks.Add(network);
            }
            else if (IPAddress.TryParse(entry, out var address))
            {
                networks.Add(new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128));
            }
            else if (!entry.Contains('/', StringComparison.Ordinal) && Uri.CheckHostName(entry) == UriHostNameType.Dns)
            {
                hosts.Add(entry.TrimEnd('.'));
            }
            else
            {
                throw new FormatException($"The webhook allowlist entry '{raw}' is neither a host name, an address nor a CIDR range (like 10.1.0.0/16).");
            }
        }

        return (hosts.ToImmutable(), networks.ToImmutable());
    }
}
