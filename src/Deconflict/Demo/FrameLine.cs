using System.Text;
using Deconflict.Cli;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Deconflict.Demo;

/// <summary>
/// One line of the live view: spans of text, each with an optional Spectre style. Its width is
/// counted in terminal cells (a wide character takes two), so the view can cut every line to the
/// terminal's width itself and never lets the terminal wrap one (a wrapped line would push the
/// frame past the terminal's height). Every text is made safe for a terminal as it is added.
/// </summary>
internal sealed class FrameLine
{
    private readonly List<(string Text, string? Style)> _spans = [];

    public FrameLine()
    {
    }

    public FrameLine(string text, string? style = null) => Add(text, style);

    /// <summary>The width in terminal cells.</summary>
    public int Width => _spans.Sum(s => Cells(s.Text));

    /// <summary>The text without its styles.</summary>
    public string Plain => string.Concat(_spans.Select(s => s.Text));

    public FrameLine Add(string? text, string? style = null)
    {
        var safe = TerminalText.Safe(text);
        if (safe.Length > 0)
        {
            _spans.Add((safe, style));
        }

        return this;
    }

    /// <summary>This line cut to <paramref name="width"/> cells, ending in "…" where it was cut.</summary>
    public FrameLine Fit(int width)
    {
        if (Width <= width)
        {
            return this;
        }

        var fitted = new FrameLine();
        var left = Math.Max(0, width - 1);
        foreach (var (text, style) in _spans)
        {
            var cells = Cells(text);
            if (cells <= left)
            {
                fitted._spans.Add((text, style));
                left -= cells;
                continue;
            }

            var cut = new StringBuilder();
            foreach (var rune in text.EnumerateRunes())
            {
                var w = Cells(rune.ToString());
                if (w > left)
                {
                    break;
                }

                cut.Append(rune.ToString());
                left -= w;
            }

            if (cut.Length > 0)
            {
                fitted._spans.Add((cut.ToString(), style));
            }

            break;
        }

        if (width > 0)
        {
            fitted._spans.Add(("…", null));
        }

        return fitted;
    }

    /// <summary>This line cut or padded with spaces to exactly <paramref name="width"/> cells.</summary>
    public FrameLine Pad(int width)
    {
        var fitted = Fit(width);
        var missing = width - fitted.Width;
        return missing > 0 ? fitted.Copy().Add(new string(' ', missing)) : fitted;
    }

    /// <summary>This line followed by <paramref name="other"/>.</summary>
    public FrameLine Append(FrameLine other)
    {
        var joined = Copy();
        joined._spans.AddRange(other._spans);
        return joined;
    }

    /// <summary>The line as Spectre markup: its texts escaped, each in its style.</summary>
    public string ToMarkup() => string.Concat(_spans.Select(s => s.Style is null ? Markup.Escape(s.Text) : $"[{s.Style}]{Markup.Escape(s.Text)}[/]"));

    /// <summary>Terminal cells of a text, as Spectre counts them.</summary>
    private static int Cells(string text) => new Segment(text).CellCount();

    private FrameLine Copy()
    {
        var copy = new FrameLine();
        copy._spans.AddRange(_spans);
        return copy;
    }
}
