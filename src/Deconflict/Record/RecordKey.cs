using System.Security.Cryptography;
using Deconflict.Core.Record;

namespace Deconflict.Record;

/// <summary>
/// The service's record identity: the origin (the log's name in its checkpoints) and the Ed25519
/// key that signs its heads. On a single node on SQLite it is created on first start and kept
/// beside the database in <c>&lt;database&gt;.record-key</c>; given a keys directory (a cluster
/// must have one) it is <c>record.key</c> there, created once by <c>deconflict keys create</c>
/// (<see cref="ServiceKeys"/>). Owner read/write only, so a restart signs with the same key;
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

    /// <summary>The key's file in a keys directory.</summary>
    public const string FileName = "record.key";

    /// <summary>Loads the key kept for the database, or creates and keeps a new one.</summary>
    public static RecordKey LoadOrCreate(string databasePath)
    {
        var (origin, signer) = KeyFile.LoadOrCreate(PathFor(databasePath), NameField, What, NewOrigin);
        return new RecordKey(origin, signer);
    }

    /// <summary>Loads the key kept at <paramref name="path"/> (never creates one).</summary>
    public static RecordKey Load(string path)
    {
        var (origin, signer) = KeyFile.Load(path, NameField, What);
        return new RecordKey(origin, signer);
    }

    /// <summary>Creates a new key at <paramref name="path"/>, which must not exist.</summary>
    public static RecordKey Create(string path)
    {
        var (origin, signer) = KeyFile.Create(path, NameField, NewOrigin);
        return new RecordKey(origin, signer);
    }

    private const string NameField = "origin";

    private const string What = "record key";

    // The origin names this log for all time; random so that two deployments never share one.
    private static string NewOrigin() => "deconflict/" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    /// <summary>The checkpoint text of a head of this log.</summary>
    public string CheckpointText(long size, byte[] root) => SignedNote.CheckpointText(Origin, size, root);

    /// <summary>Whether the head's signature verifies under this key (over its checkpoint text).</summary>
    public bool Verifies(RecordHead head) =>
        SignedNote.Verify(PublicKey, System.Text.Encoding.UTF8.GetBytes(CheckpointText(head.Size, head.RootHash)), head.Signature);

    /// <summary>Signs a head's checkpoint text.</summary>
    public byte[] Sign(long size, byte[] root) => Signer.Sign(System.Text.Encoding.UTF8.GetBytes(CheckpointText(size, root)));
}
