using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;

namespace Deconflict.Core.Record;

/// <summary>
/// C2SP signed notes (c2sp.org/signed-note) as the record uses them: the tree head as a C2SP
/// tlog-checkpoint (c2sp.org/tlog-checkpoint) signed with the service's Ed25519 key, witness
/// cosignatures as C2SP tlog-cosignature lines (cosignature/v1), and the verifier key string
/// <c>name+keyhash+base64(0x01 || public key)</c>. Standard tools (Go's sumdb/note, the witness
/// network) read the same bytes.
/// </summary>
/// <remarks>
/// Key ID: the first 4 bytes of SHA-256(name || "\n" || algorithm || public key), algorithm 0x01
/// for Ed25519 note signatures and 0x04 for cosignature/v1. A signature line is
/// "— name base64(key ID || signature)" (U+2014 and a space first); a cosignature's signature part
/// is key ID || 8-byte big-endian Unix seconds || Ed25519 signature over
/// "cosignature/v1\ntime &lt;seconds&gt;\n" followed by the checkpoint text.
/// </remarks>
public static class SignedNote
{
    public const byte Ed25519Algorithm = 0x01;
    public const byte CosignatureAlgorithm = 0x04;

    private static readonly SignatureAlgorithm Ed25519 = SignatureAlgorithm.Ed25519;

    /// <summary>The checkpoint text: origin, size, base64 root hash, each followed by a newline; no extension lines.</summary>
    public static string CheckpointText(string origin, long size, ReadOnlySpan<byte> rootHash) =>
        string.Create(CultureInfo.InvariantCulture, $"{origin}\n{size}\n{Convert.ToBase64String(rootHash)}\n");

    /// <summary>The message a witness signs for a cosignature/v1 at <paramref name="unixSeconds"/>.</summary>
    public static byte[] CosignedMessage(string checkpointText, long unixSeconds) =>
        Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"cosignature/v1\ntime {unixSeconds}\n{checkpointText}"));

    /// <summary>The 4-byte key ID of a key name, algorithm and public key.</summary>
    public static byte[] KeyId(string name, byte algorithm, ReadOnlySpan<byte> publicKey)
    {
        var input = new List<byte>(Encoding.UTF8.GetBytes(name + "\n")) { algorithm };
        input.AddRange(publicKey.ToArray());
        return SHA256.HashData([.. input])[..4];
    }

    /// <summary>The verifier key string of an Ed25519 note key: name+hex(key ID)+base64(0x01 || key).</summary>
    public static string VerifierKey(string name, ReadOnlySpan<byte> publicKey) =>
        $"{name}+{Convert.ToHexStringLower(KeyId(name, Ed25519Algorithm, publicKey))}+{Convert.ToBase64String([Ed25519Algorithm, .. publicKey])}";

    /// <summary>Parses a verifier key string; null when malformed, not Ed25519, or its key ID does not match.</summary>
    public static (string Name, byte[] PublicKey)? ParseVerifierKey(string text)
    {
        var parts = text.Trim().Split('+', 3);
        if (parts.Length != 3 || parts[0].Length == 0 || parts[1].Length != 8)
        {
            return null;
        }

        try
        {
            var blob = Convert.FromBase64String(parts[2]);
            if (blob.Length != 33 || blob[0] != Ed25519Algorithm)
            {
                return null;
            }

            var key = blob[1..];
            return string.Equals(Convert.ToHexStringLower(KeyId(parts[0], Ed25519Algorithm, key)), parts[1], StringComparison.OrdinalIgnoreCase) ? (parts[0], key) : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>A signature line of the note: "— name base64(key ID || signature)\n".</summary>
    public static string SignatureLine(string name, ReadOnlySpan<byte> keyId, ReadOnlySpan<byte> signature) =>
        $"\u2014 {name} {Convert.ToBase64String([.. keyId, .. signature])}\n";

    /// <summary>The cosignature line of a witness: its signature part is key ID || time || signature.</summary>
    public static string CosignatureLine(string name, ReadOnlySpan<byte> publicKey, long unixSeconds, ReadOnlySpan<byte> signature)
    {
        Span<byte> time = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(time, unixSeconds);
        return SignatureLine(name, KeyId(name, CosignatureAlgorithm, publicKey), [.. time, .. signature]);
    }

    /// <summary>Verifies an Ed25519 signature; false for malformed keys or signatures.</summary>
    public static bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        if (publicKey.Length != Ed25519.PublicKeySize || signature.Length != Ed25519.SignatureSize)
        {
            return false;
        }

        return PublicKey.TryImport(Ed25519, publicKey, KeyBlobFormat.RawPublicKey, out var key) && key is not null && Ed25519.Verify(key, message, signature);
    }

    /// <summary>
    /// Splits a signed note into its text and signature lines (name, key ID, signature bytes);
    /// null when it is not a well-formed note.
    /// </summary>
    public static (string Text, IReadOnlyList<(string Name, byte[] KeyId, byte[] Signature)> Signatures)? Parse(string note)
    {
        var split = note.LastIndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0 || !note.EndsWith('\n'))
        {
            return null;
        }

        var text = note[..(split + 1)];
        var signatures = new List<(string, byte[], byte[])>();
        foreach (var line in note[(split + 2)..].Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!line.StartsWith("\u2014 ", StringComparison.Ordinal))
            {
                return null;
            }

            var fields = line[2..].Split(' ');
            if (fields.Length != 2)
            {
                return null;
            }

            try
            {
                var blob = Convert.FromBase64String(fields[1]);
                if (blob.Length < 5)
                {
                    return null;
                }

                signatures.Add((fields[0], blob[..4], blob[4..]));
            }
            catch (FormatException)
            {
                return null;
            }
        }

        return (text, signatures);
    }
}

/// <summary>An Ed25519 signing key held in memory (the service's, or a witness's in tests and tools).</summary>
public sealed class Ed25519Signer : IDisposable
{
    private readonly Key _key;

    private Ed25519Signer(Key key)
    {
        _key = key;
        PublicKey = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
    }

    /// <summary>The raw 32-byte public key.</summary>
    public byte[] PublicKey { get; }

    /// <summary>A new random key.</summary>
    public static Ed25519Signer Create() =>
        new(Key.Create(SignatureAlgorithm.Ed25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }));

    /// <summary>The key from its 32-byte private seed.</summary>
    public static Ed25519Signer FromSeed(ReadOnlySpan<byte> seed) =>
        new(Key.Import(SignatureAlgorithm.Ed25519, seed, KeyBlobFormat.RawPrivateKey, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }));

    /// <summary>The 32-byte private seed, for keeping the key in a file.</summary>
    public byte[] ExportSeed() => _key.Export(KeyBlobFormat.RawPrivateKey);

    public byte[] Sign(ReadOnlySpan<byte> message) => SignatureAlgorithm.Ed25519.Sign(_key, message);

    public void Dispose() => _key.Dispose();
}
