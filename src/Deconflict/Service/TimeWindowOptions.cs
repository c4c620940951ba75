using System.Globalization;
using Deconflict.Core.Model;

namespace Deconflict.Service;

/// <summary>
/// The times a party may send (volume windows, a line message's place, a cosignature's timestamp),
/// relative to the service's clock: at most <see cref="MaxAhead"/> ahead and <see cref="MaxBehind"/>
/// back, both inclusive. Real plans are days to weeks ahead; a time years away is a typing or unit
/// error (or an attempt at the edges of the date range), refused with <c>invalid-time</c>. Live
/// track reports keep their own, stricter rule (TacticalOptions.MaxReportAhead).
/// </summary>
public sealed record TimeWindowOptions
{
    /// <summary>How far ahead of the service's clock a time may be: one year (366 days, a leap year included).</summary>
    public TimeSpan MaxAhead { get; init; } = TimeSpan.FromDays(366);

    /// <summary>How far behind the service's clock a time may be: ten years (3,653 days).</summary>
    public TimeSpan MaxBehind { get; init; } = TimeSpan.FromDays(3653);

    /// <summary>Null when <paramref name="time"/> is inside the window around <paramref name="now"/>; otherwise the refusal, at <paramref name="pointer"/>.</summary>
    public Refusal? Check(DateTimeOffset time, DateTimeOffset now, string pointer)
    {
        var ahead = time - now;
        if (ahead <= MaxAhead && -ahead <= MaxBehind)
        {
            return null;
        }

        var detail = ahead > TimeSpan.Zero
            ? string.Create(CultureInfo.InvariantCulture, $"{pointer}: {Rfc3339.FormatUtc(time)} is {ahead.TotalDays:0.#} days ahead of the service's clock ({Rfc3339.FormatUtc(now)}); at most {MaxAhead.TotalDays:0.#} days ahead are accepted.")
            : string.Create(CultureInfo.InvariantCulture, $"{pointer}: {Rfc3339.FormatUtc(time)} is {-ahead.TotalDays:0.#} days behind the service's clock ({Rfc3339.FormatUtc(now)}); at most {MaxBehind.TotalDays:0.#} days back are accepted.");
        return new Refusal(RefusalReason.InvalidTime, detail).With("pointer", pointer);
    }
}
