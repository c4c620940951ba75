using Deconflict.Core.Model;

namespace Deconflict.Storage;

/// <summary>
/// An operation or zone as its row holds it, for the record check: the declaration without its
/// volumes, and the row's volume text as stored (the F3548 JSON its entry's payload holds), which
/// the check compares as text instead of decoding it.
/// </summary>
public sealed record StoredDeclaration(Declaration Declaration, string VolumesJson);
