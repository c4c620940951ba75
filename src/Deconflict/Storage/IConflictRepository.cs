using Deconflict.Core.Model;

namespace Deconflict.Storage;

/// <summary>Strategic conflicts, as the open write transaction stands.</summary>
public interface IConflictRepository
{
    Conflict? Get(string id);

    /// <summary>Conflicts not resolved that involve the declaration, oldest first.</summary>
    IReadOnlyList<Conflict> LiveOf(string declarationId);

    void Insert(Conflict conflict);

    /// <summary>Replaces the stored conflict (same id) with its next version.</summary>
    void Update(Conflict conflict);
}
