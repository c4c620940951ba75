using Deconflict.Core.Record;

namespace Deconflict.Service;

/// <summary>
/// The salts of the writer's record entries. They come from the system's cryptographic
/// generator a few hundred at a time: one call per event cost as much as the entry's SHA-256. Not
/// thread-safe: it belongs to the single writer.
/// </summary>
internal sealed class RecordSalts
{
    private readonly byte[] _salts = new byte[RecordEntry.SaltBytes * 256];
    private int _at = RecordEntry.SaltBytes * 256;

    public string Next()
    {
        if (_at + RecordEntry.SaltBytes > _salts.Length)
        {
            System.Security.Cryptography.RandomNumberGenerator.Fill(_salts);
            _at = 0;
        }

        var salt = System.Buffers.Text.Base64Url.EncodeToString(_salts.AsSpan(_at, RecordEntry.SaltBytes));
        _at += RecordEntry.SaltBytes;
        return salt;
    }
}
