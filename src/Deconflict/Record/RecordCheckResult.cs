namespace Deconflict.Record;

/// <summary>
/// What a record check found: the record's size, how many entries and served rows it checked,
/// and the first problem (null when none), as one plain line that names the first bad entry when
/// there is one.
/// </summary>
public sealed record RecordCheckResult(long Size, long EntriesChecked, long RowsChecked, long HeadsChecked, string? Failure)
{
    public bool Ok => Failure is null;
}
