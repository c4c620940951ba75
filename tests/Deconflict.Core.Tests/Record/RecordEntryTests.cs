using System.Text;
using Deconflict.Core.Record;

namespace Deconflict.Core.Tests.Record;

/// <summary>The entry's canonical bytes (RFC 8785): exact output, escaping, and strict parsing.</summary>
public class RecordEntryTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 26, 9, 30, 0, 125, TimeSpan.Zero);

    [Fact]
    public void The_canonical_bytes_are_exactly_the_documented_form()
    {
        var entry = new RecordEntry(41, At, "conflict", "red", ["red", "blue"], "{\"action\":\"opened\",\"n\":1.5}", "AAECAwQFBgcICQoLDA0ODw");
        var expected = "{\"actor\":\"red\",\"index\":41,\"parties\":[\"blue\",\"red\"],\"payload\":\"{\\\"action\\\":\\\"opened\\\",\\\"n\\\":1.5}\"," +
            "\"salt\":\"AAECAwQFBgcICQoLDA0ODw\",\"time\":\"2026-11-26T09:30:00.125Z\",\"type\":\"conflict\"}";
        Assert.Equal(expected, Encoding.UTF8.GetString(entry.Canonical()));
        Assert.Equal(entry with { Parties = ["blue", "red"] }, RecordEntry.Parse(entry.Canonical()), new EntryComparer());
    }

    [Fact]
    public void Strings_are_escaped_as_rfc_8785_says_and_other_characters_stay_utf8()
    {
        var entry = new RecordEntry(0, At, "operation", null, [], "line\n\ttab \"q\" back\\slash \u0001 \u001f é ʻ 😀 \u2028", "s");
        var text = Encoding.UTF8.GetString(entry.Canonical());
        Assert.Contains("\"actor\":null", text, StringComparison.Ordinal);
        Assert.Contains("\"parties\":[]", text, StringComparison.Ordinal);
        Assert.Contains("\"payload\":\"line\\n\\ttab \\\"q\\\" back\\\\slash \\u0001 \\u001f é ʻ 😀 \u2028\"", text, StringComparison.Ordinal);
        Assert.NotNull(RecordEntry.Parse(entry.Canonical()));
    }

    [Fact]
    public void Bytes_that_are_not_canonical_are_not_an_entry()
    {
        var entry = new RecordEntry(3, At, "zone", "blue", [], "{}", "salt");
        var canonical = Encoding.UTF8.GetString(entry.Canonical());
        Assert.Null(RecordEntry.Parse(Encoding.UTF8.GetBytes(canonical.Replace(",", ", ", StringComparison.Ordinal))));
        Assert.Null(RecordEntry.Parse(Encoding.UTF8.GetBytes(canonical.Replace("\"index\":3", "\"index\":3.0", StringComparison.Ordinal))));
        Assert.Null(RecordEntry.Parse("not json"u8));
        Assert.Null(RecordEntry.Parse("{}"u8));
        Assert.Equal(MerkleTree.LeafHash(entry.Canonical()), entry.LeafHash());
    }

    private sealed class EntryComparer : IEqualityComparer<RecordEntry?>
    {
        public bool Equals(RecordEntry? x, RecordEntry? y) =>
            x is not null && y is not null && x.Index == y.Index && x.Time == y.Time && x.Type == y.Type && x.Actor == y.Actor &&
            x.Parties.SequenceEqual(y.Parties) && x.PayloadJson == y.PayloadJson && x.Salt == y.Salt;

        public int GetHashCode(RecordEntry? obj) => 0;
    }
}
