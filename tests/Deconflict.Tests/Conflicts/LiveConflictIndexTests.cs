using Deconflict.Conflicts;

namespace Deconflict.Tests.Conflicts;

/// <summary>The writer's reference-free map of live conflicts, against a plain dictionary of sets.</summary>
public sealed class LiveConflictIndexTests
{
    [Fact]
    public void Random_adds_and_removes_agree_with_a_dictionary_of_sets_through_growth_and_tombstones()
    {
        var rnd = new Random(21);
        var index = new LiveConflictIndex();
        var reference = new Dictionary<string, HashSet<long>>(StringComparer.Ordinal);
        var ids = Enumerable.Range(0, 3_000).Select(i => $"op-{i:D5}").ToArray();
        for (var step = 0; step < 200_000; step++)
        {
            var id = ids[rnd.Next(ids.Length)];
            var seq = (long)rnd.Next(5_000);
            var set = reference.TryGetValue(id, out var s) ? s : reference[id] = [];
            if (rnd.Next(3) > 0)
            {
                Assert.Equal(set.Add(seq), index.Add(id, seq));
            }
            else
            {
                Assert.Equal(set.Remove(seq), index.Remove(id, seq));
            }
        }

        Assert.Equal(reference.Values.Sum(s => s.Count), index.Count);
        var seqs = new List<long>();
        foreach (var id in ids)
        {
            seqs.Clear();
            index.Collect(id, seqs);
            var own = reference.TryGetValue(id, out var set) ? set : [];
            // Every pair of the id is collected (own is a subset of what came back)...
            Assert.Subset(seqs.ToHashSet(), own);
            Assert.Equal(seqs.Count, seqs.Distinct().Count());

            // ...and anything else belongs to an id with the same hash code.
            var hash = StringComparer.Ordinal.GetHashCode(id);
            var sameHash = reference.Where(kv => StringComparer.Ordinal.GetHashCode(kv.Key) == hash).SelectMany(kv => kv.Value).ToHashSet();
            Assert.Subset(sameHash, seqs.ToHashSet());
        }
    }

    [Fact]
    public void A_pair_is_held_once_and_removing_a_missing_pair_changes_nothing()
    {
        var index = new LiveConflictIndex();
        Assert.True(index.Add("op-a", 7));
        Assert.False(index.Add("op-a", 7));
        Assert.True(index.Add("op-b", 7));
        Assert.False(index.Remove("op-a", 8));
        Assert.False(index.Remove("op-c", 7));
        Assert.Equal(2, index.Count);
        Assert.True(index.Remove("op-a", 7));
        Assert.False(index.Remove("op-a", 7));

        var seqs = new List<long>();
        index.Collect("op-a", seqs);
        Assert.Empty(seqs);
        index.Collect("op-b", seqs);
        Assert.Equal([7L], seqs);
        Assert.Equal(1, index.Count);
    }
}
