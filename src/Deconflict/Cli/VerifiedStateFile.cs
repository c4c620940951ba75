using System.Text.Json;
using Deconflict.Core.Record;

namespace Deconflict.Cli;

/// <summary>
/// Reads the state file of <c>record verify --state</c> (what <see cref="WriteAsync"/> saved after a
/// verify passed) and refuses anything else with one line naming the file and what is wrong. The
/// file is checked whole before it is used: a root that is not hex would otherwise fail deep in
/// the consistency check, and a key that is not a key would make every later head look forged.
/// A refused file is left as it is, for its owner to look at.
/// </summary>
public static class VerifiedStateFile
{
    private const string Remedy = "restore it from a copy you trust, or remove it to verify afresh (without the check against the last run).";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>The state saved at <paramref name="path"/>; throws <see cref="CliException"/> with one line when it cannot be used.</summary>
    public static async Task<VerifiedState> ReadAsync(string path, CancellationToken ct)
    {
        string text;
        try
        {
            text = await File.ReadAllTextAsync(path, ct);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Refused(path, $"cannot be read ({e.Message.TrimEnd('.')})");
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            throw Refused(path, "is empty");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException e)
        {
            // LineNumber counts from 0.
            throw Refused(path, $"is not JSON (at line {(e.LineNumber ?? 0) + 1})");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Refused(path, "is not a JSON object");
            }

            var key = Member(root, path, "verifierKey");
            var size = Member(root, path, "size");
            var hash = Member(root, path, "rootHash");
            if (FileJson.Text(key) is not { } keyText || SignedNote.ParseVerifierKey(keyText) is null)
            {
                throw Refused(path, "has a verifierKey that is not a signed-note verifier key (name+keyhash+base64key)");
            }

            if (size.ValueKind != JsonValueKind.Number || !size.TryGetInt64(out var entries) || entries < 0)
            {
                throw Refused(path, "has a size that is not a whole number of entries, 0 or more");
            }

            // A SHA-256 root is 32 bytes, written as 64 hex digits.
            if (FileJson.Text(hash) is not { Length: 64 } hex || !hex.All(char.IsAsciiHexDigit))
            {
                throw Refused(path, "has a rootHash that is not 64 hexadecimal digits (a SHA-256 root)");
            }

            return new VerifiedState(keyText.Trim(), entries, hex);
        }
    }

    /// <summary>Saves <paramref name="state"/> at <paramref name="path"/> in the form <see cref="ReadAsync"/> reads.</summary>
    public static Task WriteAsync(string path, VerifiedState state, CancellationToken ct) =>
        File.WriteAllTextAsync(path, JsonSerializer.Serialize(state, Json), ct);

    private static JsonElement Member(JsonElement root, string path, string name) =>
        root.TryGetProperty(name, out var value) ? value : throw Refused(path, $"has no {name}");

    private static CliException Refused(string path, string what) => new($"The state file {path} {what}: {Remedy}");
}
