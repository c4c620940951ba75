using Deconflict.Line;

namespace Deconflict.Events.Payloads;

/// <summary>A <c>line-receipt</c> event (delivered, read, acknowledged): the recipient's receipt and the message as it now stands.</summary>
public sealed record LineReceiptPayload(string Action, string MessageId, string Party, ReceiptView Receipt, LineMessageView Message);
