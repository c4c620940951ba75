using Deconflict.Core.Model;
using Deconflict.Line;
using Deconflict.Parties;
using Deconflict.Storage;

namespace Deconflict.Record;

/// <summary>
/// The entries the SQLite migrations append to state an old database's rows, from the features'
/// pinned builders (EventBytesTests), handed to the store by whoever opens it (ServerHost, the
/// record check command) so that Storage does not reach up into the features.
/// </summary>
public sealed class StatedEvents : IStatedEvents
{
    public static readonly StatedEvents Instance = new();

    private StatedEvents()
    {
    }

    public DomainEvent Token(AccessToken token) => TokenEvents.Of(token.PartyId is null ? "stated" : "token-stated", token);

    public DomainEvent Party(Party party) => PartyEvents.Stated(party);

    public DomainEvent PartyKey(StoredPartyKey key) => RecordEvents.KeyStated(PartyKeyEntryView.Of(key.Party, key.PublicKey, key.RegisteredAt));

    public DomainEvent EscalationContacts(string party, IReadOnlyList<(int Level, string Url)> contacts) => LineEvents.EscalationContactsStated(party, contacts);
}
