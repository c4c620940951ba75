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

    /// <summary>The node that answered (its id in the cluster; a single node is named after its host).</summary>
    public required string Node { get; init; }

    /// <summary>Whether this node holds the lease of the background duties (a single node always does).</summary>
    public required bool Lease { get; init; }

    /// <summary>The nodes of the cluster seen alive, this one included.</summary>
    public required int LiveNodes { get; init; }

    /// <summary>Conditions the service works through but its operators must know of (a lost database listener, NATS unreachable so tactical detection is paused); empty when none.</summary>
    public required IReadOnlyList<string> Warnings { get; init; }
}
