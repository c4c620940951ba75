using System.Diagnostics;
using System.Text.Json.Nodes;
using Deconflict.Tests.Infrastructure;

namespace Deconflict.Tests.Cli;

/// <summary>The `deconflict` client verbs, run as the real executable against a real server.</summary>
public sealed class CliTests
{
    [Fact]
    public async Task Parties_operations_and_conflicts_through_the_command_line()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await Run(server, TestServer.AdminSecret, "party", "add", "blue", "--name", "Coalition CAOC");
        Assert.Equal(0, blue.Exit);
        Assert.Contains("Party blue created.", blue.Out, StringComparison.Ordinal);
        var blueToken = Line(blue.Out, "Token (shown once, keep it safe): ");
        var redToken = Line((await Run(server, TestServer.AdminSecret, "party", "add", "red", "--name", "Hmeimim AOC")).Out, "Token (shown once, keep it safe): ");

        var file = Path.Combine(server.Directory, "cap.geojson");
        await File.WriteAllTextAsync(file, $$"""
            { "type": "Feature",
              "geometry": { "type": "Polygon", "coordinates": [[[38.9, 35.9], [39.1, 35.9], [39.1, 36.05], [38.9, 36.05], [38.9, 35.9]]] },
              "properties": {
                "altitude_lower": { "value": 15000, "reference": "W84", "units": "FT" },
                "altitude_upper": { "value": 25000, "reference": "W84", "units": "FT" },
                "time_start": "{{Bodies.Time(Bodies.T0)}}", "time_end": "{{Bodies.Time(Bodies.T0.AddHours(2))}}",
                "priority": 10, "details": { "callsigns": ["VIPER11"] } } }
            """);
        var first = await Run(server, blueToken, "op", "submit", file);
        Assert.Equal(0, first.Exit);
        Assert.Contains("No conflicts.", first.Out, StringComparison.Ordinal);
        var second = await Run(server, redToken, "op", "submit", file);
        Assert.Contains("1 conflict(s):", second.Out, StringComparison.Ordinal);

        var listed = JsonNode.Parse((await Run(server, redToken, "conflicts", "list", "--json")).Out)!;
        var conflict = Assert.Single(listed["items"]!.AsArray())!;
        Assert.Equal(4572.0, JsonNode.Parse((await Run(server, blueToken, "op", "list", "--json")).Out)!["items"]![0]!["volumes"]![0]!["volume"]!["altitude_lower"]!["value"]!.GetValue<double>(), 6);
        var ack = await Run(server, redToken, "conflicts", "ack", conflict["id"]!.GetValue<string>(), "--note", "seen");
        Assert.Contains("acknowledged by red", ack.Out, StringComparison.Ordinal);

        var blueOp = conflict["b"]!["id"]!.GetValue<string>();
        var cancel = await Run(server, blueToken, "op", "cancel", blueOp);
        Assert.Contains($"Operation {blueOp} cancelled (version 2).", cancel.Out, StringComparison.Ordinal);
        var after = JsonNode.Parse((await Run(server, redToken, "conflicts", "list", "--json")).Out)!;
        Assert.Equal("resolved", after["items"]![0]!["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_line_through_the_command_line()
    {
        await using var server = await TestServer.StartAsync();
        var blueToken = Line((await Run(server, TestServer.AdminSecret, "party", "add", "blue", "--name", "Coalition CAOC")).Out, "Token (shown once, keep it safe): ");
        var redToken = Line((await Run(server, TestServer.AdminSecret, "party", "add", "red", "--name", "Hmeimim AOC")).Out, "Token (shown once, keep it safe): ");

        var sent = await Run(server, blueToken, "line", "send", "--to", "red", "--subject", "Tanker track", "--body", "Moving the tanker track 20 NM north.", "--language", "en", "--ack-within", "300", "--idempotency-key", "k1");
        Assert.True(sent.Exit == 0, sent.Err);
        Assert.Contains("sent to red, acknowledgement due by", sent.Out, StringComparison.Ordinal);
        var again = await Run(server, blueToken, "line", "send", "--to", "red", "--subject", "Tanker track", "--body", "Moving the tanker track 20 NM north.", "--ack-within", "300", "--idempotency-key", "k1", "--json");
        var id = JsonNode.Parse(again.Out)!["id"]!.GetValue<string>();
        Assert.Contains($"Message {id} sent", sent.Out, StringComparison.Ordinal);

        var inbox = await Run(server, redToken, "line", "inbox");
        Assert.Contains(id, inbox.Out, StringComparison.Ordinal);
        Assert.Contains("Tanker track", inbox.Out, StringComparison.Ordinal);
        var ack = await Run(server, redToken, "line", "ack", id, "--by", "Maj. Volkov", "--note", "understood");
        Assert.Equal($"Message {id} acknowledged by Maj. Volkov.", ack.Out.Trim());

        var badRef = await Run(server, blueToken, "line", "send", "--to", "red", "--subject", "s", "--body", "b", "--ref", "conflict");
        Assert.Equal(2, badRef.Exit);
        Assert.Contains("--ref must be kind:id", badRef.Err, StringComparison.Ordinal);
        var unseen = await Run(server, blueToken, "line", "send", "--to", "red", "--subject", "s", "--body", "b", "--ref", "conflict:cf-none");
        Assert.Contains("400 invalid-reference", unseen.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_input_gets_a_clear_message_and_a_non_zero_exit()
    {
        await using var server = await TestServer.StartAsync();
        var token = Line((await Run(server, TestServer.AdminSecret, "party", "add", "blue", "--name", "Blue")).Out, "Token (shown once, keep it safe): ");
        var bad = Path.Combine(server.Directory, "bad.json");
        await File.WriteAllTextAsync(bad, """{ "type": "Feature", "geometry": { "type": "Point", "coordinates": [1, 2] }, "properties": {} }""");

        var missingRadius = await Run(server, token, "op", "submit", bad);
        Assert.Equal(1, missingRadius.Exit);
        Assert.Contains("a Point needs a radius property with units", missingRadius.Err, StringComparison.Ordinal);

        var noFile = await Run(server, token, "op", "submit", Path.Combine(server.Directory, "none.json"));
        Assert.Equal(2, noFile.Exit);
        Assert.Contains("No file", noFile.Err, StringComparison.Ordinal);

        await File.WriteAllTextAsync(bad, """{ "volumes": [ { "volume": { "outline_circle": { "center": { "lat": 1, "lng": 1 }, "radius": { "value": 5, "units": "MI" } } } } ] }""");
        var refused = await Run(server, token, "op", "submit", bad);
        Assert.Equal(1, refused.Exit);
        Assert.Contains("400 unknown-units", refused.Err, StringComparison.Ordinal);

        var forbidden = await Run(server, token, "party", "add", "red", "--name", "Red");
        Assert.Equal(1, forbidden.Exit);
        Assert.Contains("403 forbidden", forbidden.Err, StringComparison.Ordinal);

        var noServer = await Run(null, token, "op", "list");
        Assert.Equal(2, noServer.Exit);
        Assert.Contains("Give --server and --token", noServer.Err, StringComparison.Ordinal);
    }

    private static string Line(string output, string prefix) =>
        output.Split('\n').Single(l => l.StartsWith(prefix, StringComparison.Ordinal))[prefix.Length..].Trim();

    internal static Task<(int Exit, string Out, string Err)> Run(TestServer? server, string token, params string[] args) =>
        RunAt(server?.BaseAddress, token, args);

    /// <summary>Runs the real `deconflict` executable against <paramref name="server"/> and waits for it (killed after 60 s).</summary>
    internal static Task<(int Exit, string Out, string Err)> RunAt(Uri? server, string token, params string[] args) =>
        Execute(Command(server, token, args));

    /// <summary>Starts <paramref name="info"/> (output redirected) and waits for it (killed after 60 s).</summary>
    internal static async Task<(int Exit, string Out, string Err)> Execute(ProcessStartInfo info)
    {
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        try
        {
            await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            p.Kill(entireProcessTree: true);
            throw;
        }

        return (p.ExitCode, await stdout, await stderr);
    }

    /// <summary>The `deconflict` executable with these arguments, its server and token in the environment, output redirected.</summary>
    internal static ProcessStartInfo Command(Uri? server, string token, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("exec");
        info.ArgumentList.Add(typeof(ServerHost).Assembly.Location);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["DECONFLICT_SERVER"] = server?.ToString() ?? string.Empty;
        info.Environment["DECONFLICT_TOKEN"] = token;
        return info;
    }
}
