namespace Deconflict.Storage.Sqlite;

/// <summary>
/// The one server that may use a database file: an exclusive lock on a file beside it
/// (<c>deconflict.db.lock</c>), opened with FileShare.None, which .NET takes with flock(LOCK_EX)
/// on Linux and macOS and a share-mode lock on Windows. The operating system drops the lock when
/// the process ends in any way, SIGKILL included, so a crash never leaves the database locked. Two
/// servers on one file each believed they held the record's tail and wrote the same event
/// numbers; the second is now refused before it reads or writes anything. The lock file itself
/// stays (removing it would let a third process lock a new file while the first holds the old one).
/// </summary>
public sealed class DatabaseLock : IDisposable
{
    private readonly FileStream _file;

    private DatabaseLock(FileStream file) => _file = file;

    /// <summary>Locks the database at <paramref name="databasePath"/>, or refuses with one line naming it.</summary>
    /// <exception cref="StartRefusedException">Another process holds the database.</exception>
    public static DatabaseLock Acquire(string databasePath)
    {
        var full = Path.GetFullPath(databasePath);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var lockPath = full + ".lock";
        try
        {
            return new DatabaseLock(new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException)
        {
            throw new StartRefusedException(
                $"The database {full} is in use by another deconflict server (it holds {lockPath}): stop that server first, or give this one another --db.");
        }
        catch (UnauthorizedAccessException)
        {
            throw new StartRefusedException($"Cannot create the lock file {lockPath} beside the database {full}: check the folder's permissions.");
        }
    }

    public void Dispose() => _file.Dispose();
}
