using System.Globalization;

namespace Deconflict.Cli;

/// <summary>
/// A text table for a person: when the terminal is narrower than the table, long cells that may be
/// cut (names, places) shrink to their column's minimum, then whole columns are dropped, the highest
/// <see cref="TableColumn.Rank"/> first, so ids stay whole and every shown value is readable. The
/// width is the terminal's, or $COLUMNS; output to a pipe or file is not narrowed (scripts get every
/// column, and --json has the full objects).
/// </summary>
internal static class TableFormat
{
    private const string Gap = "  ";

    /// <summary>The width to fit, or null for no limit (output redirected and no $COLUMNS).</summary>
    public static int? Width()
    {
        if (int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), NumberStyles.None, CultureInfo.InvariantCulture, out var columns) && columns > 0)
        {
            return columns;
        }

        try
        {
            return Console.IsOutputRedirected ? null : Console.WindowWidth is > 0 and var w ? w : 80;
        }
        catch (IOException)
        {
            return 80;
        }
    }

    /// <summary>The table, or "(none)"; every cell already made terminal-safe by the caller.</summary>
    public static string Render(IReadOnlyList<TableColumn> columns, IReadOnlyList<string[]> rows, int? width = null)
    {
        if (rows.Count == 0)
        {
            return "(none)";
        }

        width ??= Width();
        var natural = columns.Select((c, i) => Math.Min(c.MaxWidth, Math.Max(c.Header.Length, rows.Max(r => r[i].Length)))).ToArray();
        var least = columns.Select((c, i) => Math.Max(c.Header.Length, Math.Min(c.MinWidth, natural[i]))).ToArray();

        // The columns to show: by rank (then left to right) while they fit at their least width. The
        // first that does not fit ends the choice, so a narrow column of a lower rank never shows
        // while a more important one is missing.
        var shown = new SortedSet<int>();
        foreach (var i in Enumerable.Range(0, columns.Count).OrderBy(i => columns[i].Rank).ThenBy(i => i))
        {
            var used = shown.Sum(j => least[j] + Gap.Length) + least[i];
            if (columns[i].Rank > 0 && width is not null && used > width)
            {
                break;
            }

            shown.Add(i);
        }

        // Shrink the cuttable columns (widest first, one character at a time) until the table fits.
        var widths = natural.ToArray();
        while (width is { } limit && shown.Sum(j => widths[j]) + (Gap.Length * (shown.Count - 1)) > limit)
        {
            var widest = shown.Where(j => widths[j] > least[j]).OrderByDescending(j => widths[j] - least[j]).DefaultIfEmpty(-1).First();
            if (widest < 0)
            {
                break;
            }

            widths[widest]--;
        }

        var lines = new List<string> { Line(shown.Select(i => columns[i].Header.PadRight(widths[i]))) };
        lines.AddRange(rows.Select(r => Line(shown.Select(i => Cut(r[i], widths[i]).PadRight(widths[i])))));
        return string.Join(Environment.NewLine, lines);
    }

    /// <summary>The text cut to <paramref name="width"/> characters, its last one "…" when cut.</summary>
    public static string Cut(string text, int width) => text.Length <= width ? text : width <= 1 ? "…"[..width] : text[..(width - 1)] + "…";

    private static string Line(IEnumerable<string> cells) => string.Join(Gap, cells).TrimEnd();
}
