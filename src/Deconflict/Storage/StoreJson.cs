using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Deconflict.Storage;

/// <summary>
/// The store's own JSON convention, fixed here so that what the stores write (volumes, line
/// messages, alerts, the rows the record check renders) does not move with the API's options:
/// snake_case names, enums as kebab-case strings, times as RFC 3339 UTC, nulls left out. It writes
/// the same bytes as the API's convention of the time these rows and entries were first written.
/// </summary>
public static class StoreJson
{
    public static readonly JsonSerializerOptions Options = Create();

    /// <summary>An enum value as the store writes it (kebab-case, as the JSON converter writes it).</summary>
    public static string Name<T>(T value)
        where T : struct, Enum => JsonNamingPolicy.KebabCaseLower.ConvertName(value.ToString());

    private static JsonSerializerOptions Create()
    {
        var o = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            DictionaryKeyPolicy = null,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            NumberHandling = JsonNumberHandling.Strict,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            AllowTrailingCommas = false,
            ReadCommentHandling = JsonCommentHandling.Disallow,
            AllowDuplicateProperties = false,
        };
        o.Converters.Add(new StoreTimeConverter());
        o.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false));
        o.MakeReadOnly(populateMissingResolver: true);
        return o;
    }
}
