using Deconflict.Core.Record;
using Deconflict.Storage;
using Deconflict.Storage.Sqlite;

namespace Deconflict.Record;

/// <summary>
/// Checks that the database still holds the record the service signed, and that what it serves is
/// what the record says (docs/record.md, "Served state"). Run at every start (incremental: the
/// entries after the size the last start checked) and on demand (<c>deconflict record check --db
/// PATH [--full]</c>: every entry, every head, every row).
/// </summary>
/// <remarks>
/// Order of the checks: the anchor head (kept outside the database) verifies under the record key
/// and the log is at least as long as it; every entry from the first one not yet checked is a
/// canonical entry of its index that hashes to its stored leaf, and the tree nodes it completes
/// are the stored ones; every signed head from there on verifies under the key and is the root of
/// the stored tree at its size (so all heads are consistent with each other and with the anchor);
/// every served row names an entry that hashes to its stored leaf and states exactly the row, and
/// is as the latest of the replayed entries about it states it; every object the replayed entries
/// state has a row. The failure reported is the one of the lowest entry index.
/// </remarks>
public sealed class RecordCheck(IRecordCheckSource store, RecordKey key, RecordAnchor anchor, TextWriter? progress = null)
{
    private const long ProgressEvery = 100_000;

    /// <summary>How many of the heads signed since the last check the start checks (the newest).</summary>
    private const int HeadsAtStart = 1_000;

    private long? _failedAt;
    private string? _failure;
    private bool _failedWithoutIndex;

    /// <summary>Checks the record; with <paramref name="full"/> from its first entry, otherwise from the size the last check reached.</summary>
    public RecordCheckResult Run(bool full)
    {
        using var snapshot = store.Snapshot();
        var size = store.LastEventSequence();
        var latestHead = store.LatestHead();
        var from = full ? 0 : Math.Min(anchor.Verified, size);
        if (anchor.Head is { } a)
        {
            if (!key.Verifies(a))
            {
                return Result(size, 0, 0, 0, $"The head of {a.Size:N0} entries kept in {anchor.Path} does not verify under the record key {key.VerifierKey}: the key file or the head file was replaced.");
            }

            if (size < a.Size)
            {
                Fail(size, $"entry {size} is missing: the database holds {size:N0} entries, but the service signed a head of {a.Size:N0} ({anchor.Path}); entries {size} to {a.Size - 1} were removed.");
                return Result(size, 0, 0, 0, _failure);
            }
        }
        else if (latestHead is not null && !full)
        {
            return Result(size, 0, 0, 0,
                $"The record head file {anchor.Path} is missing, but the database holds signed heads: run '{store.CheckCommand}' to check the whole record and keep its head again.");
        }

        var replay = new RecordReplay();
        var entries = CheckEntries(from, size, replay);
        var heads = CheckHeads(from, size, full);
        if (_failedWithoutIndex && !full)
        {
            // A root that differs says the record changed, not where: the full check finds the entry.
            progress?.WriteLine("A head does not match the stored tree: checking every entry to find the first bad one.");
            return new RecordCheck(store, key, anchor, progress).Run(full: true);
        }

        var rows = CheckRows(size, replay);
        if (_failure is null)
        {
            // Only a clean check moves the mark; the anchor keeps the newest head either way.
            anchor.Checked(size, store.LatestHead());
        }

        return Result(size, entries, rows, heads, _failure);
    }

    /// <remarks>
    /// One pass over the entries and one range scan over the nodes they complete (stored in
    /// completion order, so both streams advance together): each entry is parsed, hashed, and its
    /// completed nodes computed from an in-memory frontier (the perfect subtrees before it, read once
    /// at the start) and compared with the stored ones. No node is read at random, which made the
    /// first form (two indexed reads per entry) cost about 150 us an entry.
    /// </remarks>
    private long CheckEntries(long from, long size, RecordReplay replay)
    {
        if (from >= size)
        {
            return 0;
        }

        progress?.WriteLine($"Checking entries {from:N0} to {size - 1:N0} against the stored tree.");
        var frontier = new Frontier();
        try
        {
            store.WithTree(tree =>
            {
                for (long at = 0; at < from;)
                {
                    var level = 63 - (int)long.LeadingZeroCount(from - at);
                    frontier.Set(level, at >> level, tree.Node(level, at >> level));
                    at += 1L << level;
                }

                return 0;
            });
        }
        catch (InvalidDataException e)
        {
            Fail(from, $"entry {from}: the stored tree before it is incomplete: {e.Message}");
            return 0;
        }

        using var nodes = store.CheckNodes(from, size).GetEnumerator();
        var haveNode = nodes.MoveNext();
        long count = 0;
        foreach (var (index, bytes) in store.CheckEntries(from, size))
        {
            if (bytes is null)
            {
                Fail(index, $"entry {index} is missing from the database.");
                break;
            }

            var entry = RecordEntry.Parse(bytes);
            if (entry is null || entry.Index != index)
            {
                Fail(index, $"entry {index} is not a canonical record entry of index {index}.");
                break;
            }

            var completed = MerkleTree.NodesCompletedBy(index, MerkleTree.LeafHash(bytes), frontier);
            foreach (var (level, at, hash) in completed)
            {
                var id = SqliteStore.NodeId(level, at);
                while (haveNode && nodes.Current.Id < id)
                {
                    haveNode = nodes.MoveNext();
                }

                if (!haveNode || nodes.Current.Id != id || !hash.AsSpan().SequenceEqual(nodes.Current.Hash))
                {
                    Fail(index, level == 0
                        ? $"entry {index} does not hash to its leaf in the stored tree: the entry was edited."
                        : $"entry {index}: the stored tree node ({level}, {at}) above it is not the hash of its children.");
                    break;
                }

                frontier.Set(level, at, hash);
            }

            if (_failure is not null)
            {
                break;
            }

            try
            {
                replay.Add(index, entry);
            }
            catch (System.Text.Json.JsonException e)
            {
                Fail(index, $"entry {index}: its payload is not JSON: {e.Message}");
                break;
            }

            if (++count % ProgressEvery == 0)
            {
                progress?.WriteLine($"  {count:N0} of {size - from:N0} entries checked.");
            }
        }

        return count;
    }

    /// <summary>The perfect subtrees a check has seen, keeping only what the next leaves can ask for (their left siblings).</summary>
    private sealed class Frontier : IMerkleNodes
    {
        private readonly Dictionary<(int Level, long Index), byte[]> _nodes = [];

        public byte[] Node(int level, long index) =>
            _nodes.TryGetValue((level, index), out var hash) ? hash : throw new InvalidDataException($"The record is missing Merkle node ({level}, {index}).");

        public void Set(int level, long index, byte[] hash)
        {
            // A completed parent makes its children unreachable for later leaves.
            if (level > 0)
            {
                _nodes.Remove((level - 1, 2 * index));
                _nodes.Remove((level - 1, (2 * index) + 1));
            }

            _nodes[(level, index)] = hash;
        }
    }

    /// <remarks>
    /// A head is signed at most once a second, so a day of steady writes leaves about 86,400;
    /// each costs a signature check and a root from the stored tree (about 0.15 ms). The start
    /// checks the newest <see cref="HeadsAtStart"/> of those since its last check (and always the
    /// newest and the anchor's); <c>--full</c> checks every one.
    /// </remarks>
    private long CheckHeads(long from, long size, bool full)
    {
        var heads = store.HeadsFrom(from);
        var checkedHeads = new List<RecordHead>(full || heads.Count <= HeadsAtStart ? heads : heads.Skip(heads.Count - HeadsAtStart));
        if (anchor.Head is { } a && !heads.Any(h => h.Size == a.Size))
        {
            checkedHeads.Add(a);
        }

        foreach (var h in checkedHeads)
        {
            if (!key.Verifies(h))
            {
                FailWithoutIndex($"The signed head of {h.Size:N0} entries in the database does not verify under the record key {key.VerifierKey}: the key file was replaced or the head edited.");
                return checkedHeads.Count;
            }

            if (h.Size > size)
            {
                Fail(size, $"entry {size} is missing: the database holds {size:N0} entries, but it has a signed head of {h.Size:N0}.");
                return checkedHeads.Count;
            }

            byte[] root;
            try
            {
                root = store.RecordRoot(h.Size);
            }
            catch (InvalidDataException e)
            {
                FailWithoutIndex($"The stored tree cannot give the root of the head of {h.Size:N0} entries: {e.Message}");
                return checkedHeads.Count;
            }

            if (!root.AsSpan().SequenceEqual(h.RootHash))
            {
                FailWithoutIndex($"The stored tree's root at {h.Size:N0} entries is not the root the service signed: the record was rewritten.");
                return checkedHeads.Count;
            }
        }

        return checkedHeads.Count;
    }

    private long CheckRows(long size, RecordReplay replay)
    {
        progress?.WriteLine("Checking every served row against the entry it names.");
        var served = new HashSet<(string Kind, string Id, string? Side)>();
        long count = 0;
        foreach (var row in store.CheckRows())
        {
            count++;
            served.Add(row.Key);
            var what = Describe(row.Key);
            if (row.RecordIndex is not { } index || index < 0 || index >= size || row.Entry is null)
            {
                Fail(row.RecordIndex is { } i && i >= 0 ? Math.Min(i, size) : null, $"{what} names no entry of the record (record index {row.RecordIndex?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}).");
                continue;
            }

            if (row.Leaf is null || !MerkleTree.LeafHash(row.Entry).AsSpan().SequenceEqual(row.Leaf))
            {
                Fail(index, $"entry {index} does not hash to its leaf in the stored tree: the entry was edited.");
                continue;
            }

            var subject = RecordEntry.Parse(row.Entry) is { } entry ? SafeSubject(entry) : null;
            if (subject is null || subject.Key != row.Key)
            {
                Fail(index, $"entry {index} is not about {what}, which names it.");
                continue;
            }

            var state = ServedState.Of(row);
            if (subject.State != state)
            {
                Fail(index, $"entry {index} does not state {what} as the database serves it: the stored row was edited.");
                continue;
            }

            if (replay.Latest(row.Key) is { } latest && (latest.Index < index || latest.StateHash is not { } h || !h.AsSpan().SequenceEqual(RecordReplay.StateHash(state))))
            {
                Fail(latest.Index, $"entry {latest.Index} is the latest about {what}, and the database serves another state (it names entry {index}).");
            }

            if (count % ProgressEvery == 0)
            {
                progress?.WriteLine($"  {count:N0} rows checked.");
            }
        }

        // The inbox lists a message to the parties the index names: it must name exactly the
        // recipients the message (bound to its entry above) gives.
        foreach (var (message, index, party) in store.RecipientMismatches().Take(1))
        {
            Fail(index, message is null
                ? $"the inbox index lists a message that does not exist to {party}."
                : $"entry {index}: the inbox index of message {message} does not list exactly its recipients ({party} differs).");
        }

        foreach (var (index, key) in replay.Missing(served).Take(1))
        {
            Fail(index, $"entry {index} states {Describe(key)}, which the database does not hold: the row was deleted.");
        }

        return count;
    }

    private static RecordSubject? SafeSubject(RecordEntry entry)
    {
        try
        {
            return RecordSubject.Of(entry);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static string Describe((string Kind, string Id, string? Side) key) =>
        key.Side is null ? $"{key.Kind} {key.Id}" : $"{key.Kind} {key.Id} (as {key.Side} sees it)";

    private void Fail(long? index, string message)
    {
        if (_failure is null || (index is { } i && (_failedAt is null ? !_failedWithoutIndex : i < _failedAt)))
        {
            _failure = message;
            _failedAt = index;
        }
    }

    private void FailWithoutIndex(string message)
    {
        if (_failure is null)
        {
            _failure = message;
            _failedWithoutIndex = true;
        }
    }

    private RecordCheckResult Result(long size, long entries, long rows, long heads, string? failure) =>
        new(size, entries, rows, heads, failure is null ? null : "Record check failed: " + failure);
}
