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
    public string VerifierKey { get; private set; }

    public byte[] KeyId { get; private set; }

    protected Ed25519Signer Signer { get; private set; }

    /// <summary>
    /// Test hook: signs from now on with another key under the same name, as a host that swapped
    /// the key under a running server would; verifiers must notice (the console's tamper test).
    /// </summary>
    internal void ReplaceSignerForTests(Ed25519Signer signer)
    {
        Signer = signer;
        VerifierKey = SignedNote.VerifierKey(Name, signer.PublicKey);
        KeyId = SignedNote.KeyId(Name, SignedNote.Ed25519Algorithm, signer.PublicKey);
    }

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
