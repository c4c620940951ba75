namespace Deconflict.Line;

public sealed record ReceiptView(DateTimeOffset? DeliveredAt, DateTimeOffset? ReadAt, DateTimeOffset? AcknowledgedAt, string? AcknowledgedBy, string? Note, int EscalationLevel, DateTimeOffset? DueAt);
