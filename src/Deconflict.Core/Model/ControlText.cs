namespace Deconflict.Core.Model;

/// <summary>
/// The characters a party may not put in text that another party's screen shows: the Unicode
/// control characters (category Cc: U+0000-U+001F, U+007F-U+009F, which include ESC, the start of
/// every terminal escape sequence, and NUL), and the bidirectional embeddings, overrides and
/// isolates (U+202A-U+202E, U+2066-U+2069), which make a text read differently from what it holds.
/// Tab and newline are allowed where the API says a text may span lines (message bodies, notes).
/// </summary>
public static class ControlText
{
    /// <summary>True for a control character or a bidirectional override (whatever the context).</summary>
    public static bool IsUnsafe(char c) =>
        char.IsControl(c) || c is (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069');

    /// <summary>The index of the first character <paramref name="text"/> may not hold, or -1; tab and newline pass when <paramref name="multiline"/>.</summary>
    public static int IndexOfUnsafe(ReadOnlySpan<char> text, bool multiline = false)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (IsUnsafe(c) && !(multiline && c is '\t' or '\n'))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The character at <paramref name="index"/> written as U+XXXX, for a message that names it.</summary>
    public static string Name(ReadOnlySpan<char> text, int index) => $"U+{(int)text[index]:X4}";
}
