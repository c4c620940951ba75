using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Deconflict.Tests.Cli;
using Deconflict.Tests.Infrastructure;

namespace Deconflict.Tests.Fuzz;

/// <summary>
/// Every input that crashed a fuzzing harness (fuzz/README.md), kept in Fuzz/Crashes as the fuzzer
/// wrote it and replayed where it does harm: through the real server for a body (a 400 problem,
/// not a 500) and through the real executable for a file (one plain line and exit 1, not a stack
/// trace). The file name starts with the harness that found it.
/// </summary>
public sealed class FuzzCrashTests
{
    public static TheoryData<string> Crashes(string harness) =>
        [.. Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Fuzz", "Crashes"), harness + "-*").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(Crashes), "volume4d")]
    public async Task An_operation_body_that_crashed_the_volume4d_harness_is_a_400_problem_and_stores_nothing(string name)
    {
        // The crashing bodies' volumes are in 2030: the server's clock is set a month before them,
        // so the refusal is the one the input provoked, not the time window's.
        await using var server = await TestServer.StartAsync(time: new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2029, 12, 1, 0, 0, 0, TimeSpan.Zero)));
        var blue = await server.AddPartyAsync("blue");
        var before = server.OpenStore().LastEventSequence();
        using var content = new ByteArrayContent(await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "Fuzz", "Crashes", name)));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await blue.PostAsync("v1/operations", content);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(400, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("invalid-request", problem["code"]!.GetValue<string>());
        Assert.Equal("/details", problem["pointer"]!.GetValue<string>());
        Assert.Equal(before, server.OpenStore().LastEventSequence());
    }

    [Theory]
    [MemberData(nameof(Crashes), "geojson")]
    public async Task A_file_that_crashed_the_geojson_harness_is_refused_by_op_submit_in_one_plain_line(string name)
    {
        await using var server = await TestServer.StartAsync();
        var created = await server.Admin.Post("v1/parties", new { id = "blue", name = "Blue" });
        var token = created.Body!["token"]!.GetValue<string>();
        var result = await CliTests.Run(server, token, "op", "submit", Path.Combine(AppContext.BaseDirectory, "Fuzz", "Crashes", name));
        AssertOnePlainLine(result);
        Assert.Empty((await server.Admin.Get("v1/operations")).Body!["items"]!.AsArray());
    }

    [Theory]
    [MemberData(nameof(Crashes), "record-export")]
    public async Task A_file_that_crashed_the_record_export_harness_is_refused_by_record_verify_in_one_plain_line(string name)
    {
        // The key the export names, given as if from outside, so that the key check passes and the
        // whole file is read (without --key the verb refuses before opening the file, and with
        // another key at the header: either way this test would prove nothing). A header too
        // broken to name one gets a well-formed key of its own.
        var path = Path.Combine(AppContext.BaseDirectory, "Fuzz", "Crashes", name);
        var named = System.Text.RegularExpressions.Regex.Match(File.ReadLines(path).FirstOrDefault() ?? string.Empty, "\"verifier_key\":\"([^\"]+)\"");
        using var signer = Deconflict.Core.Record.Ed25519Signer.Create();
        var key = named.Success
            ? System.Text.RegularExpressions.Regex.Unescape(named.Groups[1].Value)
            : Deconflict.Core.Record.SignedNote.VerifierKey("deconflict/0011223344556677", signer.PublicKey);
        var result = await CliTests.Run(null, "", "record", "verify", "--export", path, "--key", key);
        AssertOnePlainLine(result);
    }

    /// <summary>Exit 1 and one line on standard error, saying what is wrong, with no exception or stack trace.</summary>
    private static void AssertOnePlainLine((int Exit, string Out, string Err) result)
    {
        Assert.True(result.Exit == 1, $"exit {result.Exit}: {result.Out}{result.Err}");
        var error = result.Err.TrimEnd();
        Assert.False(error.Contains('\n', StringComparison.Ordinal), $"more than one line: {error}");
        Assert.DoesNotContain("Exception", error, StringComparison.Ordinal);
        Assert.NotEmpty(error);
    }
}
