using Npgsql;

namespace Deconflict.Storage.Postgres;

/// <summary>Commands with positional parameters ($1, $2...), the form Npgsql sends without rewriting the SQL.</summary>
internal static class PostgresSql
{
    public static NpgsqlCommand Command(NpgsqlConnection c, NpgsqlTransaction? tx, string sql, params object?[] args)
    {
        var cmd = new NpgsqlCommand(sql, c, tx);
        foreach (var arg in args)
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = arg ?? DBNull.Value });
        }

        return cmd;
    }

    public static int Execute(NpgsqlConnection c, NpgsqlTransaction? tx, string sql, params object?[] args)
    {
        using var cmd = Command(c, tx, sql, args);
        return cmd.ExecuteNonQuery();
    }

    public static object? Scalar(NpgsqlConnection c, NpgsqlTransaction? tx, string sql, params object?[] args)
    {
        using var cmd = Command(c, tx, sql, args);
        var value = cmd.ExecuteScalar();
        return value is DBNull ? null : value;
    }

    public static List<T> List<T>(NpgsqlConnection c, NpgsqlTransaction? tx, Func<NpgsqlDataReader, T> read, string sql, params object?[] args)
    {
        using var cmd = Command(c, tx, sql, args);
        using var r = cmd.ExecuteReader();
        var list = new List<T>();
        while (r.Read())
        {
            list.Add(read(r));
        }

        return list;
    }

    public static T? One<T>(NpgsqlConnection c, NpgsqlTransaction? tx, Func<NpgsqlDataReader, T> read, string sql, params object?[] args)
        where T : class
    {
        using var cmd = Command(c, tx, sql, args);
        using var r = cmd.ExecuteReader();
        return r.Read() ? read(r) : null;
    }

    /// <summary>
    /// Reads a page whose query asked for limit + 1 rows with seq in column 0: the extra row only
    /// tells that there is more, and the cursor is the seq of the last row returned.
    /// </summary>
    public static Page<T> Page<T>(NpgsqlConnection c, Func<NpgsqlDataReader, T> read, int limit, string sql, params object?[] args)
    {
        using var cmd = Command(c, null, sql, args);
        using var r = cmd.ExecuteReader();
        var items = new List<T>();
        long last = 0;
        while (r.Read())
        {
            if (items.Count == limit)
            {
                return new Page<T>(items, last);
            }

            items.Add(read(r));
            last = r.GetInt64(0);
        }

        return new Page<T>(items, null);
    }
}
