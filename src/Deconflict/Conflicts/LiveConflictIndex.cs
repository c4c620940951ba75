namespace Deconflict.Conflicts;

/// <summary>
/// The writer's map from a declaration to its live conflicts: pairs of (hash of the declaration's
/// id, the conflict's row seq) in one open-addressed array of structs holding no references.
/// </summary>
/// <remarks>
/// <para>
/// Why not a dictionary of sets of ids: at 1,000 submissions a second each new operation opened
/// 5.7 conflicts, and the map gained a set, 5.7 id strings and an entry in 11 sets, most of them
/// old. The garbage collector traced and promoted all of it, and marked cards in the old sets:
/// without the map, gen0 pauses fell from 24 to 11 ms and gen1 pauses from 60 to 27 ms (EventPipe
/// GC events during the load test, docs/performance.md). An array of plain structs is never
/// traced.
/// </para>
/// <para>
/// A hash can be shared by two ids, so <see cref="Collect"/> may give a conflict of another
/// declaration: the caller reads each conflict and keeps those that name the declaration.
/// Linear probing with tombstones; the table doubles (and drops its tombstones) when more than
/// half of it is taken. Not thread-safe: it belongs to the single writer.
/// </para>
/// </remarks>
internal sealed class LiveConflictIndex
{
    private const byte Empty = 0;
    private const byte Used = 1;
    private const byte Deleted = 2;

    private Slot[] _slots = new Slot[1024];
    private int _taken;

    /// <summary>Live (declaration, conflict) pairs held.</summary>
    public int Count { get; private set; }

    /// <summary>Adds the pair; false when it is already there.</summary>
    public bool Add(string declarationId, long conflictSeq)
    {
        if ((_taken + 1) * 2 > _slots.Length)
        {
            Resize(Count + 1 > _slots.Length / 4 ? _slots.Length * 2 : _slots.Length);
        }

        var hash = Hash(declarationId);
        var mask = _slots.Length - 1;
        var free = -1;
        for (var i = Start(hash); ; i = (i + 1) & mask)
        {
            ref var slot = ref _slots[i];
            if (slot.State == Empty)
            {
                if (free < 0)
                {
                    free = i;
                    _taken++;
                }

                break;
            }

            if (slot.State == Deleted)
            {
                free = free < 0 ? i : free;
            }
            else if (slot.Hash == hash && slot.ConflictSeq == conflictSeq)
            {
                return false;
            }
        }

        _slots[free] = new Slot(conflictSeq, hash, Used);
        Count++;
        return true;
    }

    /// <summary>Removes the pair; false when it was not there.</summary>
    public bool Remove(string declarationId, long conflictSeq)
    {
        var hash = Hash(declarationId);
        var mask = _slots.Length - 1;
        for (var i = Start(hash); _slots[i].State != Empty; i = (i + 1) & mask)
        {
            ref var slot = ref _slots[i];
            if (slot.State == Used && slot.Hash == hash && slot.ConflictSeq == conflictSeq)
            {
                slot = slot with { State = Deleted };
                Count--;
                return true;
            }
        }

        return false;
    }

    /// <summary>Adds to <paramref name="seqs"/> the conflicts held under the declaration's hash (a superset of its own).</summary>
    public void Collect(string declarationId, List<long> seqs)
    {
        var hash = Hash(declarationId);
        var mask = _slots.Length - 1;
        for (var i = Start(hash); _slots[i].State != Empty; i = (i + 1) & mask)
        {
            ref readonly var slot = ref _slots[i];
            if (slot.State == Used && slot.Hash == hash)
            {
                seqs.Add(slot.ConflictSeq);
            }
        }
    }

    private static int Hash(string declarationId) => StringComparer.Ordinal.GetHashCode(declarationId);

    // Fibonacci hashing spreads nearby hash codes over the table.
    private int Start(int hash) => (int)(((uint)hash * 2654435769u) >> (32 - System.Numerics.BitOperations.Log2((uint)_slots.Length)));

    private void Resize(int capacity)
    {
        var old = _slots;
        _slots = new Slot[capacity];
        _taken = 0;
        Count = 0;
        var mask = capacity - 1;
        foreach (var slot in old)
        {
            if (slot.State != Used)
            {
                continue;
            }

            var i = Start(slot.Hash);
            while (_slots[i].State != Empty)
            {
                i = (i + 1) & mask;
            }

            _slots[i] = slot;
            _taken++;
            Count++;
        }
    }

    private readonly record struct Slot(long ConflictSeq, int Hash, byte State);
}
