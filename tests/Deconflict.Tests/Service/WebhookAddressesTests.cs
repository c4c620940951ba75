using System.Net;
using Deconflict.Line;

namespace Deconflict.Tests.Service;

/// <summary>
/// The edges of the refused address ranges (IANA special-purpose registries, RFC 6890): the first
/// and last address of a range are refused, the neighbours outside it are public, and IPv6 forms
/// that carry an IPv4 address are judged by it.
/// </summary>
public sealed class WebhookAddressesTests
{
    [Theory]
    [InlineData("9.255.255.255")]
    [InlineData("11.0.0.0")]
    [InlineData("100.63.255.255")]
    [InlineData("100.128.0.0")]
    [InlineData("126.255.255.255")]
    [InlineData("128.0.0.0")]
    [InlineData("169.253.255.255")]
    [InlineData("169.255.0.0")]
    [InlineData("172.15.255.255")]
    [InlineData("172.32.0.0")]
    [InlineData("192.167.255.255")]
    [InlineData("192.169.0.0")]
    [InlineData("223.255.255.255")]
    [InlineData("8.8.8.8")]
    [InlineData("2606:4700::1111")]
    [InlineData("::ffff:8.8.8.8")]
    [InlineData("64:ff9b::808:808")]
    [InlineData("2002:808:808::1")]
    [InlineData("fbff:ffff::1")]
    [InlineData("fe00::1")]
    public void A_public_address_is_allowed(string address) => Assert.Null(WebhookAddresses.Kind(IPAddress.Parse(address)));

    [Theory]
    [InlineData("0.0.0.0", "unspecified")]
    [InlineData("0.255.255.255", "unspecified")]
    [InlineData("10.0.0.0", "private")]
    [InlineData("10.255.255.255", "private")]
    [InlineData("100.64.0.0", "shared (CGNAT)")]
    [InlineData("100.127.255.255", "shared (CGNAT)")]
    [InlineData("127.0.0.0", "loopback")]
    [InlineData("127.255.255.255", "loopback")]
    [InlineData("169.254.0.0", "link-local")]
    [InlineData("169.254.169.254", "cloud metadata")]
    [InlineData("169.254.255.255", "link-local")]
    [InlineData("172.16.0.0", "private")]
    [InlineData("172.31.255.255", "private")]
    [InlineData("192.168.0.0", "private")]
    [InlineData("192.168.255.255", "private")]
    [InlineData("224.0.0.0", "multicast")]
    [InlineData("239.255.255.255", "multicast")]
    [InlineData("240.0.0.0", "reserved")]
    [InlineData("255.255.255.255", "broadcast")]
    [InlineData("::", "unspecified")]
    [InlineData("::1", "loopback")]
    [InlineData("::ffff:169.254.169.254", "cloud metadata")]
    [InlineData("::a00:1", "private")]
    [InlineData("64:ff9b::7f00:1", "loopback")]
    [InlineData("2002:a9fe:a9fe::", "cloud metadata")]
    [InlineData("fc00::", "private (unique local)")]
    [InlineData("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "private (unique local)")]
    [InlineData("fd00:ec2::254", "cloud metadata")]
    [InlineData("fe80::1", "link-local")]
    [InlineData("febf:ffff::1", "link-local")]
    [InlineData("fec0::1", "site-local")]
    [InlineData("ff02::1", "multicast")]
    public void A_non_public_address_is_named_by_its_kind(string address, string kind) => Assert.Equal(kind, WebhookAddresses.Kind(IPAddress.Parse(address)));
}
