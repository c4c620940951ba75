using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Deconflict.Api;

/// <summary>Bearer tokens: 32 random bytes, shown once, stored as SHA-256. A hash suffices (no salt or
/// slow KDF) because the secret is random and 256 bits long, not a password.</summary>
public static class Tokens
{
    public const string Prefix = "dcf_";

    public static (string Id, string Secret) New(DateTimeOffset now)
    {
        var secret = Prefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        return ("tk-" + Guid.CreateVersion7(now).ToString("N"), secret);
    }

    public static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));
}
