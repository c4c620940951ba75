using Deconflict.Core.Record;

namespace Deconflict.Record;

/// <summary>
/// An Ed25519 key of the service kept beside the database (KeyFile), with its name and the forms
/// verifiers take it in. Each purpose has its own key and subclass (RecordKey signs checkpoints,
/// WebhookKey webhook bodies), so that no signature made for one can pass for the other.
/// </summary>
public abstract class ServiceKey : IDisposable
{
    protected ServiceKey(string name, Ed25519Signer signer)
    {
        ArgumentNullException.ThrowIfNull(signer);
        Name = name;
        Signer = signer;
        VerifierKey = SignedNote.VerifierKey(name, signer.PublicKey);
        KeyId = SignedNote.KeyId(name, SignedNote.Ed25519Algorithm, signer.PublicKey);
    }

    /// <summary>The key's name in its verifier key.</summary>
    public string Name { get; }

    public byte[] PublicKey => Signer.PublicKey;

    /// <summary>name+keyhash+base64key, as C2SP signed-note verifiers take it.</summary>
    public string VerifierKey { get; }

    public byte[] KeyId { get; }

    protected Ed25519Signer Signer { get; }

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            Signer.Dispose();
        }
    }
}
