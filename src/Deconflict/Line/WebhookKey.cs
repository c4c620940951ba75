using System.Security.Cryptography;
using Deconflict.Core.Record;
using Deconflict.Record;

namespace Deconflict.Line;

/// <summary>
/// The Ed25519 key that signs escalation webhook bodies, and nothing else: the record's key signs
/// checkpoints only, so no webhook body can ever be passed off as a signed head, nor the reverse.
/// Created on first start and kept beside the database in <c>&lt;database&gt;.webhook-key</c> (owner
/// read/write only), like the record key. Its verifier key (signed-note form,
/// name+keyhash+base64key) is served by GET /v1/line/webhook-key.
/// </summary>
public sealed class WebhookKey : ServiceKey
{
    private WebhookKey(string name, Ed25519Signer signer)
        : base(name, signer)
    {
    }

    /// <summary>Where the webhook key of the database at <paramref name="databasePath"/> is kept.</summary>
    public static string PathFor(string databasePath) => Path.GetFullPath(databasePath) + ".webhook-key";

    /// <summary>Loads the key kept for the database, or creates and keeps a new one.</summary>
    public static WebhookKey LoadOrCreate(string databasePath)
    {
        var (name, signer) = KeyFile.LoadOrCreate(PathFor(databasePath), "name", "webhook key", () => "deconflict-webhooks/" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)));
        return new WebhookKey(name, signer);
    }

    /// <summary>The Deconflict-Signature header value for a webhook body: the key id and the Ed25519 signature of the exact bytes.</summary>
    public string SignatureHeader(byte[] body) => $"keyid={Convert.ToHexStringLower(KeyId)},ed25519={Convert.ToBase64String(Signer.Sign(body))}";
}
