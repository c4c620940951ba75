using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Deconflict.Core.Model;

namespace Deconflict.Core.Record;

/// <summary>
/// One entry of the record: the bytes hashed into leaf <see cref="Index"/>. Every persisted event
/// is one entry.
/// </summary>
/// <remarks>
/// <para>
/// Encoding (documented in docs/record.md): the JSON object
/// <c>{"actor","index","parties","payload","salt","time","type"}</c> canonicalised by RFC 8785
/// (JCS): keys in that (sorted) order, no whitespace, strings with JSON's minimal escaping and
/// lower-case \u00xx for other control characters, every other character as UTF-8. Values:
/// <c>actor</c> the acting party's id or null (the service itself); <c>index</c> the leaf index
/// (0-based integer); <c>parties</c> the ids of the parties the event concerns, sorted by ordinal
/// order, empty when it concerns every party; <c>payload</c> the exact JSON text the parties
/// received on their event streams, as a string (so no number formatting is involved);
/// <c>salt</c> 16 random bytes in unpadded base64url, which makes the leaf hash a hiding
/// commitment for parties that may not see the entry; <c>time</c> RFC 3339 UTC with milliseconds;
/// <c>type</c> the event type.
/// </para>
/// <para>
/// Only strings, one integer, null and an array of strings occur, so the JCS number rules never
/// apply and the encoding is exact on every platform.
/// </para>
/// </remarks>
public sealed record RecordEntry(long Index, DateTimeOffset Time, string Type, string? Actor, ImmutableArray<string> Parties, string PayloadJson, string Salt)
{
    /// <summary>Bytes of random salt per entry.</summary>
    public const int SaltBytes = 16;

    /// <summary>The canonical bytes (RFC 8785) that the leaf hash covers.</summary>
    /// <remarks>
    /// Written as UTF-8 straight into a per-thread buffer and copied out once: built as a string
    /// first, an entry cost a StringBuilder, its chunks, a string and then the bytes, about a third
    /// of everything the writer allocated per submission (measured with an allocation listener,
    /// docs/performance.md).
    /// </remarks>
    /// <exception cref="EncoderFallbackException">A string holds a lone surrogate, which UTF-8 cannot encode.</exception>
    public byte[] Canonical()
    {
        var parties = Parties.IsDefault ? [] : Parties.Sort(StringComparer.Ordinal);
        var chars = (Actor?.Length ?? 0) + PayloadJson.Length + Salt.Length + Type.Length;
        foreach (var party in parties)
        {
            chars += party.Length + 3;
        }

        // At most 6 bytes a character (\u001f), plus the keys, the index and the time.
        var buffer = CanonicalBuffer(checked((6 * chars) + 256));
        var w = new Utf8Writer(buffer);
        w.Raw("{\"actor\":"u8);
        if (Actor is null)
        {
            w.Raw("null"u8);
        }
        else
        {
            w.String(Actor);
        }

        w.Raw(",\"index\":"u8);
        w.Int64(Index);
        w.Raw(",\"parties\":["u8);
        for (var i = 0; i < parties.Length; i++)
        {
            if (i > 0)
            {
                w.Raw(","u8);
            }

            w.String(parties[i]);
        }

        w.Raw("],\"payload\":"u8);
        w.String(PayloadJson);
        w.Raw(",\"salt\":"u8);
        w.String(Salt);
        w.Raw(",\"time\":"u8);
        w.String(Rfc3339.FormatUtcMilliseconds(Time));
        w.Raw(",\"type\":"u8);
        w.String(Type);
        w.Raw("}"u8);
        return buffer.AsSpan(0, w.Length).ToArray();
    }

    [ThreadStatic]
    private static byte[]? _canonicalBuffer;

    private static byte[] CanonicalBuffer(int size)
    {
        if (_canonicalBuffer is not { } buffer || buffer.Length < size)
        {
            _canonicalBuffer = buffer = new byte[Math.Max(size, 4096)];
        }

        return buffer;
    }

    /// <summary>The leaf hash of this entry.</summary>
    public byte[] LeafHash() => MerkleTree.LeafHash(Canonical());

    /// <summary>
    /// Reads entry bytes back; null when they are not an entry in this encoding (including when the
    /// bytes are valid JSON but not canonical: re-encoding must give the same bytes).
    /// </summary>
    public static RecordEntry? Parse(ReadOnlySpan<byte> bytes)
    {
        try
        {
            using var doc = JsonDocument.Parse(bytes.ToArray());
            var root = doc.RootElement;
            var parties = root.GetProperty("parties").EnumerateArray().Select(Text).ToImmutableArray();
            var actor = root.GetProperty("actor");
            var entry = new RecordEntry(
                root.GetProperty("index").GetInt64(),
                DateTimeOffset.Parse(Text(root.GetProperty("time")), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal),
                Text(root.GetProperty("type")),
                actor.ValueKind == JsonValueKind.Null ? null : actor.GetString(),
                parties,
                Text(root.GetProperty("payload")),
                Text(root.GetProperty("salt")));
            return entry.Canonical().AsSpan().SequenceEqual(bytes) ? entry : null;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException or DecoderFallbackException)
        {
            return null;
        }

        // GetString gives null for a JSON null, which no field but actor may be.
        static string Text(JsonElement element) =>
            element.ValueKind == JsonValueKind.String ? element.GetString()! : throw new FormatException("Not a string.");
    }

    /// <summary>Writes the canonical form into a buffer sized for the worst case up front.</summary>
    private ref struct Utf8Writer(Span<byte> buffer)
    {
        private readonly Span<byte> _buffer = buffer;

        public int Length { get; private set; }

        public void Raw(ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(_buffer[Length..]);
            Length += bytes.Length;
        }

        public void Int64(long value)
        {
            if (!value.TryFormat(_buffer[Length..], out var written, default, CultureInfo.InvariantCulture))
            {
                throw new InvalidOperationException("The canonical buffer is too small.");
            }

            Length += written;
        }

        // RFC 8785 section 3.2.2.2: the ECMAScript JSON.stringify escaping. ASCII is copied a
        // character at a time and a run of other characters is transcoded whole. A payload is
        // JSON, so a quote to escape comes every few characters: searching for the next escape and
        // transcoding the run in between (the previous form) took 1.5 us for an entry with a
        // 480-character conflict payload, this loop 1.0 us (100,000 calls, timed in a probe).
        public void String(string s)
        {
            Raw("\""u8);
            var text = s.AsSpan();
            var buffer = _buffer;
            var at = Length;
            var i = 0;
            while (i < text.Length)
            {
                var c = text[i];
                if (c >= 0x80)
                {
                    // Surrogate pairs stay inside one run; a lone surrogate makes StrictUtf8 throw.
                    var end = i + 1;
                    while (end < text.Length && text[end] >= 0x80)
                    {
                        end++;
                    }

                    at += StrictUtf8.GetBytes(text[i..end], buffer[at..]);
                    i = end;
                    continue;
                }

                if (c >= 0x20 && c != '"' && c != '\\')
                {
                    buffer[at++] = (byte)c;
                }
                else
                {
                    Length = at;
                    Escape(c);
                    at = Length;
                }

                i++;
            }

            Length = at;
            Raw("\""u8);
        }

        private void Escape(char c)
        {
            switch (c)
            {
                case '"':
                    Raw("\\\""u8);
                    break;
                case '\\':
                    Raw("\\\\"u8);
                    break;
                case '\b':
                    Raw("\\b"u8);
                    break;
                case '\f':
                    Raw("\\f"u8);
                    break;
                case '\n':
                    Raw("\\n"u8);
                    break;
                case '\r':
                    Raw("\\r"u8);
                    break;
                case '\t':
                    Raw("\\t"u8);
                    break;
                default:
                    Raw("\\u"u8);
                    ((int)c).TryFormat(_buffer[Length..], out var written, "x4", CultureInfo.InvariantCulture);
                    Length += written;
                    break;
            }
        }
    }

    // Strict: a lone surrogate cannot be encoded and refuses the entry instead of being replaced.
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);
}
