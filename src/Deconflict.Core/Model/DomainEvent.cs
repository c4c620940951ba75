using System.Collections.Immutable;

namespace Deconflict.Core.Model;

/// <summary>
/// A state change as it is recorded: appended in the same transaction as the change. An empty
/// <see cref="Audience"/> means every caller may see it; otherwise only those parties (and the
/// admin and observers). <see cref="PayloadJson"/> is the exact text the parties receive.
/// </summary>
public sealed record DomainEvent(string Type, string? Actor, ImmutableArray<string> Audience, string PayloadJson)
{
    public bool IsPublic => Audience.IsDefaultOrEmpty;
}

/// <summary>An event once committed: <see cref="Sequence"/> is its position in the record, from 1, without gaps.</summary>
public sealed record StoredEvent(long Sequence, DateTimeOffset Time, string Type, string? Actor, ImmutableArray<string> Audience, string PayloadJson)
{
    public bool IsPublic => Audience.IsDefaultOrEmpty;

    public bool VisibleTo(Caller caller) =>
        IsPublic || caller.SeesEverything || (caller.PartyId is { } p && Audience.Contains(p));
}

/// <summary>Event types, as in the API.</summary>
public static class EventTypes
{
    public const string Operation = "operation";
    public const string Zone = "zone";
    public const string Conflict = "conflict";
    public const string Party = "party";
}
