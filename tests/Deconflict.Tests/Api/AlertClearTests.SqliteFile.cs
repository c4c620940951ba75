using Deconflict.Alerts;

namespace Deconflict.Tests.Api;

/// <summary>
/// An alert's row as the SQLite store writes it: not compiled into tests/Deconflict.Tests.Postgres,
/// which runs the rest of this class against PostgreSQL.
/// </summary>
public sealed partial class AlertClearTests
{
    [Fact]
    public void An_alert_stored_before_clear_reasons_reads_back_and_states_its_entry_exactly_as_before()
    {
        // A cleared alert's row as the store wrote it before cleared_reason, track_lost_at and lost
        // existed, and blue's view of it as that version's record entry holds it: the start check
        // compares the two byte for byte, so neither may gain a member.
        const string Row = """{"id":"alert-1","version":2,"state":"cleared","level":"warning","a":{"party":"blue","track_id":"B1","callsign":"VIPER11","time":"2030-01-01T09:00:00Z","lat":0,"lng":0,"altitude_m":9144,"east_mps":200,"north_mps":0,"up_mps":0},"b":{"party":"red","track_id":"R1","time":"2030-01-01T09:00:00Z","lat":0,"lng":0.1,"altitude_m":9144,"east_mps":-200,"north_mps":0,"up_mps":0},"time_to_loss_s":13.9,"cpa":{"time":"2030-01-01T09:00:27.8Z","horizontal_m":0,"vertical_m":0},"predicted_at":"2030-01-01T09:00:00Z","acknowledged_by":{},"raised_at":"2030-01-01T09:00:00Z","updated_at":"2030-01-01T09:00:30Z","cleared_at":"2030-01-01T09:00:30Z"}""";
        const string Entry = """{"id":"alert-1","version":2,"state":"cleared","level":"warning","a":{"party":"blue","own":true,"track_id":"B1","callsign":"VIPER11","time":"2030-01-01T09:00:00Z","position":{"lat":0,"lng":0},"altitude_m":9144,"velocity":{"east_mps":200,"north_mps":0,"up_mps":0}},"b":{"party":"red","own":false,"time":"2030-01-01T09:00:00Z","position":{"lat":0,"lng":0.1},"altitude_m":9144,"velocity":{"east_mps":-200,"north_mps":0,"up_mps":0}},"time_to_loss_s":13.9,"cpa":{"time":"2030-01-01T09:00:27.8Z","horizontal_m":0,"vertical_m":0},"predicted_at":"2030-01-01T09:00:00Z","acknowledged_by":{},"raised_at":"2030-01-01T09:00:00Z","updated_at":"2030-01-01T09:00:30Z","cleared_at":"2030-01-01T09:00:30Z"}""";
        var alert = Deconflict.Storage.Sqlite.AlertRows.Deserialize(Row);
        Assert.Equal((Core.Tactical.AlertState.Cleared, null, null, false, false), (alert.State, alert.ClearedReason, alert.TrackLostAt, alert.A.Lost, alert.B.Lost));
        Assert.Equal(Row, Deconflict.Storage.Sqlite.AlertRows.Serialize(alert));
        Assert.Equal(Entry, System.Text.Json.JsonSerializer.Serialize(AlertView.ForEntry(alert, "blue"), Deconflict.Api.Json.Options));
    }
}
