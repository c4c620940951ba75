namespace Deconflict.Storage;

/// <summary>
/// One stored object the service serves, for checking against the record: which object (and, for
/// an alert, which side's view), the record index its row names, the object as stored, and the
/// entry's bytes and stored leaf hash at that index (null when the row names no stored entry).
/// The store gives the object, not its rendering: the record check renders it as an entry's
/// payload gives it (Record/ServedState), with the record's own serialiser.
/// </summary>
/// <param name="Value">
/// By <paramref name="Kind"/>: operation or zone, a <see cref="StoredDeclaration"/>; conflict, a
/// <see cref="Core.Model.Conflict"/>; message, a <see cref="Core.Line.LineMessage"/>; alert, a
/// <see cref="Core.Tactical.TrackAlert"/> (seen by <paramref name="Side"/>); token, an
/// <see cref="Core.Model.AccessToken"/>; party, a <see cref="Core.Model.Party"/>; party-key, a
/// <see cref="StoredPartyKey"/>; escalation-contacts, a <see cref="StoredEscalationContacts"/>.
/// </param>
public sealed record ServedRow(string Kind, string Id, string? Side, long? RecordIndex, object Value, byte[]? Entry, byte[]? Leaf)
{
    public (string Kind, string Id, string? Side) Key => (Kind, Id, Side);
}
