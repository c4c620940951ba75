namespace Deconflict.Tests.Infrastructure;

/// <summary>The last lines a child process wrote (its output and error together), for a failing test's message; safe from the process's reader threads.</summary>
internal sealed class OutputTail(int keptLines)
{
    private readonly Queue<string> _lines = new();

    /// <summary>Keeps a line (null, the end of a stream, is not one), dropping the oldest past the limit.</summary>
    public void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lines)
        {
            _lines.Enqueue(line);
            while (_lines.Count > keptLines)
            {
                _lines.Dequeue();
            }
        }
    }

    public override string ToString()
    {
        lock (_lines)
        {
            return string.Join('\n', _lines);
        }
    }
}
