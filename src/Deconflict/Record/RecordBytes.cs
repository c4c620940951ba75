using System.Buffers.Text;

namespace Deconflict.Record;

/// <summary>Hashes (hex) and keys and signatures (base64) as the record's request bodies carry them; null when not well formed.</summary>
internal static class RecordBytes
{
    public static byte[]? Hex(string? text)
    {
        try
        {
            return text is null ? null : Convert.FromHexString(text);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>Standard base64, or base64url for those who send that.</summary>
    public static byte[]? Base64(string? text)
    {
        if (text is null)
        {
            return null;
        }

        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            return Base64Url.IsValid(text) ? Base64Url.DecodeFromChars(text) : null;
        }
    }
}
