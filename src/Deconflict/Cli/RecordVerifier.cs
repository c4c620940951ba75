using System.Globalization;
using System.Text;
using Deconflict.Core.Record;

namespace Deconflict.Cli;

/// <summary>What a verifier reads, from a live server or from an export file, in this order.</summary>
public sealed record RecordSnapshot(
    string VerifierKey,
    string Checkpoint,
    string? Viewer,
    bool SeesEverything,
    IEnumerable<RecordItem> Items,
    Func<long, IEnumerable<StreamedEvent>> Stream,
    Func<long, long, IReadOnlyList<byte[]>?> ConsistencyProof);

/// <summary>One leaf as served: its hash, and its entry's bytes where the viewer may see them.</summary>
public sealed record RecordItem(long Index, byte[] LeafHash, byte[]? Entry)
{
    /// <summary>The server says the bytes it holds for this leaf do not hash to it.</summary>
    public bool Damaged { get; init; }
}

/// <summary>One event as the viewer's stream delivered it (id = record index).</summary>
public sealed record StreamedEvent(long Id, string Type, string Data);

/// <summary>What the last run saw, kept between runs (the state file): the log's key and a head.</summary>
public sealed record VerifiedState(string VerifierKey, long Size, string RootHash);

/// <summary>
/// The checks of <c>deconflict record verify</c>: the head's signature under the log's key (and the
/// key the last run saw), every leaf against its entry's bytes and index, the root of all leaves
/// against the signed root, consistency with the head saved by the last run, and that the viewer's
/// event stream is exactly its visible entries. Every failure is named; the run goes on to report
/// all it can.
/// </summary>
public sealed class RecordVerifier(TextWriter output)
{
    private readonly List<string> _failures = [];

    public IReadOnlyList<string> Failures => _failures;

    public long Size { get; private set; }

    public byte[] Root { get; private set; } = [];

    /// <summary>Runs every check; returns the state to save when all passed.</summary>
    public VerifiedState? Verify(RecordSnapshot snapshot, VerifiedState? previous)
    {
        var key = SignedNote.ParseVerifierKey(snapshot.VerifierKey);
        if (key is not { } k)
        {
            return Fail($"The verifier key '{snapshot.VerifierKey.Trim()}' is not a valid Ed25519 signed-note key.");
        }

        if (previous is not null && previous.VerifierKey != snapshot.VerifierKey.Trim())
        {
            Fail($"The log's key changed: the last run verified heads under '{previous.VerifierKey}', this one is signed under '{snapshot.VerifierKey.Trim()}'. A log keeps its key; this is another log or a forged head.");
        }

        var head = CheckHead(snapshot.Checkpoint, k.Name, k.PublicKey, previous?.VerifierKey is { } pk && SignedNote.ParseVerifierKey(pk) is { } prior ? prior.PublicKey : null);
        if (head is not { } h)
        {
            return null;
        }

        Size = h.Size;
        output.WriteLine($"Head: {h.Size:N0} entries, root {Convert.ToHexStringLower(h.Root)}, signature by {k.Name} verified.");

        var tree = new MemoryMerkleNodes();
        var visible = new List<(long Index, RecordEntry Entry)>();
        var expected = 0L;
        foreach (var (item, computedLeaf, parsed) in Prepared(snapshot.Items))
        {
            if (item.Index != expected)
            {
                Fail(item.Index > expected
                    ? $"Entries {expected} to {item.Index - 1} are missing from the log (deleted?): the server skipped from {expected - 1} to {item.Index}."
                    : $"Entry {item.Index} is served twice or out of order (after {expected - 1}).");
                expected = item.Index;
            }

            if (item.Damaged && item.Entry is null)
            {
                Fail($"Entry {item.Index} was altered: the server holds bytes for it that do not hash to its leaf, and shows them to no party.");
            }

            if (item.Entry is not null && computedLeaf is { } leaf)
            {
                if (!leaf.AsSpan().SequenceEqual(item.LeafHash))
                {
                    Fail($"Entry {item.Index} was altered: its bytes hash to {Convert.ToHexStringLower(leaf)}, not to its leaf {Convert.ToHexStringLower(item.LeafHash)}.");
                }

                var entry = parsed;
                if (entry is null)
                {
                    Fail($"Entry {item.Index} is not a canonical record entry (docs/record.md).");
                }
                else if (entry.Index != item.Index)
                {
                    Fail($"Entry {item.Index} says it is entry {entry.Index}: entries were moved or swapped.");
                }
                else if (snapshot.SeesEverything || entry.Parties.IsDefaultOrEmpty || (snapshot.Viewer is { } v && entry.Parties.Contains(v)))
                {
                    visible.Add((item.Index, entry));
                }
            }

            tree.Append(item.LeafHash);
            expected++;
            if (expected % 100_000 == 0)
            {
                output.WriteLine($"  checked {expected:N0} of {h.Size:N0} leaves");
            }
        }

        if (tree.Size != h.Size)
        {
            Fail($"The log serves {tree.Size:N0} leaves but the signed head says {h.Size:N0}: entries were deleted or added.");
        }
        else
        {
            Root = tree.Root();
            if (!Root.AsSpan().SequenceEqual(h.Root))
            {
                Fail($"The leaves make root {Convert.ToHexStringLower(Root)}, not the signed root {Convert.ToHexStringLower(h.Root)}: the log was changed after it was signed.");
            }
            else
            {
                output.WriteLine($"All {h.Size:N0} leaves make the signed root; {visible.Count:N0} entries visible to you checked against their leaves.");
            }
        }

        if (previous is not null && tree.Size == h.Size)
        {
            CheckConsistency(previous, h, tree, snapshot);
        }

        CheckStream(snapshot, visible, h.Size);
        if (_failures.Count > 0)
        {
            return null;
        }

        return new VerifiedState(snapshot.VerifierKey.Trim(), h.Size, Convert.ToHexStringLower(h.Root));
    }

    /// <summary>
    /// Hashes and parses the entries on all cores, a block at a time, keeping their order: the
    /// checks themselves stay sequential. (Single-threaded, hashing and canonical parsing were
    /// most of the client's time on a million entries.)
    /// </summary>
    private static IEnumerable<(RecordItem Item, byte[]? Leaf, RecordEntry? Entry)> Prepared(IEnumerable<RecordItem> items)
    {
        const int block = 4096;
        var buffer = new List<RecordItem>(block);
        foreach (var item in items)
        {
            buffer.Add(item);
            if (buffer.Count == block)
            {
                foreach (var prepared in Prepare(buffer))
                {
                    yield return prepared;
                }

                buffer.Clear();
            }
        }

        foreach (var prepared in Prepare(buffer))
        {
            yield return prepared;
        }
    }

    private static (RecordItem, byte[]?, RecordEntry?)[] Prepare(List<RecordItem> items)
    {
        var prepared = new (RecordItem, byte[]?, RecordEntry?)[items.Count];
        Parallel.For(0, items.Count, i =>
        {
            var item = items[i];
            prepared[i] = item.Entry is { } bytes ? (item, MerkleTree.LeafHash(bytes), RecordEntry.Parse(bytes)) : (item, null, null);
        });
        return prepared;
    }

    private (long Size, byte[] Root)? CheckHead(string checkpoint, string name, byte[] publicKey, byte[]? previousKey)
    {
        var note = SignedNote.Parse(checkpoint);
        if (note is not { } n)
        {
            Fail("The checkpoint is not a signed note (text, blank line, signature lines).");
            return null;
        }

        var lines = n.Text.Split('\n');
        if (lines.Length < 4 || lines[0] != name || !long.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out var size))
        {
            Fail($"The checkpoint text is not a tlog-checkpoint of origin '{name}': '{n.Text.Replace("\n", "\\n", StringComparison.Ordinal)}'.");
            return null;
        }

        byte[] root;
        try
        {
            root = Convert.FromBase64String(lines[2]);
        }
        catch (FormatException)
        {
            Fail("The checkpoint's root hash is not base64.");
            return null;
        }

        var keyId = SignedNote.KeyId(name, SignedNote.Ed25519Algorithm, publicKey);
        var line = n.Signatures.FirstOrDefault(s => s.Name == name && s.KeyId.AsSpan().SequenceEqual(keyId));
        if (line.Signature is null)
        {
            Fail($"The checkpoint carries no signature by the log's key {name}+{Convert.ToHexStringLower(keyId)} (a head signed by another key?).");
            return null;
        }

        var text = Encoding.UTF8.GetBytes(n.Text);
        if (!SignedNote.Verify(publicKey, text, line.Signature))
        {
            Fail("The head's signature does not verify under the log's key: the head was rewritten or forged.");
            return null;
        }

        if (previousKey is not null && !SignedNote.Verify(previousKey, text, line.Signature))
        {
            Fail("The head is not signed by the key the last run verified.");
        }

        return (size, root);
    }

    private void CheckConsistency(VerifiedState previous, (long Size, byte[] Root) head, MemoryMerkleNodes tree, RecordSnapshot snapshot)
    {
        if (previous.Size > head.Size)
        {
            Fail($"The log shrank: the last run verified {previous.Size:N0} entries, the head now says {head.Size:N0}.");
            return;
        }

        var before = Convert.FromHexString(previous.RootHash);
        if (!tree.Root(previous.Size).AsSpan().SequenceEqual(before))
        {
            Fail($"The first {previous.Size:N0} entries no longer make the root the last run verified ({previous.RootHash}): history was rewritten.");
            return;
        }

        if (snapshot.ConsistencyProof(previous.Size, head.Size) is { } proof && !MerkleTree.VerifyConsistency(previous.Size, head.Size, before, head.Root, proof))
        {
            Fail($"The server's consistency proof from {previous.Size:N0} to {head.Size:N0} does not verify.");
            return;
        }

        output.WriteLine($"Consistent with the head of {previous.Size:N0} entries verified last time.");
    }

    private void CheckStream(RecordSnapshot snapshot, List<(long Index, RecordEntry Entry)> visible, long size)
    {
        var last = visible.Count == 0 ? -1 : visible[^1].Index;
        var streamed = snapshot.Stream(last).Where(e => e.Id < size).ToList();
        var i = 0;
        foreach (var e in streamed)
        {
            if (i < visible.Count && visible[i].Index == e.Id)
            {
                var entry = visible[i].Entry;
                // The stream carries the entry's payload text exactly, so the texts must be equal.
                if (entry.Type != e.Type || !string.Equals(entry.PayloadJson, e.Data, StringComparison.Ordinal))
                {
                    Fail($"Event {e.Id} on your stream differs from entry {e.Id} in the log (type '{e.Type}' vs '{entry.Type}').");
                }

                i++;
            }
            else
            {
                Fail($"Your stream delivered event {e.Id} ({e.Type}) that is not an entry you can see at that index in the log.");
            }
        }

        if (i < visible.Count)
        {
            Fail($"Your stream never delivered entry {visible[i].Index} ({visible[i].Entry.Type}) of the log{(visible.Count - i > 1 ? $" nor {visible.Count - i - 1:N0} after it" : string.Empty)}.");
        }
        else if (_failures.Count == 0)
        {
            output.WriteLine($"Your event stream is exactly your {visible.Count:N0} entries in the log.");
        }
    }

    private VerifiedState? Fail(string message)
    {
        _failures.Add(message);
        output.WriteLine("FAIL: " + message);
        return null;
    }
}
