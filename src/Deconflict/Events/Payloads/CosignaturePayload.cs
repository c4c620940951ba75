namespace Deconflict.Events.Payloads;

/// <summary>A <c>record-cosignature</c> event: the witness, the head's size and root (hex), its time (Unix seconds) and signature (base64).</summary>
public sealed record CosignaturePayload(string Party, long Size, string RootHash, long Timestamp, string Signature);
