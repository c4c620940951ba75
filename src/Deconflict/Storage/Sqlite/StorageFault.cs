using Microsoft.Data.Sqlite;

namespace Deconflict.Storage.Sqlite;

/// <summary>
/// Failures of the store itself rather than of a request: the disk is full (SQLITE_FULL), it
/// failed to read or write (SQLITE_IOERR), the file cannot be opened, is read-only, is locked by
/// another process (SQLITE_BUSY, SQLITE_LOCKED), or is damaged (SQLITE_CORRUPT, SQLITE_NOTADB).
/// A request that meets one is answered 503 <c>storage-unavailable</c> (it may be retried: nothing
/// of it was acknowledged), and the writer reports itself unable to write on /healthz.
/// </summary>
public static class StorageFault
{
    // Primary result codes (https://sqlite.org/rescode.html); extended codes carry them in the low byte.
    private const int Busy = 5;
    private const int Locked = 6;
    private const int NoMemory = 7;
    private const int ReadOnly = 8;
    private const int IoError = 10;
    private const int Corrupt = 11;
    private const int Full = 13;
    private const int CantOpen = 14;
    private const int NotADatabase = 26;

    public static bool Is(Exception? e) =>
        e is SqliteException s && (s.SqliteErrorCode & 0xFF) is Busy or Locked or NoMemory or ReadOnly or IoError or Corrupt or Full or CantOpen or NotADatabase;

    /// <summary>The file is not a database or its structure is broken (random bytes, a truncated file).</summary>
    public static bool IsDamaged(Exception? e) =>
        e is SqliteException s && (s.SqliteErrorCode & 0xFF) is Corrupt or NotADatabase;

    /// <summary>What is wrong with a damaged file, for the line <c>serve</c> prints.</summary>
    public static string Damage(Exception e) =>
        e is SqliteException { SqliteErrorCode: var code } && (code & 0xFF) == NotADatabase
            ? "is not a SQLite database (SQLite error 26)"
            : "is damaged: its structure is broken, e.g. truncated (SQLite error 11)";

    /// <summary>A short description for people and logs, without the .NET type.</summary>
    public static string Describe(Exception e) =>
        e is SqliteException s ? (s.SqliteErrorCode & 0xFF) switch
        {
            Full => "the database or disk is full",
            IoError => "the disk failed to read or write",
            Busy or Locked => "the database is locked by another process",
            ReadOnly => "the database is read-only",
            CantOpen => "the database file cannot be opened",
            Corrupt or NotADatabase => "the database file is damaged",
            NoMemory => "the store ran out of memory",
            _ => "the store failed",
        } : "the store failed";
}
