using System.Text.Json;
using Deconflict.Core.Model;

namespace Deconflict.Api;

/// <summary>
/// The rules every JSON text a party sends must keep before it is bound to a type, checked in one
/// pass of <see cref="Utf8JsonReader"/> over the whole text (nested objects too, and the free-form
/// <c>details</c>): no object names a member twice (<c>duplicate-member</c>: a reader that keeps the
/// first and one that keeps the last would see two different requests), and no string, value or
/// member name, holds a control character or a bidirectional override (<c>control-character</c>;
/// tab and newline pass only in the members the caller names as multi-line). The first breach is
/// refused with its RFC 6901 pointer. Malformed JSON is left to the deserialiser, which says where.
/// Cost: one forward read of the text; a string is decoded only when it holds a byte outside
/// printable ASCII.
/// </summary>
public static class JsonBodyRules
{
    /// <summary>The same depth as the deserialiser's default (64): deeper is refused by both.</summary>
    public const int MaxDepth = 64;

    public static ApiError? Check(ReadOnlySpan<byte> json, IReadOnlySet<string>? multiline = null)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = MaxDepth });
        var frames = new List<Frame>();
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                        Next(frames);
                        frames.Add(new Frame(new HashSet<string>(StringComparer.Ordinal)));
                        break;
                    case JsonTokenType.StartArray:
                        Next(frames);
                        frames.Add(new Frame(null));
                        break;
                    case JsonTokenType.EndObject:
                    case JsonTokenType.EndArray:
                        frames.RemoveAt(frames.Count - 1);
                        break;
                    case JsonTokenType.PropertyName:
                        var top = frames[^1];
                        var name = reader.GetString()!;
                        top.Member = name;
                        if (!top.Names!.Add(name))
                        {
                            return new ApiError(Problems.DuplicateMember, $"The member \"{Printable(name)}\" appears twice in one object; give each member once.")
                                .With("pointer", Pointer(frames));
                        }

                        if (ControlText.IndexOfUnsafe(name) is var n and >= 0)
                        {
                            return Control(name, n, Pointer(frames), "member name");
                        }

                        break;
                    case JsonTokenType.String:
                        Next(frames);
                        if (!reader.ValueIsEscaped && PrintableAscii(reader.ValueSpan))
                        {
                            break;
                        }

                        var text = reader.GetString()!;
                        var pointer = (string?)null;
                        var at = ControlText.IndexOfUnsafe(text, multiline: true);
                        if (at < 0 && ControlText.IndexOfUnsafe(text) is var line and >= 0)
                        {
                            // Tab or newline: only in the members the caller allows to span lines.
                            pointer = Pointer(frames);
                            at = multiline is not null && multiline.Contains(pointer) ? -1 : line;
                        }

                        if (at >= 0)
                        {
                            return Control(text, at, pointer ?? Pointer(frames), "text");
                        }

                        break;
                    default:
                        Next(frames);
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

    private static ApiError Control(string text, int index, string pointer, string what) =>
        new ApiError(Problems.ControlCharacter, $"The {what} at {pointer} holds the control character {ControlText.Name(text, index)} at position {index}; " +
            "control characters and bidirectional overrides are refused (tab and newline only in message bodies and notes).")
            .With("pointer", pointer);

    /// <summary>A value inside an array moves its index; a value of a member needs nothing (the member name is its place).</summary>
    private static void Next(List<Frame> frames)
    {
        if (frames.Count > 0 && frames[^1].Names is null)
        {
            frames[^1].Index++;
        }
    }

    private static string Pointer(List<Frame> frames)
    {
        var pointer = new System.Text.StringBuilder();
        foreach (var f in frames)
        {
            pointer.Append('/');
            if (f.Names is null)
            {
                pointer.Append(f.Index);
            }
            else
            {
                pointer.Append(f.Member!.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal));
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

    /// <summary>An object (with the names seen so far and the current one) or an array (with the index of the current element).</summary>
    private sealed class Frame(HashSet<string>? names)
    {
        public HashSet<string>? Names { get; } = names;

        public string? Member { get; set; }

        public int Index { get; set; } = -1;
    }
}
