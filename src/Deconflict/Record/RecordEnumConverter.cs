using System.Text.Json;
using System.Text.Json.Serialization;

namespace Deconflict.Record;

/// <summary>An enum in an event payload: its kebab-case name (<c>deconflict-request</c>), never a number.</summary>
public sealed class RecordEnumConverter<TEnum>() : JsonStringEnumConverter<TEnum>(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false)
    where TEnum : struct, Enum;
