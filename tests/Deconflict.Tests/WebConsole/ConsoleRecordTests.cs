using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Deconflict.Core.Record;
using Deconflict.Record;
using Deconflict.Tests.Infrastructure;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace Deconflict.Tests.WebConsole;

/// <summary>
/// "What you see is what was recorded": the console verifies, in the browser, the service's
/// signature on each checkpoint and its consistency with the last one it verified (kept per server
/// and party in local storage), turns into its alarm state when a check fails, and proves an
/// entry's inclusion in the verified head. The Merkle checks are held to proofs the server's own
/// MerkleTree computes.
/// </summary>
public sealed class ConsoleRecordTests
{
    private const int Timeout = 15_000;

    [Fact]
    public async Task The_record_panel_shows_the_verified_head_and_checks_each_new_one_for_consistency()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        var before = await SignHeadAsync(server);
        await using var browser = await ConsoleBrowser.LaunchAsync();
        await using var console = await browser.OpenAsync(server, ConsoleBrowser.TokenOf(blue));
        await console.Page.ClickAsync("#tab-record");

        await WaitForSizeAsync(console, before.Size);
        Assert.Equal($"{before.Size} entries", await console.Page.InnerTextAsync("#record-size"));
        var origin = before.Origin;
        var keyText = (await (await blue.GetAsync("v1/record/key")).Content.ReadAsStringAsync()).Trim();
        var keyId = keyText.Split('+', 3)[1];
        Assert.Equal($"✓ Verified with {origin} (key {keyId})", await console.Page.InnerTextAsync("#record-signature"));
        Assert.Equal(before.Root, await console.Page.GetAttributeAsync("#record-summary .record-hash", "title"));
        await console.ScreenshotAsync("record");
        var axe = await console.Page.Locator("#panel-record").RunAxe();
        Assert.Empty(axe.Violations.Where(v => v.Impact is "serious" or "critical").Select(v => $"{v.Id}: {v.Help}"));

        // An operation declared: the next head is bigger, and its consistency with the last is checked.
        Assert.Equal(201, (await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(35.5, 35.8)))).Status);
        var after = await SignHeadAsync(server);
        Assert.True(after.Size > before.Size);
        await WaitForSizeAsync(console, after.Size);
        await Expect(console, "#record-consistency", text => text.StartsWith($"From {before.Size} to {after.Size} entries: consistent ✓", StringComparison.Ordinal));

        // What this browser keeps for this server and party: the head it verified last.
        var kept = JsonNode.Parse(await console.Page.EvaluateAsync<string>("localStorage.getItem(`deconflict.record.${location.origin}.blue`)"))!;
        Assert.Equal(keyText, kept["key"]!.GetValue<string>());
        Assert.Equal(after.Size, kept["size"]!.GetValue<long>());
        Assert.Equal(after.Root, kept["root"]!.GetValue<string>());
        Assert.Equal(0, await console.Page.Locator("body.alarm").CountAsync());

        // A later session (the console left while the record grows, then opened again in the same
        // tab) starts from what this browser kept and checks the next head against it.
        await console.Page.GotoAsync("about:blank");
        Assert.Equal(201, (await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(36.5, 35.8)))).Status);
        var later = await SignHeadAsync(server);
        await console.Page.GotoAsync(new Uri(server.BaseAddress, "/").ToString());
        await console.WaitReadyAsync();
        await WaitForSizeAsync(console, later.Size);
        await Expect(console, "#record-consistency", text => text.StartsWith($"From {after.Size} to {later.Size} entries: consistent ✓", StringComparison.Ordinal));
        Assert.Contains($"This page started from the head of {after.Size} entries, root {after.Root[..12]}…", await console.Page.Locator("#record-remembered").TextContentAsync(), StringComparison.Ordinal);
        Assert.Equal(0, await console.Page.Locator("body.alarm").CountAsync());
        console.AssertOnlyOwnOrigin();
        Assert.Empty(console.Errors);
    }

    [Fact]
    public async Task A_signing_key_switched_under_the_running_server_puts_the_console_into_its_alarm_state()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        var before = await SignHeadAsync(server);
        await using var browser = await ConsoleBrowser.LaunchAsync();
        await using var console = await browser.OpenAsync(server, ConsoleBrowser.TokenOf(blue));
        await WaitForSizeAsync(console, before.Size);
        Assert.True(await console.Page.Locator("#alarm").IsHiddenAsync());

        var oldKeyId = Convert.ToHexStringLower(server.Get<RecordKey>().KeyId);
        using var forged = Ed25519Signer.Create();
        server.Get<RecordKey>().ReplaceSignerForTests(forged);
        var newKeyId = Convert.ToHexStringLower(server.Get<RecordKey>().KeyId);
        Assert.Equal(201, (await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(35.5, 35.8)))).Status);
        var after = await SignHeadAsync(server);

        await console.Page.Locator("body.alarm").WaitForAsync(new() { Timeout = Timeout });
        var reason = $"The checkpoint of {after.Size} entries is signed by another key (key id {newKeyId}), not by the record key {oldKeyId} this browser holds.";
        Assert.True(await console.Page.Locator("#alarm").IsVisibleAsync());
        Assert.Equal($"RECORD CHECK FAILED: {reason} What this console shows cannot be trusted. Tell the other parties over an independent channel.", (await console.Page.InnerTextAsync("#alarm")).Trim().TrimStart('⚠').Trim());
        // The panel keeps the last verified head and names the failure.
        Assert.Equal($"{before.Size} entries", await console.Page.Locator("#record-size").TextContentAsync());
        Assert.Equal($"✗ Check failed: {reason}", await console.Page.Locator("#record-signature").TextContentAsync());
        await console.Page.ClickAsync("#tab-record");
        await console.ScreenshotAsync("alarm");

        // A reload (or a later session) compares the served key with the one this browser kept.
        await console.Page.ReloadAsync();
        await console.WaitReadyAsync();
        await console.Page.Locator("body.alarm").WaitForAsync(new() { Timeout = Timeout });
        var keyNow = (await (await blue.GetAsync("v1/record/key")).Content.ReadAsStringAsync()).Trim();
        Assert.Contains($"The record's signing key changed: this browser verified this server's record under {before.Origin}+{oldKeyId}+", await console.Page.InnerTextAsync("#alarm"), StringComparison.Ordinal);
        Assert.Contains($"and the server now gives {keyNow}.", await console.Page.InnerTextAsync("#alarm"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_history_other_than_the_one_this_browser_remembers_raises_the_alarm_after_a_reload()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        var head = await SignHeadAsync(server);
        await using var browser = await ConsoleBrowser.LaunchAsync();
        await using var console = await browser.OpenAsync(server, ConsoleBrowser.TokenOf(blue));
        await WaitForSizeAsync(console, head.Size);

        // What an earlier visit kept: a head of the same size with another root (a rewritten history).
        var other = new string('0', 64);
        await console.Page.EvaluateAsync("other => { const k = `deconflict.record.${location.origin}.blue`; const v = JSON.parse(localStorage.getItem(k)); v.root = other; localStorage.setItem(k, JSON.stringify(v)); }", other);
        await console.Page.ReloadAsync();
        await console.WaitReadyAsync();
        await console.Page.Locator("body.alarm").WaitForAsync(new() { Timeout = Timeout });
        var current = await SignHeadAsync(server);
        Assert.Contains(
            current.Size == head.Size
                ? $"The record was rewritten: the head of {head.Size} entries now has another root hash than the one this browser verified."
                : $"The record's history changed: the head of {current.Size} entries is not consistent with the head of {head.Size} entries this browser verified before.",
            await console.Page.InnerTextAsync("#alarm"),
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_entry_is_shown_with_its_inclusion_proof_checked_against_the_verified_head()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        await using var browser = await ConsoleBrowser.LaunchAsync();
        await using var console = await browser.OpenAsync(server, ConsoleBrowser.TokenOf(blue));
        await console.Page.ClickAsync("#tab-record");

        var declared = await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(35.5, 35.8)));
        Assert.Equal(201, declared.Status);
        var index = declared.Body!["operation"]!["record_index"]!.GetValue<long>();
        var id = declared.Body["operation"]!["id"]!.GetValue<string>();

        // Asked at once: the entry may be beyond the verified head; the view waits for the next one.
        await console.Page.FillAsync("#record-entry-index", index.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await console.Page.PressAsync("#record-entry-index", "Enter");
        await console.Page.Locator(".record-proof[data-state='verified']").WaitForAsync(new() { Timeout = Timeout });
        var size = long.Parse((await console.Page.GetAttributeAsync("#record-size", "data-size"))!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(size > index);
        Assert.Equal($"✓ Recorded as entry {index} of {size}, inclusion verified", (await console.Page.InnerTextAsync(".record-proof-status")).Trim());

        // The entry as the server's own parser reads its bytes.
        var item = (await blue.Get($"v1/record/entries?start={index}&end={index + 1}")).Body!["items"]![0]!;
        var entry = RecordEntry.Parse(Convert.FromBase64String(item["entry"]!.GetValue<string>()))!;
        var shown = await console.Page.Locator(".record-entry dd").AllTextContentsAsync();
        string[] want = [entry.Type, entry.Time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture), entry.Actor ?? "the service", entry.Parties.IsEmpty ? "every party" : string.Join(", ", entry.Parties)];
        Assert.Equal(want, shown);
        Assert.Equal("blue", entry.Actor);
        Assert.Equal("operation", entry.Type);
        Assert.Contains(id, await console.Page.Locator(".record-payload pre").TextContentAsync(), StringComparison.Ordinal);
        Assert.Equal(item["leaf_hash"]!.GetValue<string>(), await console.Page.GetAttributeAsync(".record-leaf .record-hash", "title"));
        var axe = await console.Page.Locator("#panel-record").RunAxe();
        Assert.Empty(axe.Violations.Where(v => v.Impact is "serious" or "critical").Select(v => $"{v.Id}: {v.Help}"));
        Assert.Equal(0, await console.Page.Locator("body.alarm").CountAsync());
        Assert.Empty(console.Errors);
    }

    [Fact]
    public async Task A_witness_cosignature_is_shown_checked_with_the_partys_registered_key()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        using var witness = Ed25519Signer.Create();
        Assert.Equal(200, (await blue.Send(HttpMethod.Put, "v1/parties/blue/key", new { public_key = Convert.ToBase64String(witness.PublicKey) })).Status);
        var head = await SignHeadAsync(server);
        await using var browser = await ConsoleBrowser.LaunchAsync();
        await using var console = await browser.OpenAsync(server, ConsoleBrowser.TokenOf(blue));
        await WaitForSizeAsync(console, head.Size);
        Assert.Equal("No party has cosigned the verified head.", await console.Page.Locator("#record-witnesses").TextContentAsync());

        // Blue witnesses the head; the cosignature event brings the check of its line in the checkpoint.
        var time = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var signature = witness.Sign(SignedNote.CosignedMessage(SignedNote.CheckpointText(head.Origin, head.Size, Convert.FromHexString(head.Root)), time));
        Assert.Equal(201, (await blue.Post("v1/record/cosignatures", new { size = head.Size, root_hash = head.Root, timestamp = time, signature = Convert.ToBase64String(signature) })).Status);
        var at = DateTimeOffset.FromUnixTimeSeconds(time).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        await Expect(console, "#record-witnesses", text => text == $"BLUE operations centre witnessed {head.Size} entries at {at}: ✓ cosignature verified");
        Assert.Equal(0, await console.Page.Locator("body.alarm").CountAsync());
    }

    [Fact]
    public async Task An_inclusion_proof_altered_on_its_way_raises_the_alarm()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        await using var browser = await ConsoleBrowser.LaunchAsync();
        await using var console = await browser.OpenAsync(server, ConsoleBrowser.TokenOf(blue));
        await console.Page.ClickAsync("#tab-record");
        var declared = await blue.Post("v1/operations", Bodies.Operation(Bodies.Square(35.5, 35.8)));
        var index = declared.Body!["operation"]!["record_index"]!.GetValue<long>();

        // Between the server and the page, the proof's first hash gets one bit flipped.
        await console.Page.RouteAsync("**/v1/record/proofs/inclusion*", async route =>
        {
            var response = await route.FetchAsync();
            var proof = JsonNode.Parse(await response.TextAsync())!;
            var first = proof["hashes"]![0]!.GetValue<string>();
            proof["hashes"]![0] = first[..^1] + (first[^1] == '0' ? '1' : '0');
            await route.FulfillAsync(new() { Response = response, Body = proof.ToJsonString() });
        });
        await console.Page.FillAsync("#record-entry-index", index.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await console.Page.PressAsync("#record-entry-index", "Enter");

        await console.Page.Locator("body.alarm").WaitForAsync(new() { Timeout = Timeout });
        Assert.Equal("failed", await console.Page.GetAttributeAsync(".record-proof", "data-state"));
        var size = await console.Page.GetAttributeAsync("#record-size", "data-size");
        var reason = $"Entry {index} is not in the verified head of {size} entries: its inclusion proof does not lead to the signed root.";
        Assert.Equal($"✗ Inclusion check failed: {reason}", (await console.Page.InnerTextAsync(".record-proof-status")).Trim());
        Assert.Contains(reason, await console.Page.InnerTextAsync("#alarm"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_browsers_Merkle_and_key_checks_agree_with_the_servers_and_refuse_corrupted_proofs()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        await using var browser = await ConsoleBrowser.LaunchAsync();
        await using var console = await browser.OpenAsync(server, ConsoleBrowser.TokenOf(blue));

        var cases = new JsonArray();
        var expected = new List<bool>();
        void Add(JsonObject c, bool valid)
        {
            cases.Add(c);
            expected.Add(valid);
        }

        var leafChecks = new JsonArray();
        foreach (var size in new[] { 1, 2, 3, 7, 8, 100 })
        {
            var tree = new MemoryMerkleNodes();
            var leaves = new List<byte[]>();
            for (var i = 0; i < size; i++)
            {
                var bytes = Encoding.UTF8.GetBytes($"{{\"entry\":{i}}}");
                var leaf = MerkleTree.LeafHash(bytes);
                leaves.Add(leaf);
                tree.Append(leaf);
                if (size == 8)
                {
                    leafChecks.Add(new JsonArray(Convert.ToBase64String(bytes), Convert.ToHexStringLower(leaf)));
                }
            }

            var root = tree.Root();
            foreach (var index in Enumerable.Range(0, size).Where(i => size < 10 || i is 0 or 1 or 37 or 63 or 64 or 98 or 99))
            {
                var proof = MerkleTree.InclusionProof(index, size, tree);
                Add(Inclusion(index, size, leaves[index], proof, root), true);
                Add(Inclusion(index, size, leaves[index], proof, Corrupt(root)), false);
                Add(Inclusion(index, size, Corrupt(leaves[index]), proof, root), false);
                if (proof.Count > 0)
                {
                    Add(Inclusion(index, size, leaves[index], [.. proof.Take(proof.Count - 1), Corrupt(proof[^1])], root), false);
                    Add(Inclusion(index, size, leaves[index], [.. proof.Take(proof.Count - 1)], root), false);
                }

                // Another size or index with the same path: whatever RFC 9162's algorithm says, as the server's verifier says it.
                Add(Inclusion(index, size + 1, leaves[index], proof, root), MerkleTree.VerifyInclusion(index, size + 1, leaves[index], proof, root));
                Add(Inclusion((index + 1) % size, size, leaves[index], proof, root), MerkleTree.VerifyInclusion((index + 1) % size, size, leaves[index], proof, root));
            }

            foreach (var from in Enumerable.Range(1, size).Where(f => size < 10 || f is 1 or 2 or 3 or 7 or 8 or 63 or 64 or 65 or 99 or 100))
            {
                var old = tree.Root(from);
                var proof = MerkleTree.ConsistencyProof(from, size, tree);
                Add(Consistency(from, size, old, root, proof), true);
                Add(Consistency(from, size, Corrupt(old), root, proof), false);
                Add(Consistency(from, size, old, Corrupt(root), proof), false);
                if (proof.Count > 0)
                {
                    Add(Consistency(from, size, old, root, [Corrupt(proof[0]), .. proof.Skip(1)]), false);
                }

                if (from < size)
                {
                    // A tree that shrinks is never consistent.
                    Add(Consistency(size, from, root, old, proof), false);
                }
            }
        }

        const string Run = """
            async cases => {
              const r = window.__deconflictRecord;
              const out = [];
              for (const c of cases) {
                out.push(c.kind === 'inclusion'
                  ? await r.verifyInclusion(c.index, c.size, c.leaf, c.proof, c.root)
                  : await r.verifyConsistency(c.from, c.to, c.fromRoot, c.toRoot, c.proof));
              }
              return out;
            }
            """;
        var results = await console.Page.EvaluateAsync<bool[]>($"({Run})({cases.ToJsonString()})");
        Assert.Equal(expected.Count, results.Length);
        for (var i = 0; i < results.Length; i++)
        {
            Assert.True(expected[i] == results[i], $"case {i} ({cases[i]!.ToJsonString()}) should be {(expected[i] ? "accepted" : "refused")}");
        }

        Assert.True(expected.Count(v => v) > 60 && expected.Count(v => !v) > 150, $"{expected.Count} cases");

        // Leaf hashes: SHA-256(0x00 || entry) as the server computes them.
        var leafResults = await console.Page.EvaluateAsync<string[]>(
            $"(async pairs => {{ const out = []; for (const p of pairs) out.push(await window.__deconflictRecord.leafHash(p[0])); return out; }})({leafChecks.ToJsonString()})");
        Assert.Equal(leafChecks.Select(p => p![1]!.GetValue<string>()), leafResults);

        // The verifier key: its name and key hash read, and a key whose hash does not match refused.
        var key = server.Get<RecordKey>();
        var parsed = await console.Page.EvaluateAsync<JsonElement>("k => window.__deconflictRecord.parseVerifierKey(k)", key.VerifierKey);
        Assert.Equal(key.Origin, parsed.GetProperty("name").GetString());
        Assert.Equal(Convert.ToHexStringLower(key.KeyId), parsed.GetProperty("keyId").GetString());
        var parts = key.VerifierKey.Split('+', 3);
        var wrongHash = $"{parts[0]}+{(parts[1] == "00000000" ? "00000001" : "00000000")}+{parts[2]}";
        var refusal = await console.Page.EvaluateAsync<string>("k => window.__deconflictRecord.parseVerifierKey(k).then(() => 'accepted', e => e.message)", wrongHash);
        Assert.StartsWith("The record key's hash (", refusal, StringComparison.Ordinal);
        Assert.Empty(console.Errors);
    }

    private static JsonObject Inclusion(long index, long size, byte[] leaf, IReadOnlyList<byte[]> proof, byte[] root) => new()
    {
        ["kind"] = "inclusion",
        ["index"] = index,
        ["size"] = size,
        ["leaf"] = Convert.ToHexStringLower(leaf),
        ["proof"] = new JsonArray([.. proof.Select(p => (JsonNode)Convert.ToHexStringLower(p))]),
        ["root"] = Convert.ToHexStringLower(root),
    };

    private static JsonObject Consistency(long from, long to, byte[] fromRoot, byte[] toRoot, IReadOnlyList<byte[]> proof) => new()
    {
        ["kind"] = "consistency",
        ["from"] = from,
        ["to"] = to,
        ["fromRoot"] = Convert.ToHexStringLower(fromRoot),
        ["toRoot"] = Convert.ToHexStringLower(toRoot),
        ["proof"] = new JsonArray([.. proof.Select(p => (JsonNode)Convert.ToHexStringLower(p))]),
    };

    /// <summary>The hash with one bit of its last byte flipped.</summary>
    private static byte[] Corrupt(byte[] hash)
    {
        var copy = (byte[])hash.Clone();
        copy[^1] ^= 0x01;
        return copy;
    }

    private sealed record Head(long Size, string Root, string Origin);

    /// <summary>Signs a head of the record as it stands (POST /v1/record/head), as the next record-head event carries it.</summary>
    private static async Task<Head> SignHeadAsync(TestServer server)
    {
        var head = (await server.Admin.Post("v1/record/head", null)).Body!;
        return new Head(head["size"]!.GetValue<long>(), head["root_hash"]!.GetValue<string>(), head["origin"]!.GetValue<string>());
    }

    private static async Task WaitForSizeAsync(ConsolePage console, long size)
    {
        try
        {
            await console.Page.Locator($"#record-size[data-size='{size}']").WaitForAsync(new() { State = WaitForSelectorState.Attached, Timeout = Timeout });
        }
        catch (TimeoutException)
        {
            Assert.Fail($"The record panel never showed a verified head of {size} entries; it shows '{await console.Page.Locator("#record-summary").TextContentAsync()}', requests [{string.Join(", ", console.Requests)}], errors: [{string.Join("; ", console.Errors)}]");
        }
    }

    private static async Task Expect(ConsolePage console, string selector, Func<string, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(Timeout);
        var text = string.Empty;
        while (DateTime.UtcNow < deadline)
        {
            text = await console.Page.Locator(selector).TextContentAsync() ?? string.Empty;
            if (condition(text))
            {
                return;
            }

            await console.Page.WaitForTimeoutAsync(100);
        }

        Assert.Fail($"{selector} never met the condition; it shows '{text}'");
    }
}
