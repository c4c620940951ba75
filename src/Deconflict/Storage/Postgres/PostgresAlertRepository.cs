using Deconflict.Core.Tactical;
using Sql = Deconflict.Storage.Postgres.PostgresSql;

namespace Deconflict.Storage.Postgres;

/// <summary>Tactical alerts in the PostgreSQL write transaction.</summary>
internal sealed class PostgresAlertRepository(PostgresWriteConnection write) : IAlertRepository
{
    public ValueTask<TrackAlert?> GetAsync(string id) => new(write.One(AlertRows.Read, $"SELECT {AlertRows.Columns} FROM alerts WHERE id = $1", id));

    public ValueTask InsertAsync(TrackAlert alert)
    {
        var (c, tx) = write.Open();
        using var cmd = Sql.Command(c, tx,
            "INSERT INTO alerts(seq, id, a_party, b_party, state, version, doc, record_index) " +
            "VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM alerts), @id, @a, @b, @state, @version, @doc, @ri)");
        AlertRows.Bind(cmd, alert, string.Empty);
        cmd.Parameters.AddWithValue("ri", write.NextRecordIndex());
        write.Changed(cmd.ExecuteNonQuery());
        return ValueTask.CompletedTask;
    }

    public ValueTask UpdateAsync(TrackAlert alert)
    {
        var (c, tx) = write.Open();
        using var cmd = Sql.Command(c, tx,
            "UPDATE alerts SET state = @state, version = @version, doc = @doc, record_index = @ri WHERE id = @id AND a_party = @a AND b_party = @b");
        AlertRows.Bind(cmd, alert, string.Empty);
        cmd.Parameters.AddWithValue("ri", write.NextRecordIndex());
        var changed = cmd.ExecuteNonQuery();
        write.Changed(changed);
        return changed == 1
            ? ValueTask.CompletedTask
            : throw new InvalidOperationException($"No alert {alert.Id} between {alert.A.Party} and {alert.B.Party} to update.");
    }
}
