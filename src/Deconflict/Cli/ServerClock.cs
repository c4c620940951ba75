using System.Globalization;
using Deconflict.Core.Model;

namespace Deconflict.Cli;

/// <summary>
/// The server's clock as the CLI reads it (GET /healthz `time`), not the local one: acknowledgement
/// clocks and times to loss are the server's, and a client's clock may be wrong (or the server a
/// demo's, running faster). Also the index of the server's last event (`last_event`), from which a
/// follower resumes so that nothing committed after a listing is missed.
/// </summary>
internal sealed class ServerClock
{
    private ServerClock(DateTimeOffset at, long? lastIndex)
    {
        At = at;
        LastIndex = lastIndex;
    }

    /// <summary>The record index of the last event when the clock was read (-1: none yet; null: the server did not say).</summary>
    public long? LastIndex { get; }

    /// <summary>
    /// The server's time when it was read. A one-shot listing counts its clocks from this (it reads
    /// the clock just before the list), so that what it prints does not depend on how slow this
    /// machine is: a countdown is exact to the second against the server's own.
    /// </summary>
    public DateTimeOffset At { get; }

    /// <summary>Reads the server's clock; the local clock (and no last index) when /healthz does not answer with one.</summary>
    public static async Task<ServerClock> ReadAsync(ApiClient api)
    {
        try
        {
            var (health, _) = await api.Send(HttpMethod.Get, "healthz");
            var at = health?["time"]?.GetValue<string>() is { } t && Rfc3339.TryParse(t, out var parsed) ? parsed : DateTimeOffset.UtcNow;
            return new ServerClock(at, health?["last_event"]?.GetValue<long>() - 1);
        }
        catch (CliException)
        {
            return new ServerClock(DateTimeOffset.UtcNow, null);
        }
    }

    /// <summary>A duration to the nearest second as a person reads it: 45s, 4m 10s, 2h 5m, 3d 4h.</summary>
    public static string Span(TimeSpan t)
    {
        var s = (long)Math.Round(t.TotalSeconds, MidpointRounding.AwayFromZero);
        return s switch
        {
            < 60 => string.Create(CultureInfo.InvariantCulture, $"{s}s"),
            < 3600 => string.Create(CultureInfo.InvariantCulture, $"{s / 60}m {s % 60}s"),
            < 86_400 => string.Create(CultureInfo.InvariantCulture, $"{s / 3600}h {s % 3600 / 60}m"),
            _ => string.Create(CultureInfo.InvariantCulture, $"{s / 86_400}d {s % 86_400 / 3600}h"),
        };
    }

    /// <summary>A time in the API's JSON (RFC 3339) as a value, or null when absent.</summary>
    public static DateTimeOffset? Time(System.Text.Json.Nodes.JsonNode? node) =>
        node?.GetValue<string>() is { } text && Rfc3339.TryParse(text, out var at) ? at : null;
}
