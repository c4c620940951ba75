using Deconflict.Core.Model;

namespace Deconflict.Service;

/// <summary>Who may do what, as refusals the commands return (null: allowed).</summary>
public static class Permissions
{
    /// <summary>Null when the caller is party <paramref name="partyId"/> itself or the admin; otherwise the refusal saying so.</summary>
    public static Refusal? SelfOrAdmin(Caller caller, string partyId, string action) =>
        caller.IsAdmin || caller.PartyId == partyId ? null : Refusal.Forbidden($"Only party '{partyId}' or the admin may {action}.");

    /// <summary>Null when the caller is a party that may write; the admin and observers only read.</summary>
    public static Refusal? Writer(Caller caller) =>
        caller.MayWrite ? null : Refusal.Forbidden(caller.IsAdmin
            ? "The admin runs the service but does not declare or acknowledge: use a party's token."
            : "An observer may read but not write.");
}
