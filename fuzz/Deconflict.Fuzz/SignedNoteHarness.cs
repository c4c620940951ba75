using System.Text;
using Deconflict.Cli;
using Deconflict.Core.Record;

namespace Deconflict.Fuzz;

/// <summary>
/// A verifier key on the first line and a signed checkpoint after it, as `record verify` reads
/// them from a server or an export. The parsers refuse with null; the verifier with a named
/// failure. Nothing may throw.
/// </summary>
public static class SignedNoteHarness
{
    public static void Run(byte[] input)
    {
        var text = Encoding.UTF8.GetString(input);
        var newline = text.IndexOf('\n', StringComparison.Ordinal);
        var key = newline < 0 ? text : text[..newline];
        var checkpoint = newline < 0 ? string.Empty : text[(newline + 1)..];
        _ = SignedNote.ParseVerifierKey(key);
        _ = SignedNote.Parse(checkpoint);
        var snapshot = new RecordSnapshot(key, checkpoint, null, false, [], _ => [], (_, _) => null);
        _ = new RecordVerifier(TextWriter.Null).Verify(snapshot, null);
    }
}
