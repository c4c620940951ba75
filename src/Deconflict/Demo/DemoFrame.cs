using System.Globalization;

namespace Deconflict.Demo;

/// <summary>
/// Lays out one frame of the live view in a terminal of a given size, by priority: the header
/// always; then, per party, a title line for each section in priority order while they fit, then
/// rows for each section in priority order (so alerts before conflicts before the line before the
/// declarations), a section cut short saying "+N more" in its title. Wide terminals put the parties
/// side by side, each with the whole height; narrower ones stack them, sharing it. Every line is cut
/// to the width, and there are never more lines than the height.
/// </summary>
internal static class DemoFrame
{
    /// <summary>The narrowest a party's column is when the parties stand side by side.</summary>
    public const int MinColumnWidth = 72;

    private const string Gutter = " │ ";

    /// <summary>True when <paramref name="parties"/> columns fit side by side in <paramref name="width"/>.</summary>
    public static bool SideBySide(int width, int parties) => parties > 1 && width >= (parties * MinColumnWidth) + ((parties - 1) * Gutter.Length);

    /// <summary>The width of one party's column.</summary>
    public static int ColumnWidth(int width, int parties) => SideBySide(width, parties) ? (width - ((parties - 1) * Gutter.Length)) / parties : width;

    public static List<FrameLine> Layout(IReadOnlyList<FrameLine> header, IReadOnlyList<PartyPanel> panels, int width, int height)
    {
        width = Math.Max(1, width);
        height = Math.Max(0, height);
        var lines = header.Take(height).Select(l => l.Fit(width)).ToList();
        var budget = height - lines.Count;
        if (budget <= 0 || panels.Count == 0)
        {
            return lines;
        }

        if (SideBySide(width, panels.Count))
        {
            var column = ColumnWidth(width, panels.Count);
            var columns = panels.Select(p => Stack([p], column, budget)).ToList();
            var rows = columns.Max(c => c.Count);
            for (var i = 0; i < rows; i++)
            {
                var line = new FrameLine();
                for (var c = 0; c < columns.Count; c++)
                {
                    if (c > 0)
                    {
                        line = line.Append(new FrameLine(Gutter, "grey"));
                    }

                    var cell = i < columns[c].Count ? columns[c][i] : new FrameLine();
                    line = line.Append(c < columns.Count - 1 ? cell.Pad(column) : cell.Fit(column));
                }

                lines.Add(line.Fit(width));
            }
        }
        else
        {
            lines.AddRange(Stack(panels, width, budget));
        }

        return lines;
    }

    /// <summary>The panels one under the other in at most <paramref name="budget"/> lines: headings, then titles, then rows, each by priority.</summary>
    private static List<FrameLine> Stack(IReadOnlyList<PartyPanel> panels, int width, int budget)
    {
        var headings = Math.Min(budget, panels.Count);
        budget -= headings;

        // Sections by priority, the parties' sections of one priority in turn.
        var order = panels.SelectMany((p, pi) => p.Sections.Select((s, si) => (Panel: pi, Section: si, s.Priority)))
            .OrderBy(x => x.Priority).ThenBy(x => x.Panel).ToList();
        var titled = new HashSet<(int, int)>();
        foreach (var x in order)
        {
            if (budget == 0)
            {
                break;
            }

            titled.Add((x.Panel, x.Section));
            budget--;
        }

        // Rows by priority; the parties' sections of one priority take a row each in turn, so one
        // side's long list does not crowd out the other's.
        var shown = titled.ToDictionary(t => t, _ => 0);
        foreach (var level in order.Where(x => titled.Contains((x.Panel, x.Section))).GroupBy(x => x.Priority))
        {
            var wanting = level.Select(x => (x.Panel, x.Section)).ToList();
            while (budget > 0 && wanting.Count > 0)
            {
                foreach (var key in wanting.ToList())
                {
                    if (budget == 0)
                    {
                        break;
                    }

                    if (shown[key] < panels[key.Panel].Sections[key.Section].Rows.Count)
                    {
                        shown[key]++;
                        budget--;
                    }
                    else
                    {
                        wanting.Remove(key);
                    }
                }
            }
        }

        var lines = new List<FrameLine>();
        for (var p = 0; p < panels.Count && p < headings; p++)
        {
            lines.Add(panels[p].Heading.Fit(width));
            for (var s = 0; s < panels[p].Sections.Count; s++)
            {
                if (!titled.Contains((p, s)))
                {
                    continue;
                }

                var section = panels[p].Sections[s];
                var count = shown[(p, s)];
                var title = new FrameLine(section.Title, "bold");
                if (section.Rows.Count == 0)
                {
                    title.Add(": none", "grey");
                }
                else
                {
                    title.Add(string.Create(CultureInfo.InvariantCulture, $" ({section.Rows.Count})"));
                    if (count < section.Rows.Count)
                    {
                        title.Add(string.Create(CultureInfo.InvariantCulture, $"  +{section.Rows.Count - count} more"), "grey");
                    }
                }

                lines.Add(title.Fit(width));
                lines.AddRange(section.Rows.Take(count).Select(r => new FrameLine("  ").Append(r).Fit(width)));
            }
        }

        return lines;
    }
}
