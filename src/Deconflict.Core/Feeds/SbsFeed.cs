using Deconflict.Core.Tactical;

namespace Deconflict.Core.Feeds;

/// <summary>Counts of one SBS-1 feed: lines by kind and by MSG type (index 1-8; 0 unused), refusals, and what the merger did.</summary>
public sealed record SbsFeedCounts(
    long Lines,
    long Malformed,
    string? LastMalformed,
    IReadOnlyDictionary<SbsErrorKind, long> MalformedByKind,
    IReadOnlyDictionary<SbsKind, long> ByKind,
    IReadOnlyList<long> ByMsgType,
    SbsMergeCounts Merge);

/// <summary>
/// A BaseStation feed: parses each line (<see cref="Sbs1"/>), merges the messages per aircraft
/// (<see cref="SbsMerger"/>) and counts everything, including malformed lines with the last
/// reason. Not thread-safe: one feed per stream.
/// </summary>
public sealed class SbsFeed(TimeSpan receiverUtcOffset, SbsMergerOptions? options = null)
{
    private readonly SbsMerger _merger = new(options);
    private readonly long[] _byKind = new long[6];
    private readonly long[] _byType = new long[9];
    private readonly long[] _malformedByKind = new long[Enum.GetValues<SbsErrorKind>().Length];
    private long _lines;
    private long _malformed;
    private string? _lastMalformed;

    public TimeSpan ReceiverUtcOffset { get; } = receiverUtcOffset;

    public long Lines => Volatile.Read(ref _lines);

    public long Malformed => Volatile.Read(ref _malformed);

    /// <summary>The last refusal: "line N: reason".</summary>
    public string? LastMalformed => Volatile.Read(ref _lastMalformed);

    public SbsMerger Merger => _merger;

    /// <summary>Takes one line (UTF-8, without its line end); returns the report it completes, if any.</summary>
    public TrackReport? Accept(ReadOnlySpan<byte> line)
    {
        var n = ++_lines;
        if (!Sbs1.TryParse(line, ReceiverUtcOffset, out var message, out var error))
        {
            Refuse(n, error);
            return null;
        }

        return Merge(message);
    }

    /// <summary>The same for a line of text.</summary>
    public TrackReport? Accept(ReadOnlySpan<char> line)
    {
        var n = ++_lines;
        if (!Sbs1.TryParse(line, ReceiverUtcOffset, out var message, out var error))
        {
            Refuse(n, error);
            return null;
        }

        return Merge(message);
    }

    public SbsFeedCounts Counts() => new(
        _lines,
        _malformed,
        _lastMalformed,
        Enum.GetValues<SbsErrorKind>().Where(k => _malformedByKind[(int)k] > 0).ToDictionary(k => k, k => _malformedByKind[(int)k]),
        Enum.GetValues<SbsKind>().ToDictionary(k => k, k => _byKind[(int)k]),
        [.. _byType],
        _merger.Counts);

    private TrackReport? Merge(in SbsMessage message)
    {
        _byKind[(int)message.Kind]++;
        if (message.Kind == SbsKind.Msg)
        {
            _byType[message.TransmissionType]++;
        }

        return _merger.Add(message);
    }

    private void Refuse(long lineNumber, SbsError error)
    {
        _malformed++;
        _malformedByKind[(int)error.Kind]++;
        Volatile.Write(ref _lastMalformed, $"line {lineNumber}: {error.Describe()}");
    }
}
