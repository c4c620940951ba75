using System.Security.Cryptography;
using Deconflict.Core.Record;
using Deconflict.Record;

namespace Deconflict.Line;

/// <summary>
/// The Ed25519 key that signs escalation webhook bodies, and nothing else: the record's key signs
/// checkpoints only, so no webhook body can ever be passed off as a signed head, nor the reverse.
/// Kept like the record key: beside a SQLite database in <c>&lt;database&gt;.webhook-key</c>, or
/// <c>webhook.key</c> in the keys directory (owner read/write only). Its verifier key (signed-note form,
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

    /// <summary>The key's file in a keys directory.</summary>
    public const string FileName = "webhook.key";

    private const string NameField = "name";

    private const string What = "webhook key";

    /// <summary>Loads the key kept for the database, or creates and keeps a new one.</summary>
    public static WebhookKey LoadOrCreate(string databasePath)
    {
        var (name, signer) = KeyFile.LoadOrCreate(PathFor(databasePath), NameField, What, NewName);
        return new WebhookKey(name, signer);
    }

    /// <summary>Loads the key kept at <paramref name="path"/> (never creates one).</summary>
    public static WebhookKey Load(string path)
    {
        var (name, signer) = KeyFile.Load(path, NameField, What);
        return new WebhookKey(name, signer);
    }

    /// <summary>Creates a new key at <paramref name="path"/>, which must not exist.</summary>
    public static WebhookKey Create(string path)
    {
        var (name, signer) = KeyFile.Create(path, NameField, NewName);
        return new WebhookKey(name, signer);
    }

    private static string NewName() => "deconflict-webhooks/" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    /// <summary>The Deconflict-Signature header value for a webhook body: the key id and the Ed25519 signature of the exact bytes.</summary>
    public string SignatureHeader(byte[] body) => $"keyid={Convert.ToHexStringLower(KeyId)},ed25519={Convert.ToBase64String(Signer.Sign(body))}";
}
