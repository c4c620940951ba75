using Deconflict.Core.Model;

namespace Deconflict.Storage;

/// <summary>Strategic conflicts, as the open write transaction stands.</summary>
public interface IConflictRepository
{
    ValueTask<Conflict?> GetAsync(string id);

    /// <summary>Conflicts not resolved that involve the declaration, oldest first.</summary>
    ValueTask<IReadOnlyList<Conflict>> LiveOfAsync(string declarationId);

    ValueTask InsertAsync(Conflict conflict);

    /// <summary>Replaces the stored conflict (same id) with its next version.</summary>
    ValueTask UpdateAsync(Conflict conflict);
}
