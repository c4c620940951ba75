using System.Text.Json;
using System.Text.Json.Nodes;

namespace Deconflict.Cli;

/// <summary>
/// Reading values out of a JSON file the CLI was given (a GeoJSON operation, a record export, a
/// verify state file). System.Text.Json parses a string that escapes a lone surrogate (\ud800)
/// and only refuses it when the string is read, with an <see cref="InvalidOperationException"/>
/// rather than a <see cref="JsonException"/> (found by fuzzing); such a string is no text, so it
/// reads here as no string at all and the caller refuses the file in its own words.
/// </summary>
internal static class FileJson
{
    /// <summary>The node's text, or null when it is not a string or its string is not text.</summary>
    public static string? Text(JsonNode? node)
    {
        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
        {
            return null;
        }

        try
        {
            return v.GetValue<string>();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>The element's text, or null when it is not a string or its string is not text.</summary>
    public static string? Text(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        try
        {
            return element.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }
}
