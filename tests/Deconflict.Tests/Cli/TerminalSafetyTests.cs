using System.Text.Json.Nodes;
using Deconflict.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace Deconflict.Tests.Cli;

/// <summary>
/// Issue 15, finding 9: another party's text reaches the terminal escaped. The API now refuses
/// control characters, so the hostile text is put into the database directly, as text stored
/// before the rule would be.
/// </summary>
public sealed class TerminalSafetyTests
{
    // ESC [2J clears the screen, NUL and BS hide what follows, U+202E reverses it, a newline forges a line.
    private const string Hostile = "Tanker\u001b[2J\u0000\b\u202eFROM: admin\nOK";

    [Fact]
    public async Task Text_stored_before_the_rules_is_printed_escaped_by_line_inbox()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await Token(server, "blue");
        var red = await Token(server, "red");
        var sent = await server.Client(blue).Post("v1/line/messages", new JsonObject { ["to"] = new JsonArray("red"), ["subject"] = "Tanker", ["body"] = "b" });
        Assert.Equal(201, sent.Status);

        using (var db = new SqliteConnection($"Data Source={server.DatabasePath}"))
        {
            db.Open();
            using var edit = db.CreateCommand();
            edit.CommandText = "UPDATE line_messages SET doc = json_set(doc, '$.subject', $subject)";
            edit.Parameters.AddWithValue("$subject", Hostile);
            Assert.Equal(1, edit.ExecuteNonQuery());
        }

        SqliteConnection.ClearAllPools();
        var inbox = await CliTests.Run(server, red, "line", "inbox");
        Assert.True(inbox.Exit == 0, inbox.Err);
        Assert.Contains(@"Tanker\u001B[2J\u0000\u0008\u202EFROM: admin\u000AOK", inbox.Out, StringComparison.Ordinal);
        AssertNothingUnsafe(inbox.Out);

        // The JSON printed stays JSON with the same text, and holds nothing a terminal acts on.
        var json = await CliTests.Run(server, red, "line", "inbox", "--json");
        Assert.True(json.Exit == 0, json.Err);
        AssertNothingUnsafe(json.Out);
        Assert.Equal(Hostile, JsonNode.Parse(json.Out)!["items"]![0]!["subject"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_file_with_a_member_given_twice_is_refused_by_op_submit_before_anything_is_sent()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await Token(server, "blue");
        var file = Path.Combine(server.Directory, "twice.geojson");
        var feature = new JsonObject
        {
            ["type"] = "Feature",
            ["geometry"] = new JsonObject { ["type"] = "Point", ["coordinates"] = new JsonArray(38.0, 35.0) },
            ["properties"] = new JsonObject
            {
                ["radius"] = new JsonObject { ["value"] = 5000, ["units"] = "M" },
                ["altitude_lower"] = new JsonObject { ["value"] = 1000, ["reference"] = "W84", ["units"] = "M" },
                ["altitude_upper"] = new JsonObject { ["value"] = 2000, ["reference"] = "W84", ["units"] = "M" },
                ["time_start"] = Bodies.Time(Bodies.T0),
                ["time_end"] = Bodies.Time(Bodies.T0.AddHours(1)),
                ["priority"] = 999,
            },
        }.ToJsonString();
        await File.WriteAllTextAsync(file, feature.Replace("\"priority\":999", "\"priority\":999,\"priority\":0", StringComparison.Ordinal));

        var submitted = await CliTests.Run(server, blue, "op", "submit", file);
        Assert.Equal(1, submitted.Exit);
        Assert.Equal("twice.geojson: The member \"priority\" appears twice in one object; give each member once. (duplicate-member at /properties/priority)", submitted.Err.Trim());
        Assert.Empty((await server.Client(blue).Get("v1/operations")).Body!["items"]!.AsArray());
    }

    private static void AssertNothingUnsafe(string output)
    {
        var bad = output.Where(c => (char.IsControl(c) && c is not ('\n' or '\r' or '\t')) || c is (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069')).ToList();
        Assert.True(bad.Count == 0, $"The output holds {string.Join(", ", bad.Select(c => $"U+{(int)c:X4}"))}.");
    }

    private static async Task<string> Token(TestServer server, string id)
    {
        var created = await server.Admin.Post("v1/parties", new JsonObject { ["id"] = id, ["name"] = id.ToUpperInvariant() });
        return created.Body!["token"]!.GetValue<string>();
    }
}
