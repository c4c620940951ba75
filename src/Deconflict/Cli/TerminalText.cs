using System.Globalization;
using System.Text;
using Deconflict.Core.Model;

namespace Deconflict.Cli;

/// <summary>
/// Makes text that came from another party (or from the server) safe to print on a terminal: every
/// control character and bidirectional override (<see cref="ControlText"/>) is written as the
/// visible six characters \uXXXX, JSON's own escape, so that printed JSON stays JSON. An ESC can
/// then no longer start an escape sequence (move the cursor, rewrite a line, set the title), nor a
/// NUL or CR hide what follows. The one helper for this: the CLI's output goes through
/// <see cref="Writer"/>, and the demo's tables through <see cref="Markup"/>.
/// </summary>
public static class TerminalText
{
    /// <summary>The text with every unsafe character escaped; tab and newline (and CR before newline) kept when <paramref name="multiline"/>.</summary>
    public static string Safe(string? text, bool multiline = false)
    {
        if (text is null)
        {
            return string.Empty;
        }

        var first = ControlText.IndexOfUnsafe(text, multiline);
        if (first < 0)
        {
            return text;
        }

        var safe = new StringBuilder(text.Length + 16).Append(text, 0, first);
        for (var i = first; i < text.Length; i++)
        {
            var c = text[i];
            var kept = multiline && (c is '\t' or '\n' || (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n'));
            if (!ControlText.IsUnsafe(c) || kept)
            {
                safe.Append(c);
            }
            else
            {
                safe.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
            }
        }

        return safe.ToString();
    }

    /// <summary>The text safe for a terminal and escaped for Spectre.Console markup (its [ and ] are markup).</summary>
    public static string Markup(string? text) => Spectre.Console.Markup.Escape(Safe(text));

    /// <summary>A writer that makes everything written through it safe (lines kept), for the CLI's standard output and error.</summary>
    public static TextWriter Writer(TextWriter inner) => new SafeWriter(inner);

    private sealed class SafeWriter(TextWriter inner) : TextWriter(CultureInfo.InvariantCulture)
    {
        public override Encoding Encoding => inner.Encoding;

        public override void Write(char value)
        {
            if (ControlText.IsUnsafe(value) && value is not ('\n' or '\t'))
            {
                inner.Write(Safe(value.ToString()));
            }
            else
            {
                inner.Write(value);
            }
        }

        public override void Write(string? value) => inner.Write(Safe(value, multiline: true));

        public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

        public override void WriteLine() => inner.WriteLine();

        public override void WriteLine(string? value) => inner.WriteLine(Safe(value, multiline: true));

        public override void Flush() => inner.Flush();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Flush();
            }

            base.Dispose(disposing);
        }
    }
}
