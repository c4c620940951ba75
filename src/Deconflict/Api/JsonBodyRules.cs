using System.Text;
using System.Text.Json;
using Deconflict.Core.Model;
using Deconflict.Service;

namespace Deconflict.Api;

/// <summary>
/// The rules every JSON text a party sends must keep before it is bound to a type, checked in one
/// pass of <see cref="Utf8JsonReader"/> over the whole text (nested objects too, and the free-form
/// <c>details</c>): no object names a member twice (<c>duplicate-member</c>: a reader that keeps the
/// first and one that keeps the last would see two different requests), and no string, value or
/// member name, holds a control character or a bidirectional override (<c>control-character</c>;
/// tab and newline pass only in the members the caller names as multi-line). The first breach is
/// refused with its RFC 6901 pointer. Malformed JSON is left to the deserialiser, which says where.
/// </summary>
/// <remarks>
/// This runs on every body, track batches of 2,000 reports included, so it allocates nothing per
/// member: names are compared as their unescaped UTF-8 bytes, in place in the body (or, when
/// escaped, in a scratch buffer), linearly within an object up to <see cref="LinearNames"/>
/// members and through a hash set beyond (so that an object of 100,000 members is not quadratic);
/// strings are decoded only when they hold a byte outside printable ASCII. A first version that
/// made a string and a HashSet per object cost 4.1 ms on a 2,000-report batch, as much as reading
/// and checking the batch; this one costs a fraction of it (docs/performance.md).
/// </remarks>
public static class JsonBodyRules
{
    /// <summary>The same depth as the deserialiser's default (64): deeper is refused by both.</summary>
    public const int MaxDepth = 64;

    /// <summary>Up to this many members an object's names are compared one by one; beyond, hashed.</summary>
    private const int LinearNames = 32;

    public static Refusal? Check(ReadOnlySpan<byte> json, IReadOnlySet<string>? multiline = null)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = MaxDepth });
        var frames = new Frame[MaxDepth + 1];
        var depth = 0;
        var names = new List<Name>();
        var scratch = new List<byte>();
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                    case JsonTokenType.StartArray:
                        Next(frames, depth);
                        frames[depth++] = new Frame { IsObject = reader.TokenType == JsonTokenType.StartObject, NamesStart = names.Count, Index = -1 };
                        break;
                    case JsonTokenType.EndObject:
                    case JsonTokenType.EndArray:
                        depth--;
                        if (frames[depth].IsObject)
                        {
                            names.RemoveRange(frames[depth].NamesStart, names.Count - frames[depth].NamesStart);
                        }

                        break;
                    case JsonTokenType.PropertyName:
                        var name = NameOf(ref reader, scratch);
                        ref var top = ref frames[depth - 1];
                        top.Member = name;
                        if (Seen(json, scratch, names, ref top, name))
                        {
                            return new Refusal(RefusalReason.DuplicateMember, $"The member \"{Printable(Text(json, scratch, name))}\" appears twice in one object; give each member once.")
                                .With("pointer", Pointer(json, scratch, frames, depth));
                        }

                        names.Add(name);
                        if (!name.Escaped && PrintableAscii(reader.ValueSpan))
                        {
                            break;
                        }

                        var decoded = Text(json, scratch, name);
                        if (ControlText.IndexOfUnsafe(decoded) is var n and >= 0)
                        {
                            return Control(decoded, n, Pointer(json, scratch, frames, depth), "member name");
                        }

                        break;
                    case JsonTokenType.String:
                        Next(frames, depth);
                        if (!reader.ValueIsEscaped && PrintableAscii(reader.ValueSpan))
                        {
                            break;
                        }

                        var text = reader.GetString()!;
                        var at = ControlText.IndexOfUnsafe(text, multiline: true);
                        string? pointer = null;
                        if (at < 0 && ControlText.IndexOfUnsafe(text) is var line and >= 0)
                        {
                            // Tab or newline: only in the members the caller allows to span lines.
                            pointer = Pointer(json, scratch, frames, depth);
                            at = multiline is not null && multiline.Contains(pointer) ? -1 : line;
                        }

                        if (at >= 0)
                        {
                            return Control(text, at, pointer ?? Pointer(json, scratch, frames, depth), "text");
                        }

                        break;
                    default:
                        Next(frames, depth);
                        break;
                }
            }
        }
        catch (JsonException)
        {
            return null;
        }
        catch (InvalidOperationException)
        {
            // A string escape that is not UTF-16 (a lone surrogate, \ud800): the deserialiser refuses it too, with its path.
            return null;
        }

        return null;
    }

    private static Refusal Control(string text, int index, string pointer, string what) =>
        new Refusal(RefusalReason.ControlCharacter, $"The {what} at {pointer} holds the control character {ControlText.Name(text, index)} at position {index}; " +
            "control characters and bidirectional overrides are refused (tab and newline only in message bodies and notes).")
            .With("pointer", pointer);

    /// <summary>A value inside an array moves its index; a value of a member needs nothing (the member name is its place).</summary>
    private static void Next(Frame[] frames, int depth)
    {
        if (depth > 0 && !frames[depth - 1].IsObject)
        {
            frames[depth - 1].Index++;
        }
    }

    /// <summary>Where the name's unescaped UTF-8 bytes are: in place in the body, or copied to the scratch buffer when escaped.</summary>
    private static Name NameOf(ref Utf8JsonReader reader, List<byte> scratch)
    {
        if (!reader.ValueIsEscaped)
        {
            return new Name((int)reader.TokenStartIndex + 1, reader.ValueSpan.Length, Escaped: false);
        }

        var unescaped = Encoding.UTF8.GetBytes(reader.GetString()!);
        var start = scratch.Count;
        scratch.AddRange(unescaped);
        return new Name(start, unescaped.Length, Escaped: true);
    }

    private static ReadOnlySpan<byte> Bytes(ReadOnlySpan<byte> json, List<byte> scratch, Name name) =>
        name.Escaped ? System.Runtime.InteropServices.CollectionsMarshal.AsSpan(scratch).Slice(name.Start, name.Length) : json.Slice(name.Start, name.Length);

    private static string Text(ReadOnlySpan<byte> json, List<byte> scratch, Name name) => Encoding.UTF8.GetString(Bytes(json, scratch, name));

    /// <summary>Whether the object at <paramref name="frame"/> named <paramref name="name"/> before.</summary>
    private static bool Seen(ReadOnlySpan<byte> json, List<byte> scratch, List<Name> names, ref Frame frame, Name name)
    {
        var count = names.Count - frame.NamesStart;
        if (frame.Hashed is { } set)
        {
            return !set.Add(Text(json, scratch, name));
        }

        var bytes = Bytes(json, scratch, name);
        for (var i = frame.NamesStart; i < names.Count; i++)
        {
            if (Bytes(json, scratch, names[i]).SequenceEqual(bytes))
            {
                return true;
            }
        }

        if (count + 1 > LinearNames)
        {
            frame.Hashed = new HashSet<string>(StringComparer.Ordinal);
            for (var i = frame.NamesStart; i < names.Count; i++)
            {
                frame.Hashed.Add(Text(json, scratch, names[i]));
            }

            frame.Hashed.Add(Text(json, scratch, name));
        }

        return false;
    }

    private static string Pointer(ReadOnlySpan<byte> json, List<byte> scratch, Frame[] frames, int depth)
    {
        var pointer = new StringBuilder();
        for (var i = 0; i < depth; i++)
        {
            pointer.Append('/');
            if (frames[i].IsObject)
            {
                pointer.Append(Text(json, scratch, frames[i].Member).Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal));
            }
            else
            {
                pointer.Append(frames[i].Index);
            }
        }

        return pointer.ToString();
    }

    private static bool PrintableAscii(ReadOnlySpan<byte> utf8)
    {
        foreach (var b in utf8)
        {
            if (b is < 0x20 or >= 0x7F)
            {
                return false;
            }
        }

        return true;
    }

    private static string Printable(string name) => ControlText.IndexOfUnsafe(name) < 0 ? name : "(a name with a control character)";

    /// <summary>A member name's unescaped UTF-8 bytes: at <see cref="Start"/> in the body, or in the scratch buffer when it was escaped.</summary>
    private readonly record struct Name(int Start, int Length, bool Escaped);

    /// <summary>An object (its names from <see cref="NamesStart"/> on, the current one) or an array (the index of the current element).</summary>
    private struct Frame
    {
        public bool IsObject;
        public int NamesStart;
        public Name Member;
        public int Index;
        public HashSet<string>? Hashed;
    }
}
