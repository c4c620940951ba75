using Deconflict.Core.Tactical;

namespace Deconflict.Storage;

/// <summary>Tactical alerts, as the open write transaction stands.</summary>
public interface IAlertRepository
{
    TrackAlert? Get(string id);

    void Insert(TrackAlert alert);

    /// <summary>Replaces the stored alert (same id) with its next version.</summary>
    void Update(TrackAlert alert);
}
