using System.Globalization;
using System.Xml;
using System.Xml.Linq;
using Deconflict.Core.Model;
using Deconflict.Core.Tactical;

namespace Deconflict.Core.Feeds;

/// <summary>An event that did not become a report: its position in the input (0-based), its uid and why.</summary>
public sealed record CotIssue(int Index, string? Uid, string Reason);

/// <summary>
/// The outcome of parsing Cursor on Target XML: the air tracks as reports, the events skipped
/// because they are not air tracks, and the events refused because they are incomplete or wrong.
/// </summary>
public sealed record CotParseResult(IReadOnlyList<TrackReport> Reports, IReadOnlyList<CotIssue> Skipped, IReadOnlyList<CotIssue> Refused)
{
    public int Events => Reports.Count + Skipped.Count + Refused.Count;
}

/// <summary>
/// Cursor on Target (CoT 2.0, as TAK uses it): `&lt;event version uid type time start stale how&gt;
/// &lt;point lat lon hae ce le/&gt;&lt;detail&gt;&lt;track course speed slope?/&gt;&lt;contact callsign/&gt;
/// &lt;/detail&gt;&lt;/event&gt;`, one event or several, concatenated (each may have its own XML
/// declaration, as TAK streams do) or inside any wrapping element.
/// </summary>
/// <remarks>
/// Mapping: id = uid; time = the `time` attribute (RFC 3339 / xs:dateTime with a zone; a time
/// with no zone is refused, not assumed UTC); lat/lon WGS-84 degrees; altitude = hae, metres above
/// the WGS-84 ellipsoid (CoT's own reference; 9999999 means unknown and the event is refused);
/// velocity from `track`: course (degrees from true north) and speed (m/s, the magnitude of the
/// motion in the MITRE track schema), with `slope` (degrees above the horizontal, optional) giving
/// ground speed = speed cos(slope) and vertical rate = speed sin(slope), 0 without it. An air
/// event without a `track` is refused: its velocity is unknown and guessing 0 would hide a closing
/// aircraft. Only air tracks are tracks: `type` starting `a-` with `A` as its third segment
/// (a-f-A-M-F, a-h-A, ...); every other event (ground, points, pings, chat) is skipped and counted.
/// Safety: DTDs are prohibited (no entity expansion, no external entities), no resolver, and the
/// input is bounded (<see cref="DefaultMaxChars"/> unless told otherwise).
/// </remarks>
public static class CursorOnTarget
{
    /// <summary>The default bound on one input: 4 Mi characters (about 10,000 events).</summary>
    public const int DefaultMaxChars = 4 * 1024 * 1024;

    /// <summary>The `hae`, `ce` and `le` value CoT uses for "unknown".</summary>
    public const double Unknown = 9999999;

    /// <summary>Parses CoT XML; throws <see cref="FormatException"/> when it is not well-formed XML or is too large.</summary>
    public static CotParseResult Parse(string xml, int maxChars = DefaultMaxChars)
    {
        if (xml.Length > maxChars)
        {
            throw new FormatException($"Cursor on Target input of {xml.Length:N0} characters is larger than the limit of {maxChars:N0}.");
        }

        return Parse(new StringReader(BlankDeclarations(xml)), maxChars);
    }

    /// <summary>The same, reading from <paramref name="reader"/> (XML declarations are only allowed at its start).</summary>
    public static CotParseResult Parse(TextReader reader, int maxChars = DefaultMaxChars)
    {
        var settings = new XmlReaderSettings
        {
            ConformanceLevel = ConformanceLevel.Fragment,
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersInDocument = maxChars,
            MaxCharactersFromEntities = 1024,
            IgnoreComments = true,
            IgnoreProcessingInstructions = true,
            IgnoreWhitespace = true,
        };
        var reports = new List<TrackReport>();
        var skipped = new List<CotIssue>();
        var refused = new List<CotIssue>();
        try
        {
            using var xr = XmlReader.Create(reader, settings);
            var index = 0;
            xr.Read();
            while (!xr.EOF)
            {
                if (xr.NodeType == XmlNodeType.Element && xr.LocalName == "event")
                {
                    var e = (XElement)XNode.ReadFrom(xr);
                    Convert(e, index++, reports, skipped, refused);
                }
                else
                {
                    xr.Read();
                }
            }
        }
        catch (XmlException e)
        {
            throw new FormatException($"Malformed Cursor on Target XML: {e.Message}", e);
        }

        return new CotParseResult(reports, skipped, refused);
    }

    /// <summary>True for an air track's type: `a-` then any affiliation then `A` (a-f-A, a-h-A-M-F-Q, ...).</summary>
    public static bool IsAirTrack(string? type)
    {
        if (type is null || !type.StartsWith("a-", StringComparison.Ordinal))
        {
            return false;
        }

        var parts = type.Split('-');
        return parts.Length >= 3 && parts[2] == "A";
    }

    private static void Convert(XElement e, int index, List<TrackReport> reports, List<CotIssue> skipped, List<CotIssue> refused)
    {
        var uid = (string?)e.Attribute("uid");
        var type = (string?)e.Attribute("type");
        if (!IsAirTrack(type))
        {
            skipped.Add(new CotIssue(index, uid, type is null ? "no type" : $"type {type} is not an air track"));
            return;
        }

        var reason = TryReport(e, uid, out var report);
        if (report is null)
        {
            refused.Add(new CotIssue(index, uid, reason!));
        }
        else
        {
            reports.Add(report);
        }
    }

    private static string? TryReport(XElement e, string? uid, out TrackReport? report)
    {
        report = null;
        if (string.IsNullOrWhiteSpace(uid))
        {
            return "no uid";
        }

        if (!TryTime((string?)e.Attribute("time"), out var time))
        {
            return $"bad or missing time '{(string?)e.Attribute("time")}' (RFC 3339 with a zone, e.g. 2026-11-26T09:00:00Z)";
        }

        var point = e.Element("point");
        if (point is null)
        {
            return "no point";
        }

        if (!TryNumber(point, "lat", out var lat) || lat is < -90 or > 90)
        {
            return $"bad or missing point lat '{(string?)point.Attribute("lat")}' (degrees in [-90, 90])";
        }

        if (!TryNumber(point, "lon", out var lon) || lon is < -180 or > 180)
        {
            return $"bad or missing point lon '{(string?)point.Attribute("lon")}' (degrees in [-180, 180])";
        }

        if (!TryNumber(point, "hae", out var hae))
        {
            return $"bad or missing point hae '{(string?)point.Attribute("hae")}' (metres above the WGS-84 ellipsoid)";
        }

        if (hae == Unknown)
        {
            return "altitude unknown (hae 9999999)";
        }

        var detail = e.Element("detail");
        var track = detail?.Element("track");
        if (track is null)
        {
            return "no detail/track (velocity unknown)";
        }

        if (!TryNumber(track, "course", out var course))
        {
            return $"bad or missing track course '{(string?)track.Attribute("course")}' (degrees)";
        }

        if (!TryNumber(track, "speed", out var speed) || speed < 0)
        {
            return $"bad or missing track speed '{(string?)track.Attribute("speed")}' (m/s, not negative)";
        }

        var slope = 0.0;
        if (track.Attribute("slope") is not null && (!TryNumber(track, "slope", out slope) || slope is < -90 or > 90))
        {
            return $"bad track slope '{(string?)track.Attribute("slope")}' (degrees in [-90, 90])";
        }

        var (sin, cos) = Math.SinCos(slope * Math.PI / 180.0);
        var callsign = (string?)detail?.Element("contact")?.Attribute("callsign");
        report = new TrackReport(uid, time, lat, lon, hae, TrackReport.VelocityFrom(speed * cos, course, speed * sin), string.IsNullOrWhiteSpace(callsign) ? null : callsign);
        return null;
    }

    /// <summary>An xs:dateTime as CoT writes it, read by the one RFC 3339 parser: an offset ('Z' or +hh:mm) is required.</summary>
    private static bool TryTime(string? text, out DateTimeOffset time) => Rfc3339.TryParse(text, out time);

    private static bool TryNumber(XElement element, string name, out double value)
    {
        value = 0;
        var text = (string?)element.Attribute(name);
        return text is not null
            && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value)
            && double.IsFinite(value);
    }

    /// <summary>
    /// Replaces every XML declaration (`&lt;?xml ...?&gt;`) with spaces, so events that each carry
    /// one can be read as one fragment (XmlReader allows a declaration only at the very start).
    /// Positions in error messages stay right.
    /// </summary>
    private static string BlankDeclarations(string xml)
    {
        var at = xml.IndexOf("<?xml", StringComparison.Ordinal);
        if (at < 0)
        {
            return xml;
        }

        var chars = xml.ToCharArray();
        while (at >= 0)
        {
            if (at + 5 < chars.Length && char.IsWhiteSpace(chars[at + 5]))
            {
                var end = xml.IndexOf("?>", at, StringComparison.Ordinal);
                if (end < 0)
                {
                    break;
                }

                Array.Fill(chars, ' ', at, end + 2 - at);
                at = end + 2;
            }
            else
            {
                at += 5;
            }

            at = xml.IndexOf("<?xml", at, StringComparison.Ordinal);
        }

        return new string(chars);
    }
}
