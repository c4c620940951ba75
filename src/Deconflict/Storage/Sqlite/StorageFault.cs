using Microsoft.Data.Sqlite;
using Npgsql;

namespace Deconflict.Storage.Sqlite;

/// <summary>
/// Failures of the store itself rather than of a request: the disk is full (SQLITE_FULL), it
/// failed to read or write (SQLITE_IOERR), the file cannot be opened, is read-only, is locked by
/// another process (SQLITE_BUSY, SQLITE_LOCKED), or is damaged (SQLITE_CORRUPT, SQLITE_NOTADB).
/// On PostgreSQL: the server cannot be reached or the connection broke (PostgreSQL stopped,
/// restarted or was killed), it refuses connections or is shutting down, it ran out of disk,
/// memory or connections, it failed to read or write, or a command timed out.
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
        (e is SqliteException s && (s.SqliteErrorCode & 0xFF) is Busy or Locked or NoMemory or ReadOnly or IoError or Corrupt or Full or CantOpen or NotADatabase)
        || IsPostgresFault(e);

    /// <summary>
    /// PostgreSQL could not be reached or the connection to it broke: every error of Npgsql that
    /// is not the server's answer to a statement, and the server's connection errors (class 08)
    /// and shutdowns (57P01-57P03).
    /// </summary>
    public static bool IsConnectionFailure(Exception? e) => e switch
    {
        PostgresException p => p.SqlState.StartsWith("08", StringComparison.Ordinal) || p.SqlState is "57P01" or "57P02" or "57P03",
        NpgsqlException => true,
        _ => false,
    };

    // The server's own refusals of the store as a whole, beside a lost connection: out of
    // resources (class 53: disk, memory, connections), a system or I/O error (58), an internal
    // error or damaged data (XX), a read-only server (25006), a cancelled or timed-out statement
    // (57014), a missing database (3D000) or refused credentials (28). A request's own errors (a
    // constraint, a syntax) are not faults.
    private static bool IsPostgresFault(Exception? e) =>
        IsConnectionFailure(e)
        || (e is PostgresException p && (p.SqlState[..2] is "53" or "58" or "XX" or "28" || p.SqlState is "25006" or "57014" or "3D000"));

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
        e is NpgsqlException n ? DescribePostgres(n) : e is SqliteException s ? (s.SqliteErrorCode & 0xFF) switch
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

    private static string DescribePostgres(NpgsqlException e) => e is PostgresException p
        ? p.SqlState switch
        {
            "57P01" or "57P02" or "57P03" => "the PostgreSQL server is shutting down or starting",
            "53100" => "the PostgreSQL server's disk is full",
            "53200" => "the PostgreSQL server ran out of memory",
            "53300" => "the PostgreSQL server has too many connections",
            "57014" => "a PostgreSQL statement timed out",
            "25006" => "the PostgreSQL server is read-only",
            "3D000" => "the PostgreSQL database does not exist",
            _ when p.SqlState.StartsWith("28", StringComparison.Ordinal) => "PostgreSQL refused the credentials",
            _ when p.SqlState.StartsWith("08", StringComparison.Ordinal) => "the connection to PostgreSQL failed",
            _ when p.SqlState.StartsWith("58", StringComparison.Ordinal) => "the PostgreSQL server failed to read or write",
            _ when p.SqlState.StartsWith("XX", StringComparison.Ordinal) => "the PostgreSQL server failed (internal error or damaged data)",
            _ => "the store failed",
        }
        : e.InnerException is TimeoutException ? "PostgreSQL did not answer in time" : "the PostgreSQL server cannot be reached";
}
