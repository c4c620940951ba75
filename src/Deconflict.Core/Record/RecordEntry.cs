using System.Buffers;
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
    public byte[] Canonical()
    {
        var sb = new StringBuilder(PayloadJson.Length + 200);
        sb.Append("{\"actor\":");
        AppendStringOrNull(sb, Actor);
        sb.Append(",\"index\":").Append(Index.ToString(CultureInfo.InvariantCulture));
        sb.Append(",\"parties\":[");
        var parties = Parties.IsDefault ? [] : Parties.Sort(StringComparer.Ordinal);
        for (var i = 0; i < parties.Length; i++)
        {
            if (i > 0)
            {
                sb.Append(',');
            }

            AppendString(sb, parties[i]);
        }

        sb.Append("],\"payload\":");
        AppendString(sb, PayloadJson);
        sb.Append(",\"salt\":");
        AppendString(sb, Salt);
        sb.Append(",\"time\":");
        AppendString(sb, FormatTime(Time));
        sb.Append(",\"type\":");
        AppendString(sb, Type);
        sb.Append('}');
        return StrictUtf8.GetBytes(sb.ToString());
    }

    /// <summary>The leaf hash of this entry.</summary>
    public byte[] LeafHash() => MerkleTree.LeafHash(Canonical());

    /// <summary>The time as the entry writes it: RFC 3339 UTC with milliseconds.</summary>
    public static string FormatTime(DateTimeOffset time) =>
        Rfc3339.FormatUtcMilliseconds(time);

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
            var parties = root.GetProperty("parties").EnumerateArray().Select(p => p.GetString()!).ToImmutableArray();
            var actor = root.GetProperty("actor");
            var entry = new RecordEntry(
                root.GetProperty("index").GetInt64(),
                DateTimeOffset.Parse(root.GetProperty("time").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal),
                root.GetProperty("type").GetString()!,
                actor.ValueKind == JsonValueKind.Null ? null : actor.GetString(),
                parties,
                root.GetProperty("payload").GetString()!,
                root.GetProperty("salt").GetString()!);
            return entry.Canonical().AsSpan().SequenceEqual(bytes) ? entry : null;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException or DecoderFallbackException)
        {
            return null;
        }
    }

    private static void AppendStringOrNull(StringBuilder sb, string? s)
    {
        if (s is null)
        {
            sb.Append("null");
        }
        else
        {
            AppendString(sb, s);
        }
    }

    // RFC 8785 section 3.2.2.2: the ECMAScript JSON.stringify escaping. Runs that need no escape
    // (almost all of a payload) are copied whole: per character, this loop was 4% of the writer's
    // time with the payloads of a conflict (dotnet-trace, docs/performance.md).
    private static void AppendString(StringBuilder sb, string s)
    {
        sb.Append('"');
        var rest = s.AsSpan();
        while (true)
        {
            var at = rest.IndexOfAny(NeedsEscape);
            if (at < 0)
            {
                sb.Append(rest);
                break;
            }

            sb.Append(rest[..at]);
            var c = rest[at];
            switch (c)
            {
                case '"':
                    sb.Append("\\\"");
                    break;
                case '\\':
                    sb.Append("\\\\");
                    break;
                case '\b':
                    sb.Append("\\b");
                    break;
                case '\f':
                    sb.Append("\\f");
                    break;
                case '\n':
                    sb.Append("\\n");
                    break;
                case '\r':
                    sb.Append("\\r");
                    break;
                case '\t':
                    sb.Append("\\t");
                    break;
                default:
                    sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    break;
            }

            rest = rest[(at + 1)..];
        }

        sb.Append('"');
    }

    // The quote, the backslash and the control characters U+0000 to U+001F.
    private static readonly SearchValues<char> NeedsEscape = SearchValues.Create(
        "\"\\\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000b\f\r\u000e\u000f" +
        "\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f");

    // Strict: a lone surrogate cannot be encoded and refuses the entry instead of being replaced.
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);
}
