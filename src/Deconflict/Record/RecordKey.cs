using System.Security.Cryptography;
using Deconflict.Core.Record;

namespace Deconflict.Record;

/// <summary>
/// The service's record identity: the origin (the log's name in its checkpoints) and the Ed25519
/// key that signs its heads. Created on first start and kept beside the database in
/// <c>&lt;database&gt;.record-key</c> (owner read/write only), so a restart signs with the same key;
/// losing the file means a new log identity, which every verifier will notice.
/// </summary>
public sealed class RecordKey : ServiceKey
{
    private RecordKey(string origin, Ed25519Signer signer)
        : base(origin, signer)
    {
    }

    /// <summary>The log's origin line, also the note key name.</summary>
    public string Origin => Name;

    /// <summary>Where the key of the database at <paramref name="databasePath"/> is kept.</summary>
    public static string PathFor(string databasePath) => Path.GetFullPath(databasePath) + ".record-key";

    /// <summary>Loads the key kept for the database, or creates and keeps a new one.</summary>
    public static RecordKey LoadOrCreate(string databasePath)
    {
        // The origin names this log for all time; random so that two deployments never share one.
        var (origin, signer) = KeyFile.LoadOrCreate(PathFor(databasePath), "origin", "record key", () => "deconflict/" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)));
        return new RecordKey(origin, signer);
    }

    /// <summary>The checkpoint text of a head of this log.</summary>
    public string CheckpointText(long size, byte[] root) => SignedNote.CheckpointText(Origin, size, root);

    /// <summary>Whether the head's signature verifies under this key (over its checkpoint text).</summary>
    public bool Verifies(RecordHead head) =>
        SignedNote.Verify(PublicKey, System.Text.Encoding.UTF8.GetBytes(CheckpointText(head.Size, head.RootHash)), head.Signature);

    /// <summary>Signs a head's checkpoint text.</summary>
    public byte[] Sign(long size, byte[] root) => Signer.Sign(System.Text.Encoding.UTF8.GetBytes(CheckpointText(size, root)));
}
