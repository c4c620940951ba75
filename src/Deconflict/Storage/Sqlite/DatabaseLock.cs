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
    // What a lock held by another process throws: EWOULDBLOCK from flock on Linux (11; 35 on
    // macOS), ERROR_SHARING_VIOLATION or ERROR_LOCK_VIOLATION on Windows.
    private const int Held = 11;
    private const int HeldMacOs = 35;
    private const int WindowsSharingViolation = unchecked((int)0x80070020);
    private const int WindowsLockViolation = unchecked((int)0x80070021);

    private readonly FileStream _file;

    private DatabaseLock(FileStream file) => _file = file;

    /// <summary>Locks the database at <paramref name="databasePath"/>, or refuses with one line naming it.</summary>
    /// <exception cref="StartRefusedException">Another process holds the database.</exception>
    public static DatabaseLock Acquire(string databasePath)
    {
        var full = Path.GetFullPath(databasePath);
        var lockPath = full + ".lock";
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            return new DatabaseLock(new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException e) when (e.HResult is Held or HeldMacOs or WindowsSharingViolation or WindowsLockViolation)
        {
            throw new StartRefusedException(
                $"The database {full} is in use by another deconflict server (it holds {lockPath}): stop that server first, or give this one another --db.");
        }
        catch (UnauthorizedAccessException)
        {
            throw new StartRefusedException($"Cannot create the lock file {lockPath} beside the database {full}: check the folder's permissions.");
        }
        catch (IOException e)
        {
            // Not another server: a folder that takes no new files (a read-only or virtual file system).
            throw new StartRefusedException($"Cannot create the lock file {lockPath} beside the database {full}: {e.Message.TrimEnd('.')}. Give another --db.");
        }
    }

    public void Dispose() => _file.Dispose();
}
