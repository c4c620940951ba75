using System.Security.Cryptography;
using System.Text;

namespace Deconflict.Core.Model;

/// <summary>The salted commitment to an operation's private details (<see cref="Declaration.DetailsSha256"/>).</summary>
public static class DetailsCommitment
{
    public const int SaltBytes = 16;

    /// <summary>Hex SHA-256 of the salt's bytes (given as hex) followed by the details' UTF-8 text.</summary>
    public static string Of(string saltHex, string details)
    {
        var salt = Convert.FromHexString(saltHex);
        var text = Encoding.UTF8.GetBytes(details);
        var buffer = new byte[salt.Length + text.Length];
        salt.CopyTo(buffer, 0);
        text.CopyTo(buffer, salt.Length);
        return Convert.ToHexStringLower(SHA256.HashData(buffer));
    }
}
