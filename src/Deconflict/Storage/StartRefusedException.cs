namespace Deconflict.Storage;

/// <summary>
/// The server cannot start on this database (another server holds it, or the file is damaged).
/// The message is one plain line for people, naming the file and what to do; <c>serve</c> prints
/// it and exits non-zero.
/// </summary>
public sealed class StartRefusedException(string message, Exception? inner = null) : Exception(message, inner);
