using System.Globalization;
using System.Text;
using Deconflict.Api;
using Deconflict.Core.Record;
using Deconflict.Service;
using Deconflict.Storage;
using Microsoft.OpenApi;

namespace Deconflict.Record;

public sealed record RecordHeadView(string Origin, long Size, string RootHash, DateTimeOffset Timestamp, string Signature, IReadOnlyList<CosignatureView> Cosignatures);

/// <summary>A witness cosignature: the party, its time (Unix seconds, as signed) and its Ed25519 signature (base64).</summary>
public sealed record CosignatureView(string Party, long Timestamp, string Signature);

/// <summary>A leaf: its hash always (hex); the entry's exact bytes (base64) only where the caller may see them.</summary>
public sealed record RecordItemView(long Index, string LeafHash, string? Entry)
{
    /// <summary>True when the server holds bytes for this leaf that do not hash to it (docs/record.md): absent otherwise.</summary>
    public bool? Damaged { get; init; }
}

/// <summary>A page of leaves; <see cref="Viewer"/> is the caller's party (null for the admin), so a verifier knows which entries its event stream carries.</summary>
public sealed record RecordItemsView(IReadOnlyList<RecordItemView> Items, long Size, string? Viewer, bool SeesEverything);

public sealed record ProofView(IReadOnlyList<string> Hashes);

public sealed record CosignatureBody
{
    public long? Size { get; init; }

    public string? RootHash { get; init; }

    /// <summary>Unix seconds, as in the signed cosignature/v1 message.</summary>
    public long? Timestamp { get; init; }

    /// <summary>Base64 Ed25519 signature over the cosignature/v1 message.</summary>
    public string? Signature { get; init; }
}

public sealed record PartyKeyBody
{
    /// <summary>Base64 of the raw 32-byte Ed25519 public key.</summary>
    public string? PublicKey { get; init; }
}

/// <summary>
/// The record (API.md "Record"): signed heads, the checkpoint and verifier key, entries with
/// per-party visibility, RFC 9162 proofs, witness cosignatures that refuse a split view, and
/// reveals. Hashes are hex; signatures and entry bytes base64.
/// </summary>
public static class RecordEndpoints
{
    public static RouteGroupBuilder MapRecord(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/record").WithTags("Record").RequireToken();

        group.MapGet("/head", (IDeconflictStore store, RecordKey key) =>
            store.LatestHead() is { } head ? Results.Json(View(head, store, key), Json.Options) : Problems.ToResult(new Refusal(RefusalReason.NotFound, "No head is signed yet; try again in a second.")))
            .WithSummary("The newest signed tree head with its cosignatures").WithName("getRecordHead")
            .Produces<RecordHeadView>().Refuses(RefusalReason.NotFound);

        group.MapPost("/head", async (IDeconflictStore store, RecordKey key, RecordHeads heads, HttpContext http) =>
            Results.Json(View(await heads.SignAsync(http.RequestAborted), store, key), Json.Options))
            .WithSummary("Sign a head of the record as it stands now").WithName("signRecordHead")
            .Produces<RecordHeadView>();

        group.MapGet("/checkpoint", (IDeconflictStore store, RecordKey key) =>
            store.LatestHead() is { } head
                ? Results.Text(Checkpoint(head, store, key), "text/plain; charset=utf-8")
                : Problems.ToResult(new Refusal(RefusalReason.NotFound, "No head is signed yet; try again in a second.")))
            .WithSummary("The newest head as a C2SP tlog-checkpoint signed note, with cosignature lines").WithName("getCheckpoint")
            .Produces<string>(StatusCodes.Status200OK, "text/plain").Refuses(RefusalReason.NotFound);

        group.MapGet("/key", (RecordKey key) => Results.Text(key.VerifierKey + "\n", "text/plain; charset=utf-8"))
            .WithSummary("The signed-note verifier key of the record (name+keyhash+base64key)").WithName("getRecordKey")
            .Produces<string>(StatusCodes.Status200OK, "text/plain");

        group.MapGet("/entries", Entries).WithSummary("Leaves [start, end): leaf hashes always, entry bytes where the caller may see them").WithName("listRecordEntries")
            .Produces<RecordItemsView>()
            .WithQuery("start", "The first leaf's index (0 when not given).", JsonSchemaType.Integer)
            .WithQuery("end", "The index after the last leaf (at most start + record.max_entries_per_request of /v1/config; the record's size when not given).", JsonSchemaType.Integer)
            .Refuses(RefusalReason.InvalidParameter, RefusalReason.InvalidRequest);
        group.MapPost("/entries/{index}/reveal", Reveal).WithSummary("Make an entry readable by every party (its actor or the admin)").WithName("revealRecordEntry")
            .Produces<RecordItemView>().Refuses(RefusalReason.InvalidRequest, RefusalReason.Forbidden, RefusalReason.NotFound);
        group.MapGet("/proofs/inclusion", Inclusion).WithSummary("RFC 9162 inclusion proof of leaf ?index= in the tree of ?size= leaves").WithName("getInclusionProof")
            .Produces<ProofView>()
            .WithQuery("index", "The leaf's index.", JsonSchemaType.Integer, required: true)
            .WithQuery("size", "The tree's size (the record's size when not given).", JsonSchemaType.Integer)
            .Refuses(RefusalReason.InvalidParameter);
        group.MapGet("/proofs/consistency", Consistency).WithSummary("RFC 9162 consistency proof between ?from= and ?to= leaves").WithName("getConsistencyProof")
            .Produces<ProofView>()
            .WithQuery("from", "The older tree's size.", JsonSchemaType.Integer, required: true)
            .WithQuery("to", "The newer tree's size (the record's size when not given).", JsonSchemaType.Integer)
            .Refuses(RefusalReason.InvalidParameter);
        group.MapPost("/cosignatures", Cosign).AcceptsJson<CosignatureBody>()
            .WithSummary("A party witnesses a head (C2SP cosignature/v1 with its registered key); refused when inconsistent with its last").WithName("cosignRecordHead")
            .Produces<CosignatureView>(StatusCodes.Status201Created)
            .Refuses(RefusalReason.Forbidden, RefusalReason.InvalidState, RefusalReason.UnknownHead, RefusalReason.InvalidSignature, RefusalReason.SplitView);

        app.MapGroup("/v1/parties").WithTags("Parties").RequireToken()
            .MapPut("/{id}/key", RegisterKey).AcceptsJson<PartyKeyBody>()
            .WithSummary("Register the party's Ed25519 witness key (the party itself or the admin)").WithName("registerPartyKey")
            .Produces<PartyKeyView>().Refuses(RefusalReason.Forbidden, RefusalReason.NotFound);
        return group;
    }

    /// <summary>PUT /v1/parties/{id}/key: a party (or the admin for it) registers its Ed25519 witness key.</summary>
    public static async Task<IResult> RegisterKey(string id, HttpContext http, WriteQueue writes, RecordCommands commands)
    {
        var caller = Authentication.Of(http);
        if (Permissions.SelfOrAdmin(caller, id, "register its key") is { } forbidden)
        {
            return Problems.ToResult(forbidden);
        }

        var body = await http.ReadJson<PartyKeyBody>();
        if (body.Error is { } invalid)
        {
            return Problems.ToResult(invalid);
        }

        var key = RecordBytes.Base64(body.Value!.PublicKey);
        if (key is not { Length: 32 })
        {
            return Problems.ToResult(Refusal.Invalid("public_key must be the base64 of a raw 32-byte Ed25519 public key.", "/public_key"));
        }

        var result = await writes.Submit(caller.PartyId, ctx => commands.RegisterKeyAsync(ctx, caller, id, key));
        return result.Error is { } refused
            ? Problems.ToResult(refused)
            : Results.Json(new PartyKeyView(id, Convert.ToBase64String(result.Value!)), Json.Options);
    }

    private static RecordHeadView View(RecordHead head, IDeconflictStore store, RecordKey key) => new(
        key.Origin,
        head.Size,
        Convert.ToHexStringLower(head.RootHash),
        head.Time,
        Convert.ToBase64String(head.Signature),
        [.. store.CosignaturesOf(head.Size)
            .Where(c => c.RootHash.AsSpan().SequenceEqual(head.RootHash))
            .Select(c => new CosignatureView(c.Party, c.Time.ToUnixTimeSeconds(), Convert.ToBase64String(c.Signature)))]);

    /// <summary>The head as a signed note: checkpoint text, blank line, the service's line, then each witness's cosignature line.</summary>
    public static string Checkpoint(RecordHead head, IDeconflictStore store, RecordKey key)
    {
        var text = key.CheckpointText(head.Size, head.RootHash);
        var note = new StringBuilder(text).Append('\n').Append(SignedNote.SignatureLine(key.Origin, key.KeyId, head.Signature));
        foreach (var c in store.CosignaturesOf(head.Size).Where(c => c.RootHash.AsSpan().SequenceEqual(head.RootHash)))
        {
            if (store.PartyKey(c.Party) is { } partyKey)
            {
                note.Append(SignedNote.CosignatureLine(c.Party, partyKey, c.Time.ToUnixTimeSeconds(), c.Signature));
            }
        }

        return note.ToString();
    }

    private static IResult Entries(HttpContext http, IDeconflictStore store, DeconflictOptions options)
    {
        var caller = Authentication.Of(http);
        var size = store.LastEventSequence();
        var start = Query(http, "start", 0);
        if (start.Error is { } e1)
        {
            return Problems.ToResult(e1);
        }

        var end = Query(http, "end", Math.Min(size, start.Value + options.MaxRecordPage));
        if (end.Error is { } e2)
        {
            return Problems.ToResult(e2);
        }

        if (end.Value < start.Value)
        {
            return Problems.ToResult(Refusal.Invalid($"end ({end.Value}) must not be less than start ({start.Value}).").With("parameter", "end"));
        }

        if (end.Value - start.Value > options.MaxRecordPage)
        {
            return Problems.ToResult(new Refusal(RefusalReason.InvalidParameter, $"At most {options.MaxRecordPage} entries per request; ask for [start, start + {options.MaxRecordPage}).").With("parameter", "end"));
        }

        var items = store.ReadRecord(start.Value, Math.Min(end.Value, size))
            .Select(l => new RecordItemView(l.Index, Convert.ToHexStringLower(l.LeafHash), RecordCommands.MaySee(caller, l) ? Convert.ToBase64String(l.Entry) : null) { Damaged = l.Damaged ? true : null })
            .ToList();
        return Results.Json(new RecordItemsView(items, size, caller.PartyId, caller.SeesEverything), Json.Options);
    }

    private static async Task<IResult> Reveal(string index, HttpContext http, WriteQueue writes, RecordCommands commands)
    {
        var caller = Authentication.Of(http);
        if (!long.TryParse(index, NumberStyles.None, CultureInfo.InvariantCulture, out var i))
        {
            return Problems.ToResult(Refusal.Invalid($"The entry index must be a whole number; '{index}' is not."));
        }

        var result = await writes.Submit(caller.PartyId, ctx => commands.RevealAsync(ctx, caller, i, index));
        if (result.Error is { } refused)
        {
            return Problems.ToResult(refused);
        }

        var leaf = result.Value!;
        return Results.Json(new RecordItemView(i, Convert.ToHexStringLower(leaf.LeafHash), Convert.ToBase64String(leaf.Entry)), Json.Options);
    }

    private static IResult Inclusion(HttpContext http, IDeconflictStore store)
    {
        var size = store.LastEventSequence();
        var index = Query(http, "index", null);
        var treeSize = Query(http, "size", size);
        if ((index.Error ?? treeSize.Error) is { } e)
        {
            return Problems.ToResult(e);
        }

        if (treeSize.Value > size)
        {
            return Problems.ToResult(new Refusal(RefusalReason.InvalidParameter, $"size {treeSize.Value} is beyond the record's size ({size}).").With("parameter", "size"));
        }

        if (index.Value >= treeSize.Value)
        {
            return Problems.ToResult(new Refusal(RefusalReason.InvalidParameter, $"index {index.Value} is not below size {treeSize.Value}.").With("parameter", "index"));
        }

        return Results.Json(new ProofView([.. store.InclusionProof(index.Value, treeSize.Value).Select(Convert.ToHexStringLower)]), Json.Options);
    }

    private static IResult Consistency(HttpContext http, IDeconflictStore store)
    {
        var size = store.LastEventSequence();
        var from = Query(http, "from", null);
        var to = Query(http, "to", size);
        if ((from.Error ?? to.Error) is { } e)
        {
            return Problems.ToResult(e);
        }

        if (to.Value > size)
        {
            return Problems.ToResult(new Refusal(RefusalReason.InvalidParameter, $"to {to.Value} is beyond the record's size ({size}).").With("parameter", "to"));
        }

        if (from.Value > to.Value)
        {
            return Problems.ToResult(new Refusal(RefusalReason.InvalidParameter, $"from {from.Value} must not exceed to {to.Value}.").With("parameter", "from"));
        }

        return Results.Json(new ProofView([.. store.ConsistencyProof(from.Value, to.Value).Select(Convert.ToHexStringLower)]), Json.Options);
    }

    private static async Task<IResult> Cosign(HttpContext http, WriteQueue writes, RecordCommands commands, DeconflictOptions options, TimeProvider time)
    {
        var caller = Authentication.Of(http);
        if (RecordCommands.RequireWitness(caller) is { } forbidden)
        {
            return Problems.ToResult(forbidden);
        }

        var body = await http.ReadJson<CosignatureBody>();
        if (body.Error is { } unreadable)
        {
            return Problems.ToResult(unreadable);
        }

        var draft = CosignatureDraft.Parse(body.Value!, options, time.GetUtcNow());
        if (draft.Error is { } invalid)
        {
            return Problems.ToResult(invalid);
        }

        var result = await writes.Submit(caller.PartyId, ctx => commands.CosignAsync(ctx, caller, draft.Value!));
        if (result.Error is { } refused)
        {
            return Problems.ToResult(refused);
        }

        var c = result.Value!;
        return Results.Json(new CosignatureView(c.Party, c.Time.ToUnixTimeSeconds(), Convert.ToBase64String(c.Signature)), Json.Options, statusCode: 201);
    }

    private static Outcome<long> Query(HttpContext http, string name, long? fallback)
    {
        var text = http.Request.Query[name].ToString();
        if (text.Length == 0)
        {
            return fallback is { } f ? f : new Refusal(RefusalReason.InvalidParameter, $"?{name}= is required.").With("parameter", name);
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v)
            ? v
            : new Refusal(RefusalReason.InvalidParameter, $"?{name}= must be a whole number, not '{text}'.").With("parameter", name);
    }
}
