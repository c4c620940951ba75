using System.Text.Json;
using System.Text.Json.Serialization;
using Deconflict.Core.Model;

namespace Deconflict.Record;

/// <summary>
/// A time in an event payload: RFC 3339 UTC with 'Z' and only the fractional digits needed
/// (<see cref="Rfc3339.FormatUtc"/>), as every entry written so far has it. The record's own
/// converter, so that a change to how the API writes times cannot reach the record.
/// </summary>
public sealed class RecordTimeConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String && Rfc3339.Parse(reader.GetString(), out var value) == Rfc3339Result.Ok
            ? value
            : throw new JsonException("A time in a record payload is an RFC 3339 string with an offset.");

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(Rfc3339.FormatUtc(value));
}
