using Deconflict.Core.Model;

namespace Deconflict.Storage;

/// <summary>
/// The record entries a SQLite migration appends to state the rows of a database written before
/// the record bound them (migrations 9 to 11, <see cref="Sqlite.SqliteStore"/>). Their payloads are
/// the features' pinned builders (EventBytesTests), so the store takes them from its caller rather
/// than building them itself: Storage stays below the features and the API, and a stated entry is
/// byte for byte the one the feature writes.
/// </summary>
public interface IStatedEvents
{
    /// <summary>A token stated whole (migration 9): <c>token-stated</c> to its party, <c>stated</c> for an admin token.</summary>
    DomainEvent Token(AccessToken token);

    /// <summary>A party that had no <c>created</c> entry (migration 10).</summary>
    DomainEvent Party(Party party);

    /// <summary>A party's witness key with its registration time (migration 10).</summary>
    DomainEvent PartyKey(StoredPartyKey key);

    /// <summary>A party's set of escalation contacts as stored (migration 11).</summary>
    DomainEvent EscalationContacts(string party, IReadOnlyList<(int Level, string Url)> contacts);
}
