using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Deconflict.Storage.Sqlite;

/// <summary>
/// A statement prepared once on the writer's connection and bound by parameter index through
/// SQLitePCLRaw, the library Microsoft.Data.Sqlite is built on. For the writer's hottest inserts
/// (events and Merkle nodes, several per submission; declarations, their volume index rows and
/// conflicts, one or more per submission): Microsoft.Data.Sqlite resolves every
/// parameter by name on every execution, which was 15% of the writer's time at 1,000
/// submissions a second (dotnet-trace, docs/performance.md). Runs inside whatever transaction the
/// connection has open.
/// </summary>
internal sealed class RawStatement : IDisposable
{
    private const int Done = 101;
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _stmt;
    private byte[] _text = new byte[256];

    public RawStatement(SqliteConnection connection, string sql)
    {
        _db = connection.Handle ?? throw new InvalidOperationException("The connection is not open.");
        var rc = raw.sqlite3_prepare_v2(_db, sql, out _stmt);
        Check(rc);
    }

    public RawStatement Bind(int index, long value)
    {
        Check(raw.sqlite3_bind_int64(_stmt, index, value));
        return this;
    }

    public RawStatement Bind(int index, long? value)
    {
        Check(value is { } v ? raw.sqlite3_bind_int64(_stmt, index, v) : raw.sqlite3_bind_null(_stmt, index));
        return this;
    }

    public RawStatement Bind(int index, double value)
    {
        Check(raw.sqlite3_bind_double(_stmt, index, value));
        return this;
    }

    public RawStatement Bind(int index, string? value)
    {
        if (value is null)
        {
            Check(raw.sqlite3_bind_null(_stmt, index));
            return this;
        }

        // Encoded into a buffer this statement reuses: SQLite copies bound text at once
        // (SQLITE_TRANSIENT), and SQLitePCLRaw's string overload allocated a new UTF-8 array per
        // bind, 4% of the writer's time with the conflict rows (dotnet-trace).
        var length = Encoding.UTF8.GetMaxByteCount(value.Length);
        if (_text.Length < length)
        {
            _text = new byte[Math.Max(length, _text.Length * 2)];
        }

        var written = Encoding.UTF8.GetBytes(value, _text);
        Check(raw.sqlite3_bind_text(_stmt, index, _text.AsSpan(0, written)));
        return this;
    }

    public RawStatement Bind(int index, ReadOnlySpan<byte> value)
    {
        Check(raw.sqlite3_bind_blob(_stmt, index, value));
        return this;
    }

    /// <summary>Runs the statement (an insert or update) and makes it ready for the next bindings.</summary>
    public void Execute()
    {
        var rc = raw.sqlite3_step(_stmt);
        raw.sqlite3_reset(_stmt);
        raw.sqlite3_clear_bindings(_stmt);
        if (rc != Done)
        {
            Check(rc == raw.SQLITE_ROW ? raw.SQLITE_MISUSE : rc);
        }
    }

    /// <summary>Runs an insert with `RETURNING` one integer column and gives that value.</summary>
    public long ExecuteReturningInt64()
    {
        var rc = raw.sqlite3_step(_stmt);
        try
        {
            if (rc != raw.SQLITE_ROW)
            {
                Check(rc == Done ? raw.SQLITE_MISUSE : rc);
            }

            return raw.sqlite3_column_int64(_stmt, 0);
        }
        finally
        {
            // Stepping to the end completes the insert before the statement is reset.
            raw.sqlite3_step(_stmt);
            raw.sqlite3_reset(_stmt);
            raw.sqlite3_clear_bindings(_stmt);
        }
    }

    public void Dispose() => _stmt.Dispose();

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK && rc != Done)
        {
            throw new SqliteException($"SQLite Error {rc}: '{raw.sqlite3_errmsg(_db).utf8_to_string()}'.", rc);
        }
    }
}
