using Deconflict.Core.Line;

namespace Deconflict.Line;

/// <summary>The result of sending a message: the message, and whether it is the one first sent with the same idempotency key (nothing new was sent).</summary>
public sealed record LineMessageSent(LineMessage Message, bool Replayed);
