namespace Deconflict.Service;

/// <summary>GET /healthz: "ok", or "failing" with the fault; <see cref="Time"/> is the service's clock.</summary>
public sealed record HealthView
{
    /// <summary>"ok" or "failing".</summary>
    public required string Status { get; init; }

    public string? Fault { get; init; }

    public long? LastEvent { get; init; }

    public bool? Warm { get; init; }

    public int? WarmedDeclarations { get; init; }

    /// <summary>What works only in part while the service is up (NATS unreachable: tactical detection paused); null when nothing.</summary>
    public IReadOnlyList<string>? Warnings { get; init; }

    public required DateTimeOffset Time { get; init; }
}
