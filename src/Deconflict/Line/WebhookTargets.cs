using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using Deconflict.Service;

namespace Deconflict.Line;

/// <summary>
/// Decides where escalation webhooks may go (<see cref="WebhookOptions"/>), twice: when a party sets
/// its contacts (<see cref="CheckAsync"/>, refused with <c>invalid-webhook</c>), and when a call
/// connects (<see cref="ConnectAsync"/>, the HTTP handler's connect callback), where the host is
/// resolved here and every address checked before one is connected to. A name that resolved to a
/// public address when it was set and to an internal one later (DNS rebinding) is so refused at the
/// address actually connected to.
/// </summary>
public sealed class WebhookTargets
{
    private readonly WebhookOptions _options;
    private readonly ImmutableHashSet<string> _hosts;
    private readonly ImmutableArray<IPNetwork> _networks;

    public WebhookTargets(DeconflictOptions options)
    {
        _options = options.Webhooks;
        (_hosts, _networks) = _options.ParseAllow();
    }

    /// <summary>Resolves a host name to its addresses: the system's resolver; a test replaces it to answer differently over time.</summary>
    public Func<string, CancellationToken, Task<IPAddress[]>> Resolve { get; set; } = Dns.GetHostAddressesAsync;

    /// <summary>Whether <paramref name="url"/>'s scheme is one the service calls (https, and http where the admin allows it).</summary>
    public bool SchemeAllowed(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && _options.AllowHttp));

    /// <summary>Null when <paramref name="url"/> is an allowed webhook target, else the refusal (pointing at <paramref name="pointer"/>).</summary>
    public async Task<Refusal?> CheckAsync(string? url, string pointer, CancellationToken ct)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.IdnHost.Length == 0)
        {
            return Refuse($"url must be an absolute https URL{(_options.AllowHttp ? " (or http)" : string.Empty)}.", pointer);
        }

        if (uri.Scheme == "http" && !_options.AllowHttp)
        {
            return Refuse("url must be https: this service calls http webhooks only where its admin allows them (serve --webhook-allow-http).", pointer);
        }

        string? refusal;
        try
        {
            (_, refusal) = await AddressesAsync(uri.IdnHost, ct);
        }
        catch (Exception e) when (e is SocketException or ArgumentException)
        {
            // ArgumentException: a name the resolver will not look up (longer than 255 characters...).
            refusal = "resolves to no address";
        }

        return refusal is null
            ? null
            : Refuse($"url's host {uri.IdnHost} {refusal}: webhooks go to public addresses only, unless the admin allows the host or its network (serve --webhook-allow).", pointer);
    }

    /// <summary>The connect callback of the webhooks' HTTP handler: resolves, checks every address, then connects to the first that answers.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host;
        var (addresses, refusal) = await AddressesAsync(host, ct);
        if (refusal is not null)
        {
            throw new WebhookRefusedException(host, refusal);
        }

        SocketException? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw last ?? new SocketException((int)SocketError.HostNotFound);
    }

    /// <summary>
    /// The addresses of <paramref name="host"/> (an address literal is its own), with the reason
    /// they may not be reached ("resolves to a loopback address"...) when any of them is not
    /// allowed: one bad address refuses the name, since the system would pick among them.
    /// </summary>
    private async Task<(IPAddress[] Addresses, string? Refusal)> AddressesAsync(string host, CancellationToken ct)
    {
        host = host.Trim('[', ']').TrimEnd('.');
        var literal = IPAddress.TryParse(host, out var parsed);
        var addresses = literal ? [parsed!] : await Resolve(host, ct);
        if (addresses.Length == 0)
        {
            return ([], "resolves to no address");
        }

        if (!literal && _hosts.Contains(host))
        {
            return (addresses, null);
        }

        foreach (var address in addresses)
        {
            var a = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
            if (WebhookAddresses.Kind(a) is { } kind && !_networks.Any(n => n.BaseAddress.AddressFamily == a.AddressFamily && n.Contains(a)))
            {
                return ([], literal ? $"is a {kind} address" : $"resolves to a {kind} address");
            }
        }

        return (addresses, null);
    }

    private static Refusal Refuse(string detail, string pointer) => new Refusal(RefusalReason.InvalidWebhook, detail).With("pointer", pointer);
}
