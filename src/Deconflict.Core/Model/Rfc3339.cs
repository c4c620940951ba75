using System.Globalization;
using System.Text.RegularExpressions;

namespace Deconflict.Core.Model;

/// <summary>
/// Strict RFC 3339 date-times: an explicit offset is required (a time without one is refused, not
/// guessed as local), any number of fractional digits is allowed.
/// </summary>
public static partial class Rfc3339
{
    /// <summary>
    /// The time in UTC as the API writes it: "Z", and the fraction of a second with its trailing
    /// zeros dropped (no fraction at all on a whole second), the same text as the custom format
    /// yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'. Cut from the framework's round-trip ("O") form, which has a
    /// fast path: the custom format cost 3% of the writer's time (dotnet-trace, docs/performance.md).
    /// </summary>
    public static string FormatUtc(DateTimeOffset time)
    {
        Span<char> text = stackalloc char[RoundTripLength];
        RoundTrip(time, text);
        // "O" writes 7 fractional digits at [20, 27); keep up to the last non-zero one.
        var end = 26;
        while (end >= 20 && text[end] == '0')
        {
            end--;
        }

        var length = end >= 20 ? end + 1 : 19;
        text[length] = 'Z';
        return new string(text[..(length + 1)]);
    }

    /// <summary>
    /// The time in UTC with exactly three fractional digits (truncated, as the custom format "fff"
    /// does) and "Z": the record entry's form.
    /// </summary>
    public static string FormatUtcMilliseconds(DateTimeOffset time)
    {
        Span<char> text = stackalloc char[RoundTripLength];
        RoundTrip(time, text);
        text[23] = 'Z';
        return new string(text[..24]);
    }

    // yyyy-MM-ddTHH:mm:ss.fffffffZ for a UTC DateTime.
    private const int RoundTripLength = 28;

    private static void RoundTrip(DateTimeOffset time, Span<char> text)
    {
        if (!time.UtcDateTime.TryFormat(text, out var written, "O", CultureInfo.InvariantCulture) || written != RoundTripLength)
        {
            throw new FormatException($"Unexpected round-trip form of {time.UtcTicks} ticks.");
        }
    }

    /// <summary>Parses <paramref name="text"/> to UTC; false when it is not an RFC 3339 date-time with an offset.</summary>
    public static bool TryParse(string? text, out DateTimeOffset value) => Parse(text, out value) == Rfc3339Result.Ok;

    /// <summary>Parses <paramref name="text"/> to UTC, telling a malformed text from an impossible date (2026-02-30).</summary>
    public static Rfc3339Result Parse(string? text, out DateTimeOffset value)
    {
        value = default;
        var impossible = false;
        if (text is not null && TryParseFast(text, out value, out impossible))
        {
            return Rfc3339Result.Ok;
        }

        if (impossible)
        {
            return Rfc3339Result.Impossible;
        }

        var match = text is null ? null : Pattern().Match(text);
        if (match is null || !match.Success)
        {
            return Rfc3339Result.Malformed;
        }

        // .NET keeps 7 fractional digits (100 ns ticks); RFC 3339 allows more, which are truncated.
        var fraction = match.Groups["fraction"].Value;
        var normal = match.Groups["datetime"].Value.Replace('t', 'T') + (fraction.Length > 0 ? "." + fraction[..Math.Min(7, fraction.Length)] : "") + match.Groups["offset"].Value.ToUpperInvariant();
        if (!DateTimeOffset.TryParseExact(normal, ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
        {
            return Rfc3339Result.Impossible;
        }

        value = parsed.ToUniversalTime();
        return Rfc3339Result.Ok;
    }

    /// <summary>
    /// The common shapes (2026-11-26T09:00:00Z, with a fraction, with +hh:mm) read by position, as
    /// track feeds send them many thousand times a second: the regex and TryParseExact cost about a
    /// microsecond a time, this some tens of nanoseconds. False (and not impossible) hands anything
    /// else to the general path, which decides.
    /// </summary>
    private static bool TryParseFast(string s, out DateTimeOffset value, out bool impossible)
    {
        value = default;
        impossible = false;
        if (s.Length < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':')
        {
            return false;
        }

        if (!Digits(s, 0, 4, out var year) || !Digits(s, 5, 2, out var month) || !Digits(s, 8, 2, out var day) ||
            !Digits(s, 11, 2, out var hour) || !Digits(s, 14, 2, out var minute) || !Digits(s, 17, 2, out var second))
        {
            return false;
        }

        var i = 19;
        long ticks = 0;
        if (s[i] == '.')
        {
            var start = ++i;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                // 100 ns ticks: the first 7 fractional digits count, the rest are truncated.
                if (i - start < 7)
                {
                    ticks = (ticks * 10) + (s[i] - '0');
                }

                i++;
            }

            if (i == start)
            {
                return false;
            }

            for (var k = i - start; k < 7; k++)
            {
                ticks *= 10;
            }
        }

        TimeSpan offset;
        if (i == s.Length - 1 && (s[i] == 'Z' || s[i] == 'z'))
        {
            offset = TimeSpan.Zero;
        }
        else if (i == s.Length - 6 && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':' && Digits(s, i + 1, 2, out var oh) && Digits(s, i + 4, 2, out var om))
        {
            if (oh > 23 || om > 59)
            {
                impossible = true;
                return false;
            }

            offset = new TimeSpan(s[i] == '-' ? -oh : oh, s[i] == '-' ? -om : om, 0);
        }
        else
        {
            return false;
        }

        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
        {
            impossible = true;
            return false;
        }

        var utcTicks = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified).Ticks + ticks - offset.Ticks;
        if (utcTicks < DateTime.MinValue.Ticks || utcTicks > DateTime.MaxValue.Ticks)
        {
            impossible = true;
            return false;
        }

        value = new DateTimeOffset(utcTicks, TimeSpan.Zero);
        return true;
    }

    private static bool Digits(string s, int start, int count, out int value)
    {
        value = 0;
        for (var i = start; i < start + count; i++)
        {
            if (!char.IsAsciiDigit(s[i]))
            {
                return false;
            }

            value = (value * 10) + (s[i] - '0');
        }

        return true;
    }

    [GeneratedRegex(@"^(?<datetime>\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2})(?:\.(?<fraction>\d+))?(?<offset>[Zz]|[+-]\d{2}:\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}

public enum Rfc3339Result
{
    Ok,

    /// <summary>Not of the form 2026-11-26T09:00:00[.fff](Z|+hh:mm).</summary>
    Malformed,

    /// <summary>Of the form, but no such date or time (2026-02-30, 25:00).</summary>
    Impossible,
}
