using System.Text;
using Deconflict.Core.Feeds;
using Deconflict.Service;
using Deconflict.Tracks;

namespace Deconflict.Fuzz;

/// <summary>
/// Cursor on Target text. Refusal: a <see cref="FormatException"/> (not well-formed XML, or too
/// large), which POST /v1/tracks makes a 400 and `feed cot` counts; an event that is not a track
/// is in the result's Skipped or Refused. Every report goes through the server's check.
/// </summary>
public static class CotHarness
{
    private static readonly TacticalOptions Tactical = new DeconflictOptions().Tactical;

    public static void Run(byte[] input)
    {
        var text = Encoding.UTF8.GetString(input);
        Parse(text);

        // `feed cot` cuts a stream into events as it arrives, then parses each event alone.
        var splitter = new CotStreamSplitter(maxEventChars: 4096);
        for (var at = 0; at < text.Length; at += 97)
        {
            foreach (var e in splitter.Push(text.AsSpan(at, Math.Min(97, text.Length - at))))
            {
                Parse(e);
            }
        }
    }

    private static void Parse(string xml)
    {
        CotParseResult result;
        try
        {
            result = CursorOnTarget.Parse(xml);
        }
        catch (FormatException)
        {
            return;
        }

        for (var i = 0; i < result.Reports.Count; i++)
        {
            var report = result.Reports[i];
            _ = TrackDraft.Check(report, report.Time, Tactical, new ReportPointer("/events", i));
        }
    }
}
