using System.Globalization;
using System.Security.Cryptography;
using Deconflict.Core.Record;

namespace Deconflict.Line;

/// <summary>
/// The Ed25519 key that signs escalation webhook bodies, and nothing else: the record's key signs
/// checkpoints only, so no webhook body can ever be passed off as a signed head, nor the reverse.
/// Created on first start and kept beside the database in <c>&lt;database&gt;.webhook-key</c> (owner
/// read/write only), like the record key. Its verifier key (signed-note form,
/// name+keyhash+base64key) is served by GET /v1/line/webhook-key.
/// </summary>
public sealed class WebhookKey : IDisposable
{
    private readonly Ed25519Signer _signer;

    private WebhookKey(string name, Ed25519Signer signer)
    {
        Name = name;
        _signer = signer;
        VerifierKey = SignedNote.VerifierKey(name, signer.PublicKey);
        KeyId = SignedNote.KeyId(name, SignedNote.Ed25519Algorithm, signer.PublicKey);
    }

    /// <summary>The key's name in its verifier key.</summary>
    public string Name { get; }

    public byte[] PublicKey => _signer.PublicKey;

    /// <summary>name+keyhash+base64key, as C2SP signed-note verifiers take it.</summary>
    public string VerifierKey { get; }

    public byte[] KeyId { get; }

    /// <summary>Where the webhook key of the database at <paramref name="databasePath"/> is kept.</summary>
    public static string PathFor(string databasePath) => Path.GetFullPath(databasePath) + ".webhook-key";

    /// <summary>Loads the key kept for the database, or creates and keeps a new one.</summary>
    public static WebhookKey LoadOrCreate(string databasePath)
    {
        var path = PathFor(databasePath);
        if (File.Exists(path))
        {
            var fields = File.ReadAllLines(path)
                .Select(l => l.Split(' ', 2))
                .Where(f => f.Length == 2)
                .ToDictionary(f => f[0], f => f[1], StringComparer.Ordinal);
            if (!fields.TryGetValue("name", out var name) || !fields.TryGetValue("ed25519-seed", out var seed))
            {
                throw new InvalidDataException($"The webhook key file {path} is damaged: it needs 'name' and 'ed25519-seed' lines.");
            }

            return new WebhookKey(name, Ed25519Signer.FromSeed(Convert.FromBase64String(seed)));
        }

        var created = new WebhookKey("deconflict-webhooks/" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)), Ed25519Signer.Create());
        var text = string.Create(CultureInfo.InvariantCulture, $"name {created.Name}\ned25519-seed {Convert.ToBase64String(created._signer.ExportSeed())}\n");
        var temporary = path + ".tmp";
        File.Delete(temporary);
        var fileOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            // Only the service's own user may read the private key.
            fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, fileOptions))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(text);
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path);
        return created;
    }

    /// <summary>The Deconflict-Signature header value for a webhook body: the key id and the Ed25519 signature of the exact bytes.</summary>
    public string SignatureHeader(byte[] body) => $"keyid={Convert.ToHexStringLower(KeyId)},ed25519={Convert.ToBase64String(_signer.Sign(body))}";

    public void Dispose() => _signer.Dispose();
}
