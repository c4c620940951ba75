using Deconflict.Api;

namespace Deconflict.Declarations;

/// <summary>A zone as a write left it, with the conflicts it has (POST, PUT, DELETE /v1/zones).</summary>
public sealed record ZoneWrittenView(DeclarationView Zone, IReadOnlyList<ConflictView> Conflicts);
