using System.Text;

namespace Deconflict.Core.Feeds;

/// <summary>
/// Cuts a stream of CoT text (a TAK TCP stream, a file of events) into events, each from its
/// `&lt;event` start tag to its `&lt;/event&gt;`, so one malformed event costs only itself and a
/// stream can be read without holding it whole. Text between events (XML declarations, wrapping
/// elements, whitespace) is dropped. An event that grows past <paramref name="maxEventChars"/>
/// without an end is dropped and counted. O(n) over the text; not thread-safe.
/// </summary>
public sealed class CotStreamSplitter(int maxEventChars = 64 * 1024)
{
    private const string EndTag = "</event>";
    private readonly StringBuilder _buffer = new();

    public long Oversized { get; private set; }

    /// <summary>Adds text; returns the events it completes, in order.</summary>
    public IReadOnlyList<string> Push(ReadOnlySpan<char> text)
    {
        _buffer.Append(text);
        var content = _buffer.ToString();
        List<string>? events = null;
        var at = 0;
        while (true)
        {
            var end = content.IndexOf(EndTag, at, StringComparison.Ordinal);
            if (end < 0)
            {
                break;
            }

            var start = StartOf(content, at);
            if (start >= 0 && start < end)
            {
                (events ??= []).Add(content[start..(end + EndTag.Length)]);
            }

            at = end + EndTag.Length;
        }

        _buffer.Clear();
        var next = StartOf(content, at);
        if (next < 0)
        {
            // Keep a tail that may be the beginning of "<event".
            _buffer.Append(content.AsSpan(Math.Max(at, content.Length - 6)));
        }
        else if (content.Length - next > maxEventChars)
        {
            Oversized++;
        }
        else
        {
            _buffer.Append(content.AsSpan(next));
        }

        return events ?? (IReadOnlyList<string>)[];
    }

    private static int StartOf(string content, int from)
    {
        var at = content.IndexOf("<event", from, StringComparison.Ordinal);
        while (at >= 0)
        {
            if (at + 6 >= content.Length || content[at + 6] is ' ' or '>' or '/' or '\t' or '\r' or '\n')
            {
                return at;
            }

            at = content.IndexOf("<event", at + 6, StringComparison.Ordinal);
        }

        return -1;
    }
}
