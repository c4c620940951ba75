using System.Text.Json;
using System.Text.Json.Serialization;
using Deconflict.Core.Model;

namespace Deconflict.Storage;

/// <summary>Times in the store's JSON: written as RFC 3339 UTC with 'Z' (as the API writes them), read as RFC 3339 with an offset.</summary>
public sealed class StoreTimeConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String && Rfc3339.TryParse(reader.GetString(), out var value)
            ? value
            : throw new JsonException("A stored time is not RFC 3339 with an offset.");

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(Rfc3339.FormatUtc(value));
}
