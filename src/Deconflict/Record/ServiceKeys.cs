using Deconflict.Line;
using Deconflict.Storage;

namespace Deconflict.Record;

/// <summary>
/// The service's key set in a keys directory: <c>record.key</c> (signs the record's heads) and
/// <c>webhook.key</c> (signs escalation webhook bodies). Every node of a cluster signs with the same
/// keys, so the set is made once (<c>deconflict keys create DIR</c>) and copied to every node; a
/// server given a keys directory only ever reads it, so a node can never start a log identity of
/// its own.
/// </summary>
public static class ServiceKeys
{
    /// <summary>Creates both keys in <paramref name="directory"/> (made if missing), refusing before anything is written when either file exists.</summary>
    /// <exception cref="IOException">A key file is already there, or the directory cannot be written.</exception>
    public static (RecordKey Record, WebhookKey Webhook) Create(string directory)
    {
        var record = Path.Combine(directory, RecordKey.FileName);
        var webhook = Path.Combine(directory, WebhookKey.FileName);
        if (Existing(record, webhook) is { } existing)
        {
            throw new IOException($"{existing} exists: keys are never replaced (a new record key is a new log identity). Give an empty directory.");
        }

        if (!Directory.Exists(directory))
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
            }
            else
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        var recordKey = RecordKey.Create(record);
        try
        {
            return (recordKey, WebhookKey.Create(webhook));
        }
        catch
        {
            recordKey.Dispose();
            throw;
        }
    }

    /// <summary>Loads both keys from <paramref name="directory"/>; never creates one.</summary>
    /// <exception cref="StartRefusedException">The directory or a key is missing, unreadable or damaged (one line, naming it).</exception>
    public static (RecordKey Record, WebhookKey Webhook) Load(string directory)
    {
        var full = Path.GetFullPath(directory);
        if (File.Exists(full))
        {
            throw new StartRefusedException($"The keys directory {full} is a file; give the directory that 'deconflict keys create' made.");
        }

        if (!Directory.Exists(full))
        {
            throw new StartRefusedException($"The keys directory {full} does not exist: create the keys once with 'deconflict keys create {full}' and give every node a copy.");
        }

        var recordKey = Read(Path.Combine(full, RecordKey.FileName), RecordKey.Load);
        try
        {
            return (recordKey, Read(Path.Combine(full, WebhookKey.FileName), WebhookKey.Load));
        }
        catch
        {
            recordKey.Dispose();
            throw;
        }
    }

    private static string? Existing(params string[] paths) => paths.FirstOrDefault(p => File.Exists(p) || Directory.Exists(p));

    private static T Read<T>(string path, Func<string, T> load)
    {
        try
        {
            return load(path);
        }
        catch (FileNotFoundException e)
        {
            throw new StartRefusedException($"The keys directory {Path.GetDirectoryName(path)} has no {Path.GetFileName(path)}: every node needs the record.key and webhook.key that 'deconflict keys create' made once; copy them from another node.", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new StartRefusedException($"Cannot read the key {path}: permission denied (the server's user must be able to read it).", e);
        }
        catch (InvalidDataException e)
        {
            throw new StartRefusedException(e.Message, e);
        }
        catch (IOException e)
        {
            throw new StartRefusedException($"Cannot read the key {path}: {e.Message.ReplaceLineEndings(" ").TrimEnd('.')}.", e);
        }
    }
}
