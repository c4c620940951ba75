namespace Deconflict.Cli;

/// <summary>
/// A failure to show the user as one clear message, not a stack trace: exit code 1 for a refusal or
/// a failure, 2 for a usage mistake.
/// </summary>
public sealed class CliException(string message, int exitCode = 1) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    /// <summary>A usage mistake (a malformed option or argument): exit code 2, nothing sent.</summary>
    public static CliException Usage(string message) => new(message, 2);
}
