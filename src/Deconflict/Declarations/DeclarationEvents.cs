using Deconflict.Api;
using Deconflict.Core.Model;
using Deconflict.Events.Payloads;
using Deconflict.Record;

namespace Deconflict.Declarations;

/// <summary>The record entries of operations, zones and conflicts (public, and to the conflict's parties).</summary>
public static class DeclarationEvents
{
    /// <summary>An <c>operation</c> or <c>zone</c> event: the declaration as everyone sees it (no details, no salt).</summary>
    public static DomainEvent Written(string? actor, string action, Declaration d) => d.Kind == DeclarationKind.Operation
        ? new DomainEvent(EventTypes.Operation, actor, [], RecordJsonContext.Write(new OperationPayload(action, DeclarationView.ForEntry(d)), RecordJsonContext.Default.OperationPayload))
        : new DomainEvent(EventTypes.Zone, actor, [], RecordJsonContext.Write(new ZonePayload(action, DeclarationView.ForEntry(d)), RecordJsonContext.Default.ZonePayload));

    /// <summary>A <c>conflict</c> event to the conflict's parties: the step's actor is also its <c>by</c>.</summary>
    public static DomainEvent Conflict(string? actor, string action, string? note, Conflict c) =>
        new(EventTypes.Conflict, actor, c.Parties, RecordJsonContext.Write(new ConflictPayload(action, actor, note, ConflictView.ForEntry(c)), RecordJsonContext.Default.ConflictPayload));
}
