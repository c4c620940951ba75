using System.Text;
using Deconflict.Core.Record;

namespace Deconflict.Core.Tests.Record;

/// <summary>C2SP signed notes against the Go sumdb/note reference vector, and the checkpoint and cosignature formats.</summary>
public class SignedNoteTests
{
    // golang.org/x/mod/sumdb/note: the package documentation's example key, text and signature.
    private const string PeterKey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    private const string PeterNote =
        "If you think cryptography is the answer to your problem,\n" +
        "then you don't know what your problem is.\n" +
        "\n" +
        "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

    [Fact]
    public void The_go_reference_note_parses_and_verifies()
    {
        var (name, key) = SignedNote.ParseVerifierKey(PeterKey)!.Value;
        Assert.Equal("PeterNeumann", name);
        Assert.Equal(PeterKey, SignedNote.VerifierKey(name, key));

        var (text, signatures) = SignedNote.Parse(PeterNote)!.Value;
        Assert.Equal("If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n", text);
        var line = Assert.Single(signatures);
        Assert.Equal("PeterNeumann", line.Name);
        Assert.Equal("c74f20a3", Convert.ToHexStringLower(line.KeyId));
        Assert.True(SignedNote.Verify(key, Encoding.UTF8.GetBytes(text), line.Signature));
        Assert.False(SignedNote.Verify(key, Encoding.UTF8.GetBytes(text + " "), line.Signature));
    }

    [Theory]
    [InlineData("TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6", true)] // base64 with a '+' (transparency-dev/formats tests)
    [InlineData("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", false)] // wrong key hash
    [InlineData("PeterNeumann+c74f20a3+BRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", false)] // not Ed25519
    [InlineData("PeterNeumann+c74f20a3", false)]
    [InlineData("", false)]
    public void Verifier_keys_are_parsed_strictly(string key, bool valid) =>
        Assert.Equal(valid, SignedNote.ParseVerifierKey(key) is not null);

    [Fact]
    public void A_checkpoint_and_its_cosignature_have_the_c2sp_form_and_verify()
    {
        using var log = Ed25519Signer.Create();
        using var witness = Ed25519Signer.Create();
        var root = MerkleTree.EmptyRoot();
        var text = SignedNote.CheckpointText("example.com/log", 0, root);
        Assert.Equal("example.com/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", text);

        var note = text + "\n" +
            SignedNote.SignatureLine("example.com/log", SignedNote.KeyId("example.com/log", SignedNote.Ed25519Algorithm, log.PublicKey), log.Sign(Encoding.UTF8.GetBytes(text))) +
            SignedNote.CosignatureLine("witness", witness.PublicKey, 1_700_000_000, witness.Sign(SignedNote.CosignedMessage(text, 1_700_000_000)));
        var (parsedText, signatures) = SignedNote.Parse(note)!.Value;
        Assert.Equal(text, parsedText);
        Assert.Equal(2, signatures.Count);
        Assert.True(SignedNote.Verify(log.PublicKey, Encoding.UTF8.GetBytes(parsedText), signatures[0].Signature));
        var cosignature = signatures[1].Signature;
        Assert.Equal(72, cosignature.Length); // 8-byte time, 64-byte signature
        Assert.Equal(1_700_000_000, System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(cosignature.AsSpan(0, 8)));
        Assert.Equal("cosignature/v1\ntime 1700000000\nexample.com/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", Encoding.UTF8.GetString(SignedNote.CosignedMessage(text, 1_700_000_000)));
        Assert.True(SignedNote.Verify(witness.PublicKey, SignedNote.CosignedMessage(parsedText, 1_700_000_000), cosignature.AsSpan(8)));
        Assert.Null(SignedNote.Parse("no blank line\n"));
    }

    [Fact]
    public void A_key_survives_export_of_its_seed()
    {
        using var key = Ed25519Signer.Create();
        using var again = Ed25519Signer.FromSeed(key.ExportSeed());
        Assert.Equal(key.PublicKey, again.PublicKey);
        var message = "head"u8.ToArray();
        Assert.True(SignedNote.Verify(key.PublicKey, message, again.Sign(message)));
    }
}
