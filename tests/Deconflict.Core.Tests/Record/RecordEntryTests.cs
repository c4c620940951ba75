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
    public void Random_payloads_are_escaped_exactly_as_a_character_by_character_reference()
    {
        // Mixes JSON punctuation, every control character, Latin, CJK and astral (surrogate pair)
        // characters, in runs of every length, so the ASCII loop and the non-ASCII runs alternate.
        var random = new Random(8785);
        string[] pieces = ["\"", "\\", "{", ":", "a", "Z", "0", " ", "é", "ʻ", "中文", "😀", "\u2028", "\u007f", "\u0080", "\uffff"];
        for (var n = 0; n < 2_000; n++)
        {
            var text = new StringBuilder();
            for (var k = random.Next(0, 60); k > 0; k--)
            {
                text.Append(random.Next(4) == 0 ? ((char)random.Next(0, 0x20)).ToString() : pieces[random.Next(pieces.Length)]);
            }

            var payload = text.ToString();
            var entry = new RecordEntry(n, At, "t", null, [], payload, "s");
            var expected = "{\"actor\":null,\"index\":" + n + ",\"parties\":[],\"payload\":" + ReferenceEscape(payload) +
                ",\"salt\":\"s\",\"time\":\"2026-11-26T09:30:00.125Z\",\"type\":\"t\"}";
            Assert.Equal(expected, Encoding.UTF8.GetString(entry.Canonical()));
        }
    }

    [Fact]
    public void A_lone_surrogate_cannot_be_an_entry()
    {
        // Built here: test-case strings with a lone surrogate are replaced by U+FFFD on their way
        // through the test runner's serialisation.
        foreach (var payload in new[] { ((char)0xD800).ToString(), "ok " + (char)0xDC00 + " then", "é" + (char)0xD83D, "{\"a\":\"" + (char)0xDBFF + "\"}" })
        {
            var entry = new RecordEntry(0, At, "t", null, [], payload, "s");
            Assert.Throws<EncoderFallbackException>(() => entry.Canonical());
        }
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

    // Found by the record-entry fuzzing target: a null where a string belongs threw
    // NullReferenceException from Canonical() instead of being refused.
    [Theory]
    [InlineData("{\"actor\":null,\"index\":0,\"parties\":[null],\"payload\":\"{}\",\"salt\":\"s\",\"time\":\"2026-01-01T00:00:00.000Z\",\"type\":\"t\"}")]
    [InlineData("{\"actor\":null,\"index\":0,\"parties\":[],\"payload\":null,\"salt\":\"s\",\"time\":\"2026-01-01T00:00:00.000Z\",\"type\":\"t\"}")]
    [InlineData("{\"actor\":null,\"index\":0,\"parties\":[],\"payload\":\"{}\",\"salt\":null,\"time\":\"2026-01-01T00:00:00.000Z\",\"type\":\"t\"}")]
    [InlineData("{\"actor\":null,\"index\":0,\"parties\":[],\"payload\":\"{}\",\"salt\":\"s\",\"time\":null,\"type\":\"t\"}")]
    [InlineData("{\"actor\":null,\"index\":0,\"parties\":[],\"payload\":\"{}\",\"salt\":\"s\",\"time\":\"2026-01-01T00:00:00.000Z\",\"type\":null}")]
    public void A_null_where_a_string_belongs_is_not_an_entry(string json)
    {
        Assert.Null(RecordEntry.Parse(Encoding.UTF8.GetBytes(json)));
    }

    [Fact]
    public void The_same_bytes_with_strings_are_an_entry()
    {
        var json = "{\"actor\":null,\"index\":0,\"parties\":[\"b\"],\"payload\":\"{}\",\"salt\":\"s\",\"time\":\"2026-01-01T00:00:00.000Z\",\"type\":\"t\"}";
        var entry = RecordEntry.Parse(Encoding.UTF8.GetBytes(json));
        Assert.NotNull(entry);
        Assert.Equal("t", entry.Type);
        Assert.Equal(["b"], entry.Parties.ToArray());
    }

    [Fact]
    public void An_entry_hashes_its_canonical_bytes()
    {
        var entry = new RecordEntry(3, At, "zone", "blue", [], "{}", "salt");
        Assert.Equal(MerkleTree.LeafHash(entry.Canonical()), entry.LeafHash());
    }

    // RFC 8785 section 3.2.2.2, one character at a time: quote and backslash escaped, the short
    // forms for \b \f \n \r \t, lower-case \u00xx for the other controls, everything else as is.
    private static string ReferenceEscape(string s)
    {
        var o = new StringBuilder("\"");
        foreach (var c in s)
        {
            o.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\b' => "\\b",
                '\f' => "\\f",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                < ' ' => "\\u" + ((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture),
                _ => c.ToString(),
            });
        }

        return o.Append('"').ToString();
    }

    private sealed class EntryComparer : IEqualityComparer<RecordEntry?>
    {
        public bool Equals(RecordEntry? x, RecordEntry? y) =>
            x is not null && y is not null && x.Index == y.Index && x.Time == y.Time && x.Type == y.Type && x.Actor == y.Actor &&
            x.Parties.SequenceEqual(y.Parties) && x.PayloadJson == y.PayloadJson && x.Salt == y.Salt;

        public int GetHashCode(RecordEntry? obj) => 0;
    }
}
