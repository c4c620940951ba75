namespace Deconflict.Core.Model;

/// <summary>What a caller may do: a party declares and acknowledges; an observer only reads; the admin runs the service.</summary>
public enum PartyRole
{
    Party,
    Observer,
}

/// <summary>An independent participant. Its credentials are tokens, stored only as hashes.</summary>
public sealed record Party(string Id, string Name, PartyRole Role, DateTimeOffset CreatedAt);

/// <summary>A bearer credential as stored: the SHA-256 of the secret, never the secret. <see cref="PartyId"/> is null for an admin token.</summary>
public sealed record AccessToken(string Id, string? PartyId, byte[] SecretHash, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt)
{
    public bool IsAdmin => PartyId is null;
}

/// <summary>Who is calling, once the token is checked.</summary>
public sealed record Caller(string? PartyId, PartyRole? Role, string TokenId)
{
    public bool IsAdmin => PartyId is null;

    public bool MayWrite => PartyId is not null && Role == PartyRole.Party;

    /// <summary>Observers and the admin see every shared object; a party sees what concerns it.</summary>
    public bool SeesEverything => IsAdmin || Role == PartyRole.Observer;
}
