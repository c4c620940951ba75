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

    /// <summary>Base64url characters that carry 32 random bytes (256 bits, at 6 bits a character): what <see cref="New"/> writes after the prefix.</summary>
    public const int MinAdminBase64Chars = 43;

    /// <summary>Hexadecimal digits that carry 32 random bytes (at 4 bits a digit), for a secret written in hex only.</summary>
    public const int MinAdminHexChars = 64;

    /// <summary>
    /// Why an admin secret given by the operator (DECONFLICT_ADMIN_TOKEN) cannot hold 32 random
    /// bytes, or null when it can. Concretely, after an optional "dcf_" prefix and any trailing "="
    /// padding: only base64 or base64url characters (A-Z, a-z, 0-9, '-', '_', '+', '/'), at least
    /// 43 of them (64 when all are hexadecimal digits), and at least 8 different ones (a placeholder
    /// such as "aaaa..." is not random). E.g. `openssl rand -base64 32` or `openssl rand -hex 32`.
    /// </summary>
    public static string? AdminSecretProblem(string secret)
    {
        var body = (secret.StartsWith(Prefix, StringComparison.Ordinal) ? secret[Prefix.Length..] : secret).TrimEnd('=');
        const string advice = "it must carry at least 32 random bytes: 43 or more base64url characters (or 64 hexadecimal digits), e.g. from `openssl rand -base64 32`";
        if (!body.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '+' or '/'))
        {
            return $"holds characters other than base64 or base64url; {advice}.";
        }

        var needed = body.All(char.IsAsciiHexDigit) ? MinAdminHexChars : MinAdminBase64Chars;
        if (body.Length < needed)
        {
            return $"is too short ({body.Length} characters); {advice}.";
        }

        return body.Distinct().Count() < 8 ? $"is not random (fewer than 8 different characters); {advice}." : null;
    }
}
