using Deconflict.Api;
using Deconflict.Core.Model;
using Deconflict.Events.Payloads;
using Deconflict.Record;

namespace Deconflict.Parties;

/// <summary>The public record entries stating a party whole (tokens are <see cref="TokenEvents"/>).</summary>
public static class PartyEvents
{
    /// <summary>A party created through the API.</summary>
    public static DomainEvent Created(Party p) => Of("created", p);

    /// <summary>A party that had no <c>created</c> entry, stated by migration 10.</summary>
    public static DomainEvent Stated(Party p) => Of("stated", p);

    private static DomainEvent Of(string action, Party p) =>
        new(EventTypes.Party, null, [], RecordJsonContext.Write(new PartyPayload(action, PartyView.Of(p, null)), RecordJsonContext.Default.PartyPayload));
}
