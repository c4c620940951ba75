namespace Deconflict.Storage;

/// <summary>
/// One stored object as the service serves it, for checking against the record: which object (and,
/// for an alert, which side's view), the record index its row names, its state rendered exactly as
/// an entry's payload gives it (<see cref="Core.Record.RecordSubject.State"/>), and the entry's bytes
/// and stored leaf hash at that index (null when the row names no stored entry).
/// </summary>
public sealed record ServedRow(string Kind, string Id, string? Side, long? RecordIndex, string State, byte[]? Entry, byte[]? Leaf)
{
    public (string Kind, string Id, string? Side) Key => (Kind, Id, Side);
}
