using Deconflict.Api;

namespace Deconflict.Declarations;

/// <summary>An operation as a write left it, with the conflicts it has (POST, PUT, DELETE /v1/operations).</summary>
public sealed record OperationWrittenView(DeclarationView Operation, IReadOnlyList<ConflictView> Conflicts);
