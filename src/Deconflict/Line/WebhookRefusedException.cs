namespace Deconflict.Line;

/// <summary>A webhook connection refused before it was made: its host is, or resolves to, an address webhooks may not reach.</summary>
public sealed class WebhookRefusedException(string host, string reason)
    : Exception($"The webhook host '{host}' {reason}, which webhooks may not reach.")
{
    public string Host { get; } = host;
}
