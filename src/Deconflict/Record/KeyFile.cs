using System.Globalization;
using Deconflict.Core.Record;

namespace Deconflict.Record;

/// <summary>
/// A service key kept beside the database as two text lines, its name and its Ed25519 seed
/// (<c>&lt;field&gt; NAME</c>, <c>ed25519-seed BASE64</c>), readable by the service's own user only.
/// The record key and the webhook key are each one such file, with their own name field, so that
/// one key never serves two purposes. A new file is written to a temporary name, flushed to disk
/// and then moved into place, so a crash never leaves half a key.
/// </summary>
internal static class KeyFile
{
    /// <summary>
    /// The name and signer kept at <paramref name="path"/>, or a new key named
    /// <paramref name="newName"/>() kept there now. <paramref name="what"/> names the file in a
    /// refusal ("record key").
    /// </summary>
    /// <exception cref="InvalidDataException">The file is damaged: a line missing, or a seed that is not 32 bytes of base64.</exception>
    public static (string Name, Ed25519Signer Signer) LoadOrCreate(string path, string nameField, string what, Func<string> newName)
    {
        if (File.Exists(path))
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

        var created = (Name: newName(), Signer: Ed25519Signer.Create());
        var text = string.Create(CultureInfo.InvariantCulture, $"{nameField} {created.Name}\ned25519-seed {Convert.ToBase64String(created.Signer.ExportSeed())}\n");
        var temporary = path + ".tmp";
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

        File.Move(temporary, path);
        return created;
    }
}
