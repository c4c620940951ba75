using System.Text;
using Deconflict.Core.Feeds;
using Deconflict.Service;
using Deconflict.Tracks;

namespace Deconflict.Fuzz;

/// <summary>
/// BaseStation lines, one per '\n', as `feed sbs` reads them (bytes) and as tests and files give
/// them (text). The parser refuses through its result (TryParse false with an error); nothing
/// may throw. Every report the merger makes goes through the server's check.
/// </summary>
public static class Sbs1Harness
{
    private static readonly TacticalOptions Tactical = new DeconflictOptions().Tactical;

    public static void Run(byte[] input)
    {
        // Receivers east and west of UTC, so dates near the ends of the calendar are reached.
        var feeds = new[] { new SbsFeed(TimeSpan.FromHours(14)), new SbsFeed(TimeSpan.FromHours(-12)) };
        var rest = input.AsSpan();
        var index = 0;
        while (!rest.IsEmpty)
        {
            var newline = rest.IndexOf((byte)'\n');
            var line = newline < 0 ? rest : rest[..newline];
            rest = newline < 0 ? [] : rest[(newline + 1)..];
            foreach (var feed in feeds)
            {
                if (feed.Accept(line) is { } report)
                {
                    _ = TrackDraft.Check(report, report.Time, Tactical, new ReportPointer("/tracks", index++));
                }
            }

            var text = Encoding.UTF8.GetString(line);
            if (Sbs1.TryParse(text.AsSpan(), TimeSpan.Zero, out _, out var error) == (error.Kind != SbsErrorKind.None))
            {
                throw new InvalidOperationException($"Sbs1.TryParse's result and its error disagree: {error.Kind}.");
            }

            _ = error.Describe();
        }

        foreach (var feed in feeds)
        {
            _ = feed.Counts();
        }
    }
}
