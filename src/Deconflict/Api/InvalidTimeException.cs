using System.Text.Json;

namespace Deconflict.Api;

/// <summary>
/// A time member that is not an RFC 3339 date-time with an offset: a <see cref="JsonException"/>,
/// so that System.Text.Json adds the member's path, told apart from other malformed JSON so that
/// the refusal's code is <c>invalid-time</c>.
/// </summary>
public sealed class InvalidTimeException : JsonException
{
    public InvalidTimeException(string message)
        : base(message)
    {
    }

    public InvalidTimeException()
    {
    }

    public InvalidTimeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
