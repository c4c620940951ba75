using System.Security.Cryptography;
using System.Text;

namespace Deconflict.Core.Record;

/// <summary>
/// The served state replayed from record entries: for every object (and alert side) the latest
/// entry about it and a hash of the state that entry gives (<see cref="RecordSubject"/>). Fed in
/// index order; the served rows must equal it (docs/record.md, "Served state"). Keeps 32 bytes of
/// state per object, not the state, so a replay of a million entries fits in memory.
/// </summary>
public sealed class RecordReplay
{
    private readonly Dictionary<(string Kind, string Id, string? Side), (long Index, byte[]? StateHash)> _latest = [];

    public int Count => _latest.Count;

    /// <summary>Takes the entry at <paramref name="index"/> into the replay.</summary>
    /// <exception cref="System.Text.Json.JsonException">The entry's payload is not JSON.</exception>
    public void Add(long index, RecordEntry entry)
    {
        if (RecordSubject.Of(entry) is { } subject)
        {
            _latest[subject.Key] = (index, subject.State is null ? null : StateHash(subject.State));
        }
    }

    /// <summary>The SHA-256 of a state's UTF-8 text, as the replay keeps it.</summary>
    public static byte[] StateHash(string state) => SHA256.HashData(Encoding.UTF8.GetBytes(state));

    /// <summary>The latest entry about the object and the hash of its state, if the replay saw one.</summary>
    public (long Index, byte[]? StateHash)? Latest((string Kind, string Id, string? Side) key) =>
        _latest.TryGetValue(key, out var found) ? found : null;

    /// <summary>The objects the replay saw that are not among <paramref name="served"/>, by the index of their latest entry.</summary>
    public IEnumerable<(long Index, (string Kind, string Id, string? Side) Key)> Missing(IReadOnlySet<(string Kind, string Id, string? Side)> served) =>
        _latest.Where(kv => !served.Contains(kv.Key)).Select(kv => (kv.Value.Index, kv.Key)).OrderBy(v => v.Index);
}
