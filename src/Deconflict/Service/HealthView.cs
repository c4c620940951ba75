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

    public required DateTimeOffset Time { get; init; }
}
