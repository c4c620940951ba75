namespace Deconflict.Record;

/// <summary>The record check refused to let the server start; the message is one plain line for the operator.</summary>
public sealed class RecordCheckException(string message) : Exception(message);
