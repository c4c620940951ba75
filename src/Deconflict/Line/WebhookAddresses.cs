using System.Net;
using System.Net.Sockets;

namespace Deconflict.Line;

/// <summary>
/// The addresses a webhook may not reach unless the admin allows them: what a server's own network
/// holds (loopback, private, link-local, shared, cloud metadata) and what is not one host (multicast,
/// unspecified, broadcast, reserved). IPv6 forms that carry an IPv4 address (mapped ::ffff:a.b.c.d,
/// compatible ::a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16) are judged by that IPv4 address.
/// </summary>
public static class WebhookAddresses
{
    private static readonly (IPNetwork Network, string Kind)[] Forbidden =
    [
        (IPNetwork.Parse("0.0.0.0/8"), "unspecified"),
        (IPNetwork.Parse("10.0.0.0/8"), "private"),
        (IPNetwork.Parse("100.64.0.0/10"), "shared (CGNAT)"),
        (IPNetwork.Parse("127.0.0.0/8"), "loopback"),
        (IPNetwork.Parse("169.254.169.254/32"), "cloud metadata"),
        (IPNetwork.Parse("169.254.0.0/16"), "link-local"),
        (IPNetwork.Parse("172.16.0.0/12"), "private"),
        (IPNetwork.Parse("192.0.0.0/24"), "reserved"),
        (IPNetwork.Parse("192.168.0.0/16"), "private"),
        (IPNetwork.Parse("198.18.0.0/15"), "reserved"),
        (IPNetwork.Parse("224.0.0.0/4"), "multicast"),
        (IPNetwork.Parse("255.255.255.255/32"), "broadcast"),
        (IPNetwork.Parse("240.0.0.0/4"), "reserved"),
        (IPNetwork.Parse("::/128"), "unspecified"),
        (IPNetwork.Parse("::1/128"), "loopback"),
        (IPNetwork.Parse("fd00:ec2::254/128"), "cloud metadata"),
        (IPNetwork.Parse("fc00::/7"), "private (unique local)"),
        (IPNetwork.Parse("fe80::/10"), "link-local"),
        (IPNetwork.Parse("fec0::/10"), "site-local"),
        (IPNetwork.Parse("ff00::/8"), "multicast"),
    ];

    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    private static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");

    /// <summary>What kind of non-public address <paramref name="address"/> is ("loopback", "private"...), or null when it is public.</summary>
    public static string? Kind(IPAddress address)
    {
        var a = Embedded(address) ?? address;
        foreach (var (network, kind) in Forbidden)
        {
            if (network.BaseAddress.AddressFamily == a.AddressFamily && network.Contains(a))
            {
                return kind;
            }
        }

        return null;
    }

    /// <summary>The IPv4 address an IPv6 address carries, if it is of a form that carries one.</summary>
    private static IPAddress? Embedded(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return null;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        Span<byte> b = stackalloc byte[16];
        address.TryWriteBytes(b, out _);
        if (Nat64.Contains(address) || (b[..12].IndexOfAnyExcept((byte)0) < 0 && b[12..].IndexOfAnyExcept((byte)0) >= 0 && !IPAddress.IPv6Loopback.Equals(address)))
        {
            // NAT64 (RFC 6052) and the deprecated IPv4-compatible form both keep the IPv4 address in the last 32 bits.
            return new IPAddress(b[12..]);
        }

        // 6to4 (RFC 3056): 2002:AABB:CCDD::/48 routes to the IPv4 address AA.BB.CC.DD.
        return SixToFour.Contains(address) ? new IPAddress(b[2..6]) : null;
    }
}
