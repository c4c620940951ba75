namespace Deconflict.Storage;

/// <summary>
/// The steps that undo in-memory state changed in the open transaction, newest last: a rollback
/// runs them back to a mark (0: the whole transaction, or where a savepoint was taken), a commit
/// forgets them. Not thread-safe: it belongs to the single writer.
/// </summary>
internal sealed class UndoJournal
{
    private readonly List<Action> _steps = [];

    /// <summary>Where the journal stands: a savepoint undoes back to it.</summary>
    public int Mark => _steps.Count;

    public void Add(Action undo) => _steps.Add(undo);

    /// <summary>Forgets the steps: the in-memory state now holds only what was committed.</summary>
    public void Clear() => _steps.Clear();

    /// <summary>Runs the steps after <paramref name="mark"/>, newest first, and forgets them.</summary>
    public void Undo(int mark)
    {
        for (var i = _steps.Count - 1; i >= mark; i--)
        {
            _steps[i]();
        }

        _steps.RemoveRange(mark, _steps.Count - mark);
    }
}
