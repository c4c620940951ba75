using System.Globalization;
using Deconflict.Core.Record;

namespace Deconflict.Record;

/// <summary>
/// A service key kept as two text lines, its name and its Ed25519 seed (<c>&lt;field&gt; NAME</c>,
/// <c>ed25519-seed BASE64</c>), readable by the service's own user only: beside a SQLite database,
/// or in the keys directory every node of a cluster is given (<see cref="ServiceKeys"/>). The record
/// key and the webhook key are each one such file, with their own name field, so that one key
/// never serves two purposes. A new file is written to a temporary name, flushed to disk and then
/// moved into place, so a crash never leaves half a key, and an existing key is never replaced.
/// </summary>
internal static class KeyFile
{
    /// <summary>
    /// The name and signer kept at <paramref name="path"/>, or a new key named
    /// <paramref name="newName"/>() kept there now. <paramref name="what"/> names the file in a
    /// refusal ("record key").
    /// </summary>
    /// <exception cref="InvalidDataException">The file is damaged: a line missing, or a seed that is not 32 bytes of base64.</exception>
    public static (string Name, Ed25519Signer Signer) LoadOrCreate(string path, string nameField, string what, Func<string> newName) =>
        File.Exists(path) ? Load(path, nameField, what) : Create(path, nameField, newName);

    /// <summary>The name and signer kept at <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="InvalidDataException">The file is damaged: a line missing, or a seed that is not 32 bytes of base64.</exception>
    public static (string Name, Ed25519Signer Signer) Load(string path, string nameField, string what)
    {
        var fields = File.ReadAllLines(path)
            .Select(l => l.Split(' ', 2))
            .Where(f => f.Length == 2)
            .GroupBy(f => f[0], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First()[1], StringComparer.Ordinal);
        if (!fields.TryGetValue(nameField, out var name) || !fields.TryGetValue("ed25519-seed", out var seedText))
        {
            throw new InvalidDataException($"The {what} file {path} is damaged: it needs '{nameField}' and 'ed25519-seed' lines.");
        }

        var seed = new byte[32];
        if (!Convert.TryFromBase64String(seedText.Trim(), seed, out var length) || length != seed.Length)
        {
            throw new InvalidDataException($"The {what} file {path} is damaged: its ed25519-seed is not 32 bytes of base64.");
        }

        return (name, Ed25519Signer.FromSeed(seed));
    }

    /// <summary>A new key named <paramref name="newName"/>() kept at <paramref name="path"/>, which must not exist.</summary>
    /// <exception cref="IOException">A file is already at <paramref name="path"/> (it is left as it was).</exception>
    public static (string Name, Ed25519Signer Signer) Create(string path, string nameField, Func<string> newName)
    {
        var created = (Name: newName(), Signer: Ed25519Signer.Create());
        var text = string.Create(CultureInfo.InvariantCulture, $"{nameField} {created.Name}\ned25519-seed {Convert.ToBase64String(created.Signer.ExportSeed())}\n");
        // A name of this process's own: two processes creating keys at once never write one file.
        var temporary = string.Create(CultureInfo.InvariantCulture, $"{path}.{Environment.ProcessId}.tmp");
        File.Delete(temporary);
        var fileOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            // Only the service's own user may read the private key.
            fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, fileOptions))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(text);
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }

        try
        {
            // Never over a key already there: losing a key is losing the log's identity.
            File.Move(temporary, path, overwrite: false);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }

        return created;
    }
}
