using Deconflict.Api;

namespace Deconflict.Declarations;

/// <summary>The answer of a trial (POST /v1/operations/check, /v1/zones/check): the conflicts the declaration would have.</summary>
public sealed record ConflictCheckView(IReadOnlyList<ProspectiveConflictView> Conflicts);
