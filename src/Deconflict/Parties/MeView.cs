namespace Deconflict.Parties;

/// <summary>
/// GET /v1/me: who the presented token speaks for. A console or a client learns its own party
/// (and whether it may write) from its token without being told separately.
/// </summary>
public sealed record MeView
{
    /// <summary>The party's id; absent for the admin.</summary>
    public string? Party { get; init; }

    /// <summary>The party's name; "admin" for the admin.</summary>
    public required string Name { get; init; }

    /// <summary>party, observer or admin.</summary>
    public required string Role { get; init; }

    /// <summary>Whether this token may declare, acknowledge and send (a party's, not an observer's or the admin's).</summary>
    public required bool MayWrite { get; init; }

    /// <summary>Whether this token sees every shared object (observer and admin).</summary>
    public required bool SeesEverything { get; init; }

    /// <summary>The token's id (to revoke it), never its secret.</summary>
    public required string TokenId { get; init; }
}
