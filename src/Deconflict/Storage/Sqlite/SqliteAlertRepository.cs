using Deconflict.Core.Tactical;

namespace Deconflict.Storage.Sqlite;

/// <summary>Tactical alerts, in the single writer's open transaction.</summary>
internal sealed class SqliteAlertRepository(SqliteWriteConnection write) : IAlertRepository
{
    public ValueTask<TrackAlert?> GetAsync(string id)
    {
        var cmd = write.Cmd($"SELECT {AlertRows.Columns} FROM alerts WHERE id = $id");
        cmd.Parameters.AddWithValue("$id", id);
        return new(AlertRows.ReadOne(cmd));
    }

    public ValueTask InsertAsync(TrackAlert alert)
    {
        var cmd = write.Cmd("INSERT INTO alerts(id, a_party, b_party, state, version, doc, record_index) VALUES ($id, $a, $b, $state, $version, $doc, $ri)");
        AlertRows.Bind(cmd, alert, "$");
        cmd.Parameters.AddWithValue("$ri", write.NextRecordIndex());
        cmd.ExecuteNonQuery();
        return ValueTask.CompletedTask;
    }

    public ValueTask UpdateAsync(TrackAlert alert)
    {
        var cmd = write.Cmd("UPDATE alerts SET state = $state, version = $version, doc = $doc, record_index = $ri WHERE id = $id AND a_party = $a AND b_party = $b");
        AlertRows.Bind(cmd, alert, "$");
        cmd.Parameters.AddWithValue("$ri", write.NextRecordIndex());
        if (cmd.ExecuteNonQuery() != 1)
        {
            throw new InvalidOperationException($"No alert {alert.Id} between {alert.A.Party} and {alert.B.Party} to update.");
        }
        return ValueTask.CompletedTask;
    }
}
