namespace Deconflict.Cli;

/// <summary>A mistake in how a verb was called (a missing file, an option's bad value): one line on stderr and exit code 2.</summary>
public sealed class CliUsageException(string message) : Exception(message);
