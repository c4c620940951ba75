using System.Text.Json.Serialization;

namespace Deconflict.Tracks;

/// <summary>
/// The relay's own fixed JSON (source-generated, independent of the API's options): the names are
/// the short ones the messages declare, numbers strict, and a member that is not in the version, or
/// given twice, makes the message malformed.
/// </summary>
[JsonSourceGenerationOptions(
    GenerationMode = JsonSourceGenerationMode.Default,
    NumberHandling = JsonNumberHandling.Strict,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    AllowDuplicateProperties = false,
    AllowTrailingCommas = false,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Disallow,
    MaxDepth = 8)]
[JsonSerializable(typeof(TrackRelayMessage))]
public sealed partial class TrackRelayJson : JsonSerializerContext;
