using Deconflict.Core.Record;
using Microsoft.Data.Sqlite;

namespace Deconflict.Tests.Infrastructure;

/// <summary>Reading and editing a stopped server's database directly, as someone tampering with its files would.</summary>
public static class TamperedFiles
{
    /// <summary>Every record entry in the database, in order.</summary>
    public static List<RecordEntry> ReadEntries(string db)
    {
        using var c = Open(db);
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT entry FROM events ORDER BY seq";
        using var r = cmd.ExecuteReader();
        var list = new List<RecordEntry>();
        while (r.Read())
        {
            list.Add(RecordEntry.Parse((byte[])r.GetValue(0))!);
        }

        return list;
    }

    /// <summary>An unpooled connection, so the file is closed when it is disposed.</summary>
    public static SqliteConnection Open(string db)
    {
        var c = new SqliteConnection($"Data Source={db};Pooling=False");
        c.Open();
        return c;
    }

    /// <summary>Runs one statement; returns how many rows it changed.</summary>
    public static int Sql(string db, string sql)
    {
        using var c = Open(db);
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteNonQuery();
    }
}
