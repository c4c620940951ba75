using Deconflict.Core.Tactical;

namespace Deconflict.Storage;

/// <summary>Tactical alerts, as the open write transaction stands.</summary>
public interface IAlertRepository
{
    ValueTask<TrackAlert?> GetAsync(string id);

    ValueTask InsertAsync(TrackAlert alert);

    /// <summary>Replaces the stored alert (same id) with its next version.</summary>
    ValueTask UpdateAsync(TrackAlert alert);
}
