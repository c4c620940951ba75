using Deconflict.Core.Record;

namespace Deconflict.Fuzz;

/// <summary>
/// The bytes of one record entry as a server serves them. Refusal: null (not an entry in the
/// canonical encoding). An accepted entry must re-encode to exactly its bytes.
/// </summary>
public static class RecordEntryHarness
{
    public static void Run(byte[] input)
    {
        if (RecordEntry.Parse(input) is not { } entry)
        {
            return;
        }

        if (!entry.Canonical().AsSpan().SequenceEqual(input))
        {
            throw new InvalidOperationException("An accepted entry does not re-encode to its own bytes.");
        }

        _ = entry.LeafHash();
    }
}
