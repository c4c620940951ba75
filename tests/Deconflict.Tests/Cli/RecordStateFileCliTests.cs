using Deconflict.Core.Record;

namespace Deconflict.Tests.Cli;

/// <summary>
/// `deconflict record verify --state FILE` as the real executable, given a state file that is not
/// what an earlier verify wrote: one plain line on stderr naming the file and what is wrong, exit 1,
/// no stack trace, and the file left as it was. The state is read before any server is contacted,
/// so these runs need none.
/// </summary>
public sealed class RecordStateFileCliTests
{
    private const string Root = "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d";
    private const string Remedy = "restore it from a copy you trust, or remove it to verify afresh (without the check against the last run).";
    private static readonly string Key = SignedNote.VerifierKey("deconflict/test", [.. Enumerable.Range(1, 32).Select(i => (byte)i)]);

    [Fact]
    public Task A_state_file_that_is_not_json_is_named_in_one_line() =>
        Refused("{\n  \"size\": ,\n}", "is not JSON (at line 2)");

    [Fact]
    public Task An_empty_state_file_is_named_in_one_line() =>
        Refused(string.Empty, "is empty");

    [Fact]
    public Task A_state_file_of_the_wrong_shape_is_named_in_one_line() =>
        Refused("[1, 2, 3]", "is not a JSON object");

    [Fact]
    public Task A_state_file_without_a_member_is_named_in_one_line() =>
        Refused($$"""{"verifierKey": "{{Key}}", "size": 3}""", "has no rootHash");

    [Fact]
    public Task A_state_file_whose_size_is_not_a_count_is_named_in_one_line() =>
        Refused($$"""{"verifierKey": "{{Key}}", "size": "three", "rootHash": "{{Root}}"}""", "has a size that is not a whole number of entries, 0 or more");

    [Fact]
    public Task A_state_file_whose_key_is_not_a_string_is_named_in_one_line() =>
        Refused($$"""{"verifierKey": 5, "size": 3, "rootHash": "{{Root}}"}""", "has a verifierKey that is not a signed-note verifier key (name+keyhash+base64key)");

    [Fact]
    public Task A_state_file_whose_key_is_not_a_verifier_key_is_named_in_one_line() =>
        Refused($$"""{"verifierKey": "deconflict/test+00000000+AAAA", "size": 3, "rootHash": "{{Root}}"}""", "has a verifierKey that is not a signed-note verifier key (name+keyhash+base64key)");

    [Fact]
    public Task A_state_file_whose_root_is_not_hex_is_named_in_one_line() =>
        Refused($$"""{"verifierKey": "{{Key}}", "size": 3, "rootHash": "{{new string('z', 64)}}"}""", "has a rootHash that is not 64 hexadecimal digits (a SHA-256 root)");

    [Fact]
    public Task A_state_file_whose_root_is_short_is_named_in_one_line() =>
        Refused($$"""{"verifierKey": "{{Key}}", "size": 3, "rootHash": "{{Root[..62]}}"}""", "has a rootHash that is not 64 hexadecimal digits (a SHA-256 root)");

    private static async Task Refused(string content, string what)
    {
        var directory = Path.Combine(Path.GetTempPath(), "deconflict-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            var state = Path.Combine(directory, "state.json");
            await File.WriteAllTextAsync(state, content);
            var export = Path.Combine(directory, "absent.export.jsonl");

            foreach (var args in new[] { new[] { "record", "verify", "--state", state }, ["record", "verify", "--export", export, "--state", state] })
            {
                var run = await CliTests.Run(null, string.Empty, args);
                Assert.True(run.Exit == 1, $"{run.Exit}: {run.Out}{run.Err}");
                Assert.Equal($"The state file {state} {what}: {Remedy}\n", run.Err);
                Assert.DoesNotContain("   at ", run.Out + run.Err, StringComparison.Ordinal);
                Assert.DoesNotContain("System.", run.Out + run.Err, StringComparison.Ordinal);
                Assert.DoesNotContain("Exception", run.Out + run.Err, StringComparison.Ordinal);
                Assert.Equal(content, await File.ReadAllTextAsync(state));
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
