using Deconflict.Alerts;
using Deconflict.Api;
using Deconflict.Core.Line;
using Deconflict.Core.Model;
using Deconflict.Core.Tactical;
using Deconflict.Line;
using Deconflict.Parties;
using Deconflict.Storage;

namespace Deconflict.Record;

/// <summary>
/// A served row's state rendered as an entry's payload gives it (<see cref="Core.Record.RecordSubject.State"/>):
/// the views the features' entries state, written with the record's own serialiser, so a row that
/// is as its entry states it renders to exactly the entry's text.
/// </summary>
internal static class ServedState
{
    /// <summary>The row's object as its entry states it.</summary>
    public static string Of(ServedRow row) => row.Value switch
    {
        StoredDeclaration d => Declaration(d),
        Conflict c => RecordJsonContext.Write(ConflictView.ForEntry(c), RecordJsonContext.Default.ConflictView),
        LineMessage m => RecordJsonContext.Write(LineMessageView.ForEntry(m), RecordJsonContext.Default.LineMessageView),
        TrackAlert a => RecordJsonContext.Write(AlertView.ForEntry(a, row.Side!), RecordJsonContext.Default.AlertView),
        AccessToken t => RecordJsonContext.Write(TokenEntryView.Of(t), RecordJsonContext.Default.TokenEntryView),
        Party p => RecordJsonContext.Write(PartyView.Of(p, null), RecordJsonContext.Default.PartyView),
        StoredPartyKey k => RecordJsonContext.Write(PartyKeyEntryView.Of(k.Party, k.PublicKey, k.RegisteredAt), RecordJsonContext.Default.PartyKeyEntryView),
        StoredEscalationContacts e => RecordJsonContext.Write(EscalationContactsEntryView.Of(e.Party, e.Contacts), RecordJsonContext.Default.EscalationContactsEntryView),
        _ => throw new InvalidOperationException($"The store gave a served {row.Kind} row of a kind the record check does not know."),
    };

    /// <remarks>
    /// The declaration comes without its volumes and the row's volume text goes in their place. A
    /// quote inside a string value is always escaped (\"), so the first "volumes":[] outside one is
    /// the property itself.
    /// </remarks>
    private static string Declaration(StoredDeclaration d)
    {
        var text = RecordJsonContext.Write(DeclarationView.ForEntry(d.Declaration), RecordJsonContext.Default.DeclarationView);
        var at = text.IndexOf("\"volumes\":[]", StringComparison.Ordinal);
        return string.Concat(text.AsSpan(0, at + 10), d.VolumesJson, text.AsSpan(at + 12));
    }
}
