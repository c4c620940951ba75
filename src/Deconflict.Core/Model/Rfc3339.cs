using System.Globalization;
using System.Text.RegularExpressions;

namespace Deconflict.Core.Model;

/// <summary>
/// Strict RFC 3339 date-times: an explicit offset is required (a time without one is refused, not
/// guessed as local), any number of fractional digits is allowed.
/// </summary>
public static partial class Rfc3339
{
    /// <summary>Parses <paramref name="text"/> to UTC; false when it is not an RFC 3339 date-time with an offset.</summary>
    public static bool TryParse(string? text, out DateTimeOffset value) => Parse(text, out value) == Rfc3339Result.Ok;

    /// <summary>Parses <paramref name="text"/> to UTC, telling a malformed text from an impossible date (2026-02-30).</summary>
    public static Rfc3339Result Parse(string? text, out DateTimeOffset value)
    {
        value = default;
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
