using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Deconflict.Conflicts;
using Deconflict.Core.Volumes;
using Deconflict.Line;
using Deconflict.Parties;
using Deconflict.Record;
using Deconflict.Service;
using Deconflict.Tracks;

namespace Deconflict.Api;

/// <summary>
/// Turns a body the deserialiser refused into a refusal a person can act on: the RFC 6901 pointer
/// of the place in the caller's own body and the rule broken there (not well-formed JSON, with its
/// line and column; a member the object does not have, with the ones it has; a value of the wrong
/// JSON type, with the type expected; a number out of range; a required member missing), in the
/// API's words, never the converter's (no .NET type name, no byte position).
/// </summary>
/// <remarks>
/// The deserialiser's exception is used only for where it stopped (<see cref="JsonException.Path"/>)
/// and, for malformed JSON, the line and column; what is wrong there is worked out again from the
/// body and the body type's JSON contract (<see cref="JsonTypeInfo"/>, the same metadata the
/// deserialiser used), so the sentences do not depend on the wording of the runtime's messages.
/// This runs only on a refused body.
/// </remarks>
public static class JsonBodyErrors
{
    /// <summary>What a member's object is called in a sentence, by its body type; other objects are named by their pointer.</summary>
    private static readonly Dictionary<Type, string> Nouns = new()
    {
        [typeof(OperationBody)] = "an operation",
        [typeof(ZoneBody)] = "a zone",
        [typeof(KnownRef)] = "a known declaration (id and version)",
        [typeof(F3548Volume4D)] = "a volume (Volume4D)",
        [typeof(F3548Volume3D)] = "a volume's outline and altitudes (Volume3D)",
        [typeof(F3548Polygon)] = "an outline polygon",
        [typeof(F3548Circle)] = "an outline circle",
        [typeof(F3548LatLng)] = "a position",
        [typeof(F3548Radius)] = "a radius",
        [typeof(F3548Altitude)] = "an altitude",
        [typeof(F3548Time)] = "a time",
        [typeof(TrackBatchBody)] = "a track batch",
        [typeof(TrackBody)] = "a track",
        [typeof(TrackVelocityBody)] = "a velocity",
        [typeof(LineMessageBody)] = "a line message",
        [typeof(LineRefBody)] = "a reference",
        [typeof(LinePlaceBody)] = "a place",
        [typeof(LineAckBody)] = "an acknowledgement",
        [typeof(EscalationContactsBody)] = "an escalation contact list",
        [typeof(EscalationContactBody)] = "an escalation contact",
        [typeof(PartyBody)] = "a party",
        [typeof(PartyKeyBody)] = "a party's key",
        [typeof(CosignatureBody)] = "a cosignature",
        [typeof(ConflictStepBody)] = "a conflict acknowledgement or acceptance",
    };

    /// <summary>Examples for the objects people most often write as a bare number or string.</summary>
    private static readonly Dictionary<Type, string> Examples = new()
    {
        [typeof(F3548Altitude)] = """{"value": 150, "units": "FL"} or {"value": 3000, "reference": "W84", "units": "M"}""",
        [typeof(F3548Radius)] = """{"value": 5, "units": "NM"}""",
        [typeof(F3548Time)] = """{"value": "2026-11-26T09:00:00Z", "format": "RFC3339"}""",
        [typeof(F3548LatLng)] = """{"lat": 35.4, "lng": 35.9}""",
    };

    /// <summary>The refusal for a body of type <paramref name="type"/> that the deserialiser refused with <paramref name="e"/>.</summary>
    public static Refusal Explain(JsonException e, ReadOnlySpan<byte> json, Type type, JsonSerializerOptions options)
    {
        if (NotWellFormed(json) is { } syntax)
        {
            return syntax;
        }

        var pointer = e.Path is { } path ? HttpExtensions.Pointer(path) : "/";
        try
        {
            return Walk(json, pointer, type, options);
        }
        catch (InvalidOperationException)
        {
            // A string escape that is no UTF-16 text (a lone surrogate, \ud800) cannot be read, here or by the deserialiser.
            return Refuse($"{(pointer == "/" ? "The body" : pointer)} holds a string that is not text: an escape of half a surrogate pair, such as \\ud800, alone.", pointer);
        }
    }

    private static Refusal Walk(ReadOnlySpan<byte> json, string pointer, Type type, JsonSerializerOptions options)
    {
        using var document = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = JsonBodyRules.MaxDepth });
        var tokens = Tokens(pointer);
        var element = document.RootElement;
        var at = options.GetTypeInfo(type);
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            var info = Contract(at, options);
            switch (element.ValueKind)
            {
                case JsonValueKind.Object when info.Kind == JsonTypeInfoKind.Object:
                    var member = info.Properties.FirstOrDefault(p => p.Name == token);
                    if (member is null)
                    {
                        var place = Parent(tokens, i);
                        return Refuse($"'{Clip(token)}' is not a field of {Noun(info.Type, place)}; the fields are {Fields(info)}.", pointer);
                    }

                    if (!element.TryGetProperty(token, out var next))
                    {
                        return Fallback(pointer);
                    }

                    (element, at) = (next, options.GetTypeInfo(member.PropertyType));
                    break;
                case JsonValueKind.Object when info.Kind == JsonTypeInfoKind.Dictionary && element.TryGetProperty(token, out var value):
                    (element, at) = (value, options.GetTypeInfo(info.ElementType!));
                    break;
                case JsonValueKind.Array when info.Kind == JsonTypeInfoKind.Enumerable
                    && int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < element.GetArrayLength():
                    (element, at) = (element[index], options.GetTypeInfo(info.ElementType!));
                    break;
                default:
                    // The value before the end of the path already has the wrong shape: that is the fault.
                    return Mismatch(element, at, Prefix(tokens, i), options) ?? Fallback(pointer);
            }
        }

        return Mismatch(element, at, pointer, options) ?? Missing(element, at, pointer, options) ?? Fallback(pointer);
    }

    /// <summary>Not well-formed JSON: the reader's reason and where, as line and column of the body (both from 1); null when the text is well-formed.</summary>
    public static Refusal? NotWellFormed(ReadOnlySpan<byte> json)
    {
        if (json.Trim(" \t\r\n"u8).IsEmpty)
        {
            return new Refusal(RefusalReason.InvalidRequest, "The body is empty; send a JSON object.").With("pointer", "/");
        }

        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = JsonBodyRules.MaxDepth });
        try
        {
            while (reader.Read())
            {
            }

            return null;
        }
        catch (JsonException e)
        {
            var line = e.LineNumber ?? 0;
            var column = Column(json, line, e.BytePositionInLine ?? 0);
            var reason = e.Message;
            var cut = reason.IndexOf(" LineNumber:", StringComparison.Ordinal);
            reason = cut >= 0 ? reason[..cut].TrimEnd() : reason;
            reason = reason.Contains("trailing comma", StringComparison.Ordinal)
                ? "a comma before the end of an object or array (trailing commas are not allowed)."
                : reason.Contains("comment", StringComparison.OrdinalIgnoreCase) && reason.Contains("option", StringComparison.OrdinalIgnoreCase)
                    ? "a comment (JSON has none)."
                    : reason.Replace(" Change the reader options.", string.Empty, StringComparison.Ordinal);
            return new Refusal(RefusalReason.InvalidRequest, string.Create(CultureInfo.InvariantCulture,
                $"The body is not well-formed JSON at line {line + 1}, column {column}: {reason}"))
                .With("line", line + 1).With("column", column);
        }
    }

    /// <summary>The column (from 1, in characters) of a byte position within a line of the UTF-8 body.</summary>
    private static long Column(ReadOnlySpan<byte> json, long line, long bytePosition)
    {
        var start = 0;
        for (var l = 0L; l < line; l++)
        {
            var newline = json[start..].IndexOf((byte)'\n');
            if (newline < 0)
            {
                return bytePosition + 1;
            }

            start += newline + 1;
        }

        var length = (int)Math.Min(bytePosition, json.Length - start);
        return Encoding.UTF8.GetCharCount(json.Slice(start, length)) + 1;
    }

    /// <summary>The sentence for a value whose JSON type is not the one its member takes, or null when it is.</summary>
    private static Refusal? Mismatch(JsonElement value, JsonTypeInfo declared, string pointer, JsonSerializerOptions options)
    {
        var type = Nullable.GetUnderlyingType(declared.Type) ?? declared.Type;
        var nullable = !declared.Type.IsValueType || Nullable.GetUnderlyingType(declared.Type) is not null;
        var kind = value.ValueKind;
        var subject = pointer == "/" ? "The body" : pointer;
        if (type == typeof(JsonElement))
        {
            return null;
        }

        if (kind == JsonValueKind.Null)
        {
            return nullable ? null : Refuse($"{subject} must be {Expected(type, options)}, not null.", pointer);
        }

        if (type == typeof(string))
        {
            return kind == JsonValueKind.String ? null : Refuse($"{subject} must be a string; it is {Actual(value)}.", pointer);
        }

        if (type == typeof(bool))
        {
            return kind is JsonValueKind.True or JsonValueKind.False ? null : Refuse($"{subject} must be true or false; it is {Actual(value)}.", pointer);
        }

        if (type.IsEnum)
        {
            var names = Enum.GetNames(type).Select(n => JsonNamingPolicy.KebabCaseLower.ConvertName(n)).ToList();
            return kind == JsonValueKind.String && names.Contains(value.GetString()!)
                ? null
                : Refuse($"{subject} must be one of {string.Join(", ", names.Select(n => $"\"{n}\""))}; it is {Actual(value)}.", pointer);
        }

        if (Integer(type) is { } range)
        {
            if (kind != JsonValueKind.Number)
            {
                return Refuse($"{subject} must be a whole number; it is {Actual(value)}.", pointer);
            }

            var fits = type == typeof(int) ? value.TryGetInt32(out _) : value.TryGetInt64(out _);
            if (fits)
            {
                return null;
            }

            var whole = value.TryGetDouble(out var number) && double.IsFinite(number) && Math.Floor(number) == number;
            return Refuse(whole
                ? $"{subject} is out of range: {Clip(value.GetRawText())} is not a whole number from {range.Min} to {range.Max}."
                : $"{subject} must be a whole number; {Clip(value.GetRawText())} is not.", pointer);
        }

        if (type == typeof(double) || type == typeof(float) || type == typeof(decimal))
        {
            if (kind != JsonValueKind.Number)
            {
                return Refuse($"{subject} must be a number; it is {Actual(value)}.", pointer);
            }

            return value.TryGetDouble(out var d) && double.IsFinite(d) ? null : Refuse($"{subject} is a number too large to use ({Clip(value.GetRawText())}).", pointer);
        }

        if (type == typeof(DateTimeOffset))
        {
            return kind == JsonValueKind.String ? null : Refuse($"{subject} must be a time as a string: RFC 3339 with an offset, such as 2026-11-26T09:00:00Z; it is {Actual(value)}.", pointer);
        }

        var info = Contract(declared, options);
        switch (info.Kind)
        {
            case JsonTypeInfoKind.Object when kind != JsonValueKind.Object:
                var example = Examples.TryGetValue(type, out var e) ? $", such as {e}" : string.Empty;
                var hint = type == typeof(F3548Altitude) && kind == JsonValueKind.String && AltitudeHint(value.GetString()!) is { } written
                    ? $" (\"{Clip(value.GetString()!)}\" is written {written})"
                    : string.Empty;
                return Refuse($"{subject} must be {Noun(type, pointer)}: an object with the fields {Fields(info)}{example}; it is {Actual(value)}{hint}.", pointer);
            case JsonTypeInfoKind.Enumerable when kind != JsonValueKind.Array:
                return Refuse($"{subject} must be an array; it is {Actual(value)}.", pointer);
            case JsonTypeInfoKind.Dictionary when kind != JsonValueKind.Object:
                return Refuse($"{subject} must be an object; it is {Actual(value)}.", pointer);
            default:
                return null;
        }
    }

    /// <summary>The first required member the object at <paramref name="pointer"/> lacks (a member the contract marks required), or null.</summary>
    private static Refusal? Missing(JsonElement value, JsonTypeInfo declared, string pointer, JsonSerializerOptions options)
    {
        var info = Contract(declared, options);
        if (value.ValueKind != JsonValueKind.Object || info.Kind != JsonTypeInfoKind.Object)
        {
            return null;
        }

        var missing = info.Properties.FirstOrDefault(p => p.IsRequired && !value.TryGetProperty(p.Name, out _));
        return missing is null ? null : Refuse($"{Noun(info.Type, pointer)} needs the field '{missing.Name}'; the fields are {Fields(info)}.", pointer);
    }

    /// <summary>What a flight level, feet or metres written as one string ("FL150", "5000 FT", "3000M") is as an altitude object; null for anything else.</summary>
    public static string? AltitudeHint(string text)
    {
        var t = text.Replace(" ", string.Empty, StringComparison.Ordinal).ToUpperInvariant();
        if (t.StartsWith("FL", StringComparison.Ordinal) && int.TryParse(t[2..], NumberStyles.None, CultureInfo.InvariantCulture, out var level))
        {
            return string.Create(CultureInfo.InvariantCulture, $$"""{"value": {{level}}, "units": "FL"}""");
        }

        foreach (var unit in new[] { "FT", "KM", "NM", "M" })
        {
            if (t.EndsWith(unit, StringComparison.Ordinal)
                && double.TryParse(t[..^unit.Length], NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                return string.Create(CultureInfo.InvariantCulture, $$"""{"value": {{number}}, "reference": "W84", "units": "{{unit}}"}""");
            }
        }

        return null;
    }

    private static JsonTypeInfo Contract(JsonTypeInfo info, JsonSerializerOptions options) =>
        Nullable.GetUnderlyingType(info.Type) is { } inner ? options.GetTypeInfo(inner) : info;

    private static (string Min, string Max)? Integer(Type type) =>
        type == typeof(int) ? (int.MinValue.ToString(CultureInfo.InvariantCulture), int.MaxValue.ToString(CultureInfo.InvariantCulture))
        : type == typeof(long) ? (long.MinValue.ToString(CultureInfo.InvariantCulture), long.MaxValue.ToString(CultureInfo.InvariantCulture))
        : null;

    private static string Expected(Type type, JsonSerializerOptions options) =>
        type == typeof(bool) ? "true or false"
        : Integer(type) is not null ? "a whole number"
        : type == typeof(double) || type == typeof(float) || type == typeof(decimal) ? "a number"
        : type == typeof(string) ? "a string"
        : options.GetTypeInfo(type).Kind == JsonTypeInfoKind.Enumerable ? "an array"
        : "an object";

    /// <summary>The JSON value as a sentence names it: its type, and a short string or number itself.</summary>
    private static string Actual(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"the string \"{Clip(value.GetString()!)}\"",
        JsonValueKind.Number => $"the number {Clip(value.GetRawText())}",
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Null => "null",
        JsonValueKind.Array => "an array",
        _ => "an object",
    };

    private static string Fields(JsonTypeInfo info) => string.Join(", ", info.Properties.Select(p => p.Name));

    private static string Noun(Type type, string pointer) =>
        Nouns.TryGetValue(type, out var noun) ? noun : pointer == "/" ? "the body" : $"the object at {pointer}";

    /// <summary>Text from the body quoted in a sentence: at most 40 characters, nothing that is not printable ASCII.</summary>
    private static string Clip(string text)
    {
        var printable = new string([.. text.Take(40).Select(c => c is >= ' ' and < (char)0x7F ? c : '?')]);
        return text.Length > 40 ? printable + "..." : printable;
    }

    private static List<string> Tokens(string pointer) =>
        pointer == "/" ? [] : [.. pointer[1..].Split('/').Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal))];

    private static string Prefix(List<string> tokens, int count) =>
        count == 0 ? "/" : "/" + string.Join('/', tokens.Take(count).Select(t => t.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal)));

    private static string Parent(List<string> tokens, int index) => Prefix(tokens, index);

    private static Refusal Refuse(string detail, string pointer) =>
        new Refusal(RefusalReason.InvalidRequest, detail).With("pointer", pointer);

    /// <summary>A fault the walk above could not place more precisely: still its pointer, still no runtime wording.</summary>
    private static Refusal Fallback(string pointer) =>
        Refuse($"{(pointer == "/" ? "The body" : pointer)} does not have the shape this request takes there (see API.md for the body).", pointer);
}
