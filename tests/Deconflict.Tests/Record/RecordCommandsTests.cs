using Deconflict.Core.Model;
using Deconflict.Core.Record;
using Deconflict.Record;
using Deconflict.Service;
using Deconflict.Storage.Sqlite;
using Deconflict.Tests.Service;
using static Deconflict.Tests.Service.Callers;

namespace Deconflict.Tests.Record;

/// <summary>The record's commands on a real writer: what each refuses, in the domain's words, and what each stores.</summary>
public sealed class RecordCommandsTests
{
    [Fact]
    public async Task Registering_a_key_stores_and_records_it_for_an_existing_party_only()
    {
        await using var r = await Fixture.StartAsync();
        var missing = await r.Submit(ctx => r.Commands.RegisterKeyAsync(ctx, Admin, "ghost", r.Witness.PublicKey));
        Assert.Equal(RefusalReason.NotFound, missing.Error!.Reason);
        Assert.Equal("No party 'ghost' that you may see.", missing.Error.Detail);

        var other = await r.Submit(ctx => r.Commands.RegisterKeyAsync(ctx, Red, "blue", r.Witness.PublicKey));
        Assert.Equal(RefusalReason.Forbidden, other.Error!.Reason);
        Assert.Equal("Only party 'blue' or the admin may register its key.", other.Error.Detail);
        Assert.Equal(0, r.Store.LastEventSequence());

        var registered = await r.Submit(ctx => r.Commands.RegisterKeyAsync(ctx, Blue, "blue", r.Witness.PublicKey));
        Assert.Equal(r.Witness.PublicKey, registered.Value);
        Assert.Equal(r.Witness.PublicKey, r.Store.PartyKey("blue"));
        Assert.Equal(1, r.Store.LastEventSequence());
    }

    [Fact]
    public async Task A_cosignature_needs_a_registered_key_and_a_head_the_service_signed()
    {
        await using var r = await Fixture.StartAsync();
        var draft = new CosignatureDraft(5, new byte[MerkleTree.HashSize], DateTimeOffset.UtcNow.ToUnixTimeSeconds(), new byte[64]);

        var keyless = await r.Submit(ctx => r.Commands.CosignAsync(ctx, Blue, draft));
        Assert.Equal(RefusalReason.InvalidState, keyless.Error!.Reason);
        Assert.Equal("Party 'blue' has no witness key: register one with PUT /v1/parties/blue/key first.", keyless.Error.Detail);

        await r.RegisterWitnessKey();
        var unsigned = await r.Submit(ctx => r.Commands.CosignAsync(ctx, Blue, draft));
        Assert.Equal(RefusalReason.UnknownHead, unsigned.Error!.Reason);
        Assert.Equal($"The service signed no head of size 5 with root {new string('0', 64)}.", unsigned.Error.Detail);

        var admin = await r.Submit(ctx => r.Commands.CosignAsync(ctx, Admin, draft));
        Assert.Equal(RefusalReason.Forbidden, admin.Error!.Reason);
        Assert.Equal("Cosignatures are a party's: the admin has no witness key.", admin.Error.Detail);
        Assert.Empty(r.Store.CosignaturesOf(5));
    }

    [Fact]
    public async Task A_verified_cosignature_is_stored_once_and_a_smaller_head_after_it_is_a_split_view()
    {
        await using var r = await Fixture.StartAsync();
        await r.RegisterWitnessKey();
        var first = await r.SignHead();
        await r.RegisterWitnessKey();
        var second = await r.SignHead();
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        var forged = await r.Submit(ctx => r.Commands.CosignAsync(ctx, Blue, r.Draft(second, now) with { Timestamp = now - 1 }));
        Assert.Equal(RefusalReason.InvalidSignature, forged.Error!.Reason);
        Assert.Equal($"The signature does not verify with party 'blue''s registered key over cosignature/v1 of that head at time {now - 1}.", forged.Error.Detail);

        var cosigned = await r.Submit(ctx => r.Commands.CosignAsync(ctx, Blue, r.Draft(second, now)));
        var stored = Assert.Single(r.Store.CosignaturesOf(second.Size));
        Assert.Equal(("blue", second.Size, now), (stored.Party, stored.Size, stored.Time.ToUnixTimeSeconds()));
        Assert.Equal(second.RootHash, stored.RootHash);
        Assert.Equal(stored.Signature, cosigned.Value!.Signature);
        var entries = r.Store.LastEventSequence();

        // The same head again returns the cosignature kept and records nothing.
        var again = await r.Submit(ctx => r.Commands.CosignAsync(ctx, Blue, r.Draft(second, now + 1)));
        Assert.Equal(now, again.Value!.Time.ToUnixTimeSeconds());
        Assert.Equal(entries, r.Store.LastEventSequence());

        var older = await r.Submit(ctx => r.Commands.CosignAsync(ctx, Blue, r.Draft(first, now)));
        Assert.Equal(RefusalReason.SplitView, older.Error!.Reason);
        Assert.Equal($"Party 'blue' already witnessed a larger head (size {second.Size}); a smaller one cannot follow it.", older.Error.Detail);
        Assert.Equal(second.Size, older.Error.Facts!["last_size"]);
        Assert.Empty(r.Store.CosignaturesOf(first.Size));
    }

    [Fact]
    public async Task Only_an_entry_s_actor_or_the_admin_reveals_it_and_only_an_entry_one_may_see()
    {
        await using var r = await Fixture.StartAsync();
        await r.RegisterWitnessKey();

        var missing = await r.Submit(ctx => r.Commands.RevealAsync(ctx, Blue, 7, "007"));
        Assert.Equal(RefusalReason.NotFound, missing.Error!.Reason);
        Assert.Equal("No record entry '007' that you may see.", missing.Error.Detail);

        var other = await r.Submit(ctx => r.Commands.RevealAsync(ctx, Red, 0, "0"));
        Assert.Equal(RefusalReason.Forbidden, other.Error!.Reason);
        Assert.Equal("Only the entry's actor ('blue') or the admin may reveal entry 0.", other.Error.Detail);
        Assert.False(r.Store.ReadRecord(0, 1)[0].Revealed);

        var revealed = await r.Submit(ctx => r.Commands.RevealAsync(ctx, Blue, 0, "0"));
        Assert.Equal(r.Store.ReadRecord(0, 1)[0].LeafHash, revealed.Value!.LeafHash);
        Assert.True(r.Store.ReadRecord(0, 1)[0].Revealed);
        Assert.Equal(2, r.Store.LastEventSequence());
    }

    /// <summary>A writer with parties blue and red (no record entries yet), the service's record key and blue's witness key.</summary>
    private sealed class Fixture : IAsyncDisposable
    {
        private readonly SqliteWriter _writer;

        private Fixture(SqliteWriter writer)
        {
            _writer = writer;
            Key = RecordKey.Create(Path.Combine(writer.Folder, RecordKey.FileName));
            Commands = new RecordCommands(writer.Store, Key);
        }

        public Ed25519Signer Witness { get; } = Ed25519Signer.Create();

        public RecordKey Key { get; }

        public RecordCommands Commands { get; }

        public SqliteStore Store => _writer.Store;

        public static async Task<Fixture> StartAsync()
        {
            var f = new Fixture(new SqliteWriter());
            await f._writer.SeedAsync(async ctx =>
            {
                await ctx.Store.Parties.InsertAsync(new Party("blue", "Blue", PartyRole.Party, ctx.Now));
                await ctx.Store.Parties.InsertAsync(new Party("red", "Red", PartyRole.Party, ctx.Now));
            });
            return f;
        }

        public Task<Outcome<T>> Submit<T>(Func<WriteContext, ValueTask<Outcome<T>>> write) => _writer.Queue.Submit(null, write);

        public async Task RegisterWitnessKey() =>
            Assert.Null((await Submit(ctx => Commands.RegisterKeyAsync(ctx, Blue, "blue", Witness.PublicKey))).Error);

        /// <summary>Signs a head of the record as it stands, as the service does.</summary>
        public async Task<RecordHead> SignHead() => (await Submit<RecordHead>(async ctx =>
        {
            var (size, root) = ctx.Record.Head();
            var head = new RecordHead(size, root, ctx.Now, Key.Sign(size, root));
            await ctx.Store.Record.InsertHeadAsync(head);
            return head;
        })).Value!;

        /// <summary>The witness's cosignature/v1 of the head at <paramref name="timestamp"/>.</summary>
        public CosignatureDraft Draft(RecordHead head, long timestamp) => new(
            head.Size,
            head.RootHash,
            timestamp,
            Witness.Sign(SignedNote.CosignedMessage(Key.CheckpointText(head.Size, head.RootHash), timestamp)));

        public async ValueTask DisposeAsync()
        {
            Witness.Dispose();
            Key.Dispose();
            await _writer.DisposeAsync();
        }
    }
}
