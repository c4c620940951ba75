using System.Globalization;

namespace Deconflict.Core.Feeds;

/// <summary>The kinds of line on a BaseStation (SBS-1) port 30003 stream.</summary>
public enum SbsKind : byte
{
    /// <summary>A transmission (`MSG`): types 1-8, the only lines that carry aircraft data.</summary>
    Msg,

    /// <summary>Selection change (`SEL`): a BaseStation user clicked an aircraft.</summary>
    Sel,

    /// <summary>New id (`ID`): an aircraft changed its callsign.</summary>
    Id,

    /// <summary>New aircraft (`AIR`): first message from an aircraft.</summary>
    Air,

    /// <summary>Status change (`STA`): an aircraft was lost, removed, ...</summary>
    Sta,

    /// <summary>Clock (`CLK`): a periodic time stamp from the receiver.</summary>
    Clk,
}

/// <summary>Why a line was refused.</summary>
public enum SbsErrorKind : byte
{
    None,
    Empty,
    TooLong,
    UnknownKind,
    FieldCount,
    BadTransmissionType,
    BadHexIdent,
    BadDate,
    BadTime,
    NoTime,
    BadNumber,
    LatitudeOutOfRange,
    LongitudeOutOfRange,
}

/// <summary>
/// A refused line: what was wrong and in which field (1-based, as the format is usually
/// documented: 1 message kind, 2 transmission type, 5 hex ident, 7-10 dates and times, 12
/// altitude, 13 ground speed, 14 track, 15 latitude, 16 longitude, 17 vertical rate).
/// </summary>
public readonly record struct SbsError(SbsErrorKind Kind, int Field = 0)
{
    private static readonly string[] FieldNames =
    [
        "", "message kind", "transmission type", "session id", "aircraft id", "hex ident", "flight id",
        "date generated", "time generated", "date logged", "time logged", "callsign", "altitude (ft)",
        "ground speed (kt)", "track (deg)", "latitude", "longitude", "vertical rate (ft/min)", "squawk",
        "alert", "emergency", "spi", "on ground",
    ];

    /// <summary>A sentence for an operator: the kind of fault and the field it is in.</summary>
    public string Describe()
    {
        var field = Field > 0 && Field < FieldNames.Length ? $"field {Field} ({FieldNames[Field]})" : $"field {Field}";
        return Kind switch
        {
            SbsErrorKind.None => "no error",
            SbsErrorKind.Empty => "empty line",
            SbsErrorKind.TooLong => $"line longer than {Sbs1.MaxLineBytes} bytes",
            SbsErrorKind.UnknownKind => "not an SBS-1 line (the first field is not MSG, SEL, ID, AIR, STA or CLK)",
            SbsErrorKind.FieldCount => Field == 0 ? "wrong field count" : $"wrong field count: {Field} (MSG lines have 22, others at least 10)",
            SbsErrorKind.BadTransmissionType => "bad transmission type (MSG types are 1 to 8)",
            SbsErrorKind.BadHexIdent => "bad hex ident (6 hexadecimal digits, optionally after '~')",
            SbsErrorKind.BadDate => $"bad date in {field} (yyyy/MM/dd)",
            SbsErrorKind.BadTime => $"bad time in {field} (HH:mm:ss.fff)",
            SbsErrorKind.NoTime => "no date and time (fields 7-8 and 9-10 are empty)",
            SbsErrorKind.BadNumber => $"bad number in {field}",
            SbsErrorKind.LatitudeOutOfRange => "latitude out of range [-90, 90]",
            SbsErrorKind.LongitudeOutOfRange => "longitude out of range [-180, 180]",
            _ => Kind.ToString(),
        };
    }

    public override string ToString() => Describe();
}

/// <summary>
/// One parsed SBS-1 line. Values are as the receiver gives them (feet, knots, feet per minute);
/// absent fields are null. <see cref="Time"/> is UTC: the receiver's local date and time minus the
/// offset given to the parser. <see cref="Icao"/> is the 24-bit address, with bit 24 set when
/// the receiver marked it as not an ICAO address ('~' prefix: TIS-B, anonymous or non-ICAO).
/// For kinds other than MSG only <see cref="Kind"/> is set: they carry nothing a track needs.
/// </summary>
public readonly struct SbsMessage
{
    /// <summary>Set in <see cref="Icao"/> for addresses the receiver prefixed with '~'.</summary>
    public const uint NonIcaoFlag = 1u << 24;

    public SbsKind Kind { get; init; }

    /// <summary>1-8 for MSG, 0 otherwise.</summary>
    public int TransmissionType { get; init; }

    public uint Icao { get; init; }

    public DateTimeOffset Time { get; init; }

    /// <summary>Only parsed from MSG type 1 (the others leave it empty), trimmed.</summary>
    public string? Callsign { get; init; }

    public double? AltitudeFt { get; init; }

    public double? GroundSpeedKt { get; init; }

    public double? TrackDeg { get; init; }

    public double? Latitude { get; init; }

    public double? Longitude { get; init; }

    public double? VerticalRateFtPerMin { get; init; }

    /// <summary>The address as the track id: six upper-case hex digits, '~' first for a non-ICAO address.</summary>
    public static string IdOf(uint icao) =>
        (icao & NonIcaoFlag) != 0
            ? "~" + (icao & 0xFFFFFF).ToString("X6", CultureInfo.InvariantCulture)
            : icao.ToString("X6", CultureInfo.InvariantCulture);
}

/// <summary>
/// The BaseStation (SBS-1) line format, as dump1090, readsb and BaseStation serve it on TCP port
/// 30003: comma-separated, `MSG,type,session,aircraft,hex,flight,dateGen,timeGen,dateLog,timeLog,
/// callsign,altitude,groundSpeed,track,lat,lon,verticalRate,squawk,alert,emergency,spi,onGround`
/// (22 fields), dates yyyy/MM/dd and times HH:mm:ss.fff in the receiver's local time.
/// </summary>
/// <remarks>
/// The parser works on the UTF-8 bytes of one line, without the line end, and allocates nothing
/// except the callsign string of a MSG type 1. It parses every numeric field of a MSG line that
/// is present, whatever the type, so a garbled field is found wherever it is; the squawk and the
/// four flags are not used and not checked. Time is the "generated" date and time, or the
/// "logged" one when the generated one is empty (dump1090 writes the same value in both).
/// Complexity: one pass over the line.
/// </remarks>
public static class Sbs1
{
    /// <summary>Longer lines are refused (real MSG lines are under 200 bytes).</summary>
    public const int MaxLineBytes = 512;

    private const int MsgFields = 22;
    private const int MinOtherFields = 10;

    /// <summary>
    /// Parses one line (UTF-8, without its line end; a trailing '\r' is ignored).
    /// <paramref name="receiverUtcOffset"/> is the offset of the receiver's clock from UTC
    /// (+02:00 for a receiver on CEST): UTC = local - offset.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> line, TimeSpan receiverUtcOffset, out SbsMessage message, out SbsError error)
    {
        message = default;
        while (line.Length > 0 && (line[^1] == (byte)'\r' || line[^1] == (byte)' '))
        {
            line = line[..^1];
        }

        if (line.IsEmpty)
        {
            error = new SbsError(SbsErrorKind.Empty);
            return false;
        }

        if (line.Length > MaxLineBytes)
        {
            error = new SbsError(SbsErrorKind.TooLong);
            return false;
        }

        Span<Range> fields = stackalloc Range[MsgFields + 1];
        var count = SplitFields(line, fields);
        if (!TryKind(line[fields[0]], out var kind))
        {
            error = new SbsError(SbsErrorKind.UnknownKind, 1);
            return false;
        }

        if (kind != SbsKind.Msg)
        {
            if (count < MinOtherFields)
            {
                error = new SbsError(SbsErrorKind.FieldCount, count);
                return false;
            }

            message = new SbsMessage { Kind = kind };
            error = default;
            return true;
        }

        // Split stops at MsgFields + 1 ranges, the last holding the rest: more than 22 fields
        // shows as 23.
        if (count != MsgFields)
        {
            error = new SbsError(SbsErrorKind.FieldCount, count);
            return false;
        }

        var typeField = line[fields[1]];
        if (typeField.Length != 1 || typeField[0] < (byte)'1' || typeField[0] > (byte)'8')
        {
            error = new SbsError(SbsErrorKind.BadTransmissionType, 2);
            return false;
        }

        if (!TryHex(line[fields[4]], out var icao))
        {
            error = new SbsError(SbsErrorKind.BadHexIdent, 5);
            return false;
        }

        var (dateField, timeField) = line[fields[6]].IsEmpty && line[fields[7]].IsEmpty ? (8, 9) : (6, 7);
        if (line[fields[dateField]].IsEmpty && line[fields[timeField]].IsEmpty)
        {
            error = new SbsError(SbsErrorKind.NoTime, 7);
            return false;
        }

        if (!TryDate(line[fields[dateField]], out var dateTicks))
        {
            error = new SbsError(SbsErrorKind.BadDate, dateField + 1);
            return false;
        }

        if (!TryTime(line[fields[timeField]], out var timeTicks))
        {
            error = new SbsError(SbsErrorKind.BadTime, timeField + 1);
            return false;
        }

        var utcTicks = dateTicks + timeTicks - receiverUtcOffset.Ticks;
        if (utcTicks < DateTime.MinValue.Ticks || utcTicks > DateTime.MaxValue.Ticks)
        {
            error = new SbsError(SbsErrorKind.BadDate, dateField + 1);
            return false;
        }

        double? altitude = null, speed = null, track = null, lat = null, lon = null, rate = null;
        if (!TryNumber(line[fields[11]], ref altitude) || !TryNumber(line[fields[12]], ref speed)
            || !TryNumber(line[fields[13]], ref track) || !TryNumber(line[fields[14]], ref lat)
            || !TryNumber(line[fields[15]], ref lon) || !TryNumber(line[fields[16]], ref rate))
        {
            error = new SbsError(SbsErrorKind.BadNumber, FirstBadNumber(line, fields));
            return false;
        }

        if (lat is < -90 or > 90)
        {
            error = new SbsError(SbsErrorKind.LatitudeOutOfRange, 15);
            return false;
        }

        if (lon is < -180 or > 180)
        {
            error = new SbsError(SbsErrorKind.LongitudeOutOfRange, 16);
            return false;
        }

        var type = typeField[0] - '0';
        string? callsign = null;
        if (type == 1)
        {
            var raw = line[fields[10]].Trim((byte)' ');
            if (!raw.IsEmpty)
            {
                callsign = System.Text.Encoding.UTF8.GetString(raw);
            }
        }

        message = new SbsMessage
        {
            Kind = SbsKind.Msg,
            TransmissionType = type,
            Icao = icao,
            Time = new DateTimeOffset(utcTicks, TimeSpan.Zero),
            Callsign = callsign,
            AltitudeFt = altitude,
            GroundSpeedKt = speed,
            TrackDeg = track,
            Latitude = lat,
            Longitude = lon,
            VerticalRateFtPerMin = rate,
        };
        error = default;
        return true;
    }

    /// <summary>The same for a line of text (tests, files); non-ASCII text is refused as it is never valid.</summary>
    public static bool TryParse(ReadOnlySpan<char> line, TimeSpan receiverUtcOffset, out SbsMessage message, out SbsError error)
    {
        if (line.Length > MaxLineBytes)
        {
            message = default;
            error = new SbsError(SbsErrorKind.TooLong);
            return false;
        }

        Span<byte> bytes = stackalloc byte[MaxLineBytes * 3];
        var n = System.Text.Encoding.UTF8.GetBytes(line, bytes);
        return TryParse(bytes[..n], receiverUtcOffset, out message, out error);
    }

    /// <summary>Parses a line of text or throws a <see cref="FormatException"/> saying what is wrong.</summary>
    public static SbsMessage Parse(string line, TimeSpan receiverUtcOffset) =>
        TryParse(line.AsSpan(), receiverUtcOffset, out var message, out var error)
            ? message
            : throw new FormatException($"Not a valid SBS-1 line: {error.Describe()}.");

    /// <summary>Fills <paramref name="fields"/> with the comma-separated fields; the last range holds whatever is left.</summary>
    private static int SplitFields(ReadOnlySpan<byte> line, Span<Range> fields)
    {
        var count = 0;
        var start = 0;
        while (true)
        {
            var comma = count == fields.Length - 1 ? -1 : line[start..].IndexOf((byte)',');
            if (comma < 0)
            {
                fields[count++] = start..line.Length;
                return count;
            }

            fields[count++] = start..(start + comma);
            start += comma + 1;
        }
    }

    private static bool TryKind(ReadOnlySpan<byte> f, out SbsKind kind)
    {
        kind = f switch
        {
            _ when f.SequenceEqual("MSG"u8) => SbsKind.Msg,
            _ when f.SequenceEqual("SEL"u8) => SbsKind.Sel,
            _ when f.SequenceEqual("ID"u8) => SbsKind.Id,
            _ when f.SequenceEqual("AIR"u8) => SbsKind.Air,
            _ when f.SequenceEqual("STA"u8) => SbsKind.Sta,
            _ when f.SequenceEqual("CLK"u8) => SbsKind.Clk,
            _ => (SbsKind)255,
        };
        return kind != (SbsKind)255;
    }

    private static bool TryHex(ReadOnlySpan<byte> f, out uint icao)
    {
        icao = 0;
        uint flag = 0;
        if (f.Length == 7 && f[0] == (byte)'~')
        {
            flag = SbsMessage.NonIcaoFlag;
            f = f[1..];
        }

        if (f.Length != 6)
        {
            return false;
        }

        foreach (var b in f)
        {
            int digit = b switch
            {
                >= (byte)'0' and <= (byte)'9' => b - '0',
                >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
                >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
                _ => -1,
            };
            if (digit < 0)
            {
                return false;
            }

            icao = (icao << 4) | (uint)digit;
        }

        icao |= flag;
        return true;
    }

    private static bool TryDate(ReadOnlySpan<byte> f, out long ticks)
    {
        ticks = 0;
        if (f.Length != 10 || f[4] != (byte)'/' || f[7] != (byte)'/'
            || !Digits(f[..4], out var year) || !Digits(f.Slice(5, 2), out var month) || !Digits(f.Slice(8, 2), out var day)
            || year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month))
        {
            return false;
        }

        ticks = new DateTime(year, month, day).Ticks;
        return true;
    }

    /// <summary>HH:mm:ss with an optional fraction of 1 to 7 digits (dump1090 writes 3).</summary>
    private static bool TryTime(ReadOnlySpan<byte> f, out long ticks)
    {
        ticks = 0;
        if (f.Length < 8 || f[2] != (byte)':' || f[5] != (byte)':'
            || !Digits(f[..2], out var h) || !Digits(f.Slice(3, 2), out var m) || !Digits(f.Slice(6, 2), out var s)
            || h > 23 || m > 59 || s > 59)
        {
            return false;
        }

        long fraction = 0;
        if (f.Length > 8)
        {
            var digits = f[9..];
            if (f[8] != (byte)'.' || digits.Length is < 1 or > 7 || !Digits(digits, out var value))
            {
                return false;
            }

            fraction = value;
            for (var i = digits.Length; i < 7; i++)
            {
                fraction *= 10;
            }
        }

        ticks = (((h * 60L) + m) * 60 + s) * TimeSpan.TicksPerSecond + fraction;
        return true;
    }

    private static bool Digits(ReadOnlySpan<byte> f, out int value)
    {
        value = 0;
        foreach (var b in f)
        {
            if (b < (byte)'0' || b > (byte)'9')
            {
                return false;
            }

            value = (value * 10) + (b - '0');
        }

        return !f.IsEmpty;
    }

    private static bool TryNumber(ReadOnlySpan<byte> f, ref double? value)
    {
        if (f.IsEmpty)
        {
            return true;
        }

        if (!double.TryParse(f, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var d) || !double.IsFinite(d))
        {
            return false;
        }

        value = d;
        return true;
    }

    private static int FirstBadNumber(ReadOnlySpan<byte> line, ReadOnlySpan<Range> fields)
    {
        for (var i = 11; i <= 16; i++)
        {
            double? ignored = null;
            if (!TryNumber(line[fields[i]], ref ignored))
            {
                return i + 1;
            }
        }

        return 0;
    }
}
