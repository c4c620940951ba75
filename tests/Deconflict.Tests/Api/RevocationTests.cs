using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Deconflict.Api;
using Deconflict.Core.Model;
using Deconflict.Tests.Infrastructure;

namespace Deconflict.Tests.Api;

/// <summary>
/// Revoking a token, or a whole party's access, ends at once every stream and request in flight
/// that the token authenticated: an open event stream gets no more bytes and its connection closes,
/// and a line message sent to the party afterwards is not marked delivered on its behalf.
/// </summary>
public sealed class RevocationTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_revoked_tokens_open_stream_ends_and_a_message_sent_afterwards_is_not_delivered()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        var (redSecret, redTokenId) = await CreatePartyAsync(server, "red");
        using var stream = await OpenStreamAsync(server.Client(redSecret));

        Assert.Equal(204, (await server.Admin.Send(HttpMethod.Delete, $"v1/parties/red/tokens/{redTokenId}")).Status);
        var messageId = await SendPrivateMessageAsync(blue, "red");

        var (read, ended) = await ReadToEndAsync(stream);
        Assert.True(ended, $"the stream is still open after the revocation; it sent: {read}");
        Assert.Equal(string.Empty, read);
        await AssertNotDeliveredAsync(server, messageId, "red");
        (await server.Client(redSecret).Get("v1/config")).AssertProblem(401, "unauthorized");
    }

    [Fact]
    public async Task Revoking_a_party_ends_the_streams_of_all_its_tokens_and_records_each_revocation()
    {
        await using var server = await TestServer.StartAsync();
        var blue = await server.AddPartyAsync("blue");
        var (firstSecret, firstId) = await CreatePartyAsync(server, "red");
        var second = await server.Admin.Post("v1/parties/red/tokens", null);
        var (secondSecret, secondId) = (second.Body!["token"]!.GetValue<string>(), second.Body["token_id"]!.GetValue<string>());
        using var firstStream = await OpenStreamAsync(server.Client(firstSecret));
        using var secondStream = await OpenStreamAsync(server.Client(secondSecret));

        (await blue.Send(HttpMethod.Delete, "v1/parties/red/tokens")).AssertProblem(403, "forbidden");
        (await server.Admin.Send(HttpMethod.Delete, "v1/parties/nobody/tokens")).AssertProblem(404, "not-found");
        var revoked = await server.Admin.Send(HttpMethod.Delete, "v1/parties/red/tokens");
        Assert.Equal(200, revoked.Status);
        Assert.Equal("red", revoked.Body!["party"]!.GetValue<string>());
        Assert.Equal([firstId, secondId], revoked.Body["revoked"]!.AsArray().Select(n => n!.GetValue<string>()));

        var messageId = await SendPrivateMessageAsync(blue, "red");
        foreach (var stream in new[] { firstStream, secondStream })
        {
            var (read, ended) = await ReadToEndAsync(stream);
            Assert.True(ended, $"a stream of the revoked party is still open; it sent: {read}");
            Assert.Equal(string.Empty, read);
        }

        await AssertNotDeliveredAsync(server, messageId, "red");
        (await server.Client(firstSecret).Get("v1/config")).AssertProblem(401, "unauthorized");
        (await server.Client(secondSecret).Get("v1/config")).AssertProblem(401, "unauthorized");
        Assert.Equal(200, (await blue.Get("v1/config")).Status);
        var store = server.OpenStore();
        Assert.All(store.TokensOf("red"), t => Assert.NotNull(t.RevokedAt));
        var recorded = store.ReadEvents(0, new Caller("red", PartyRole.Party, "t"), 100)
            .Select(e => JsonNode.Parse(e.PayloadJson)!)
            .Where(p => p["action"]?.GetValue<string>() == "token-revoked")
            .Select(p => p["token_id"]!.GetValue<string>());
        Assert.Equal([firstId, secondId], recorded);

        // Nothing left to revoke: the party's revocation changes nothing more.
        var again = await server.Admin.Send(HttpMethod.Delete, "v1/parties/red/tokens");
        Assert.Equal(200, again.Status);
        Assert.Empty(again.Body!["revoked"]!.AsArray());
    }

    [Fact]
    public async Task A_request_in_flight_with_a_revoked_token_is_ended_unanswered_and_changes_nothing()
    {
        await using var server = await TestServer.StartAsync();
        var (redSecret, redTokenId) = await CreatePartyAsync(server, "red");
        var body = Encoding.UTF8.GetBytes(Bodies.Operation(Bodies.Square(35.5, 35.8)).ToJsonString());
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.BaseAddress.Host, server.BaseAddress.Port);
        var net = tcp.GetStream();
        var head = $"POST /v1/operations HTTP/1.1\r\nHost: {server.BaseAddress.Authority}\r\nAuthorization: Bearer {redSecret}\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n";
        await net.WriteAsync(Encoding.ASCII.GetBytes(head));
        await net.WriteAsync(body.AsMemory(0, 10));
        await net.FlushAsync();

        // The request is authenticated and waits for the rest of its body.
        var live = server.Get<LiveRequests>();
        using (var wait = new CancellationTokenSource(Deadline))
        {
            while (live.Count(redTokenId) == 0)
            {
                await Task.Delay(20, wait.Token);
            }
        }

        Assert.Equal(204, (await server.Admin.Send(HttpMethod.Delete, $"v1/parties/red/tokens/{redTokenId}")).Status);
        try
        {
            await net.WriteAsync(body.AsMemory(10));
            await net.FlushAsync();
        }
        catch (IOException)
        {
            // The connection is closed already.
        }

        var (answer, ended) = await ReadToEndAsync(net);
        Assert.True(ended, $"the revoked token's request is still open; it answered: {answer}");
        Assert.Equal(string.Empty, answer);
        Assert.Equal(0, live.Count(redTokenId));
        Assert.Empty(server.OpenStore().ListDeclarations(new Deconflict.Storage.DeclarationQuery(DeclarationKind.Operation)).Items);
    }

    [Fact]
    public async Task The_cli_revokes_one_token_or_every_token_of_a_party()
    {
        await using var server = await TestServer.StartAsync();
        var (firstSecret, firstId) = await CreatePartyAsync(server, "red");
        var second = await server.Admin.Post("v1/parties/red/tokens", null);
        var (secondSecret, secondId) = (second.Body!["token"]!.GetValue<string>(), second.Body["token_id"]!.GetValue<string>());
        var third = await server.Admin.Post("v1/parties/red/tokens", null);
        var thirdId = third.Body!["token_id"]!.GetValue<string>();

        var one = await Cli.CliTests.Run(server, TestServer.AdminSecret, "party", "revoke", "red", "--token-id", firstId);
        Assert.Equal((0, $"Token {firstId} of party red revoked."), (one.Exit, one.Out.Trim()));
        (await server.Client(firstSecret).Get("v1/config")).AssertProblem(401, "unauthorized");
        Assert.Equal(200, (await server.Client(secondSecret).Get("v1/config")).Status);

        var all = await Cli.CliTests.Run(server, TestServer.AdminSecret, "party", "revoke", "red");
        Assert.Equal((0, $"Revoked 2 token(s) of party red: {secondId}, {thirdId}."), (all.Exit, all.Out.Trim()));
        (await server.Client(secondSecret).Get("v1/config")).AssertProblem(401, "unauthorized");
        var none = await Cli.CliTests.Run(server, TestServer.AdminSecret, "party", "revoke", "red");
        Assert.Equal((0, "Party red had no valid token."), (none.Exit, none.Out.Trim()));
        var unknown = await Cli.CliTests.Run(server, TestServer.AdminSecret, "party", "revoke", "nobody");
        Assert.Equal(1, unknown.Exit);
        Assert.Contains("nobody", unknown.Err, StringComparison.Ordinal);
    }

    private static async Task<(string Secret, string TokenId)> CreatePartyAsync(TestServer server, string id)
    {
        var created = await server.Admin.Post("v1/parties", new { id, name = id.ToUpperInvariant() });
        Assert.Equal(201, created.Status);
        return (created.Body!["token"]!.GetValue<string>(), created.Body["token_id"]!.GetValue<string>());
    }

    private static async Task<string> SendPrivateMessageAsync(HttpClient from, string to)
    {
        var sent = await from.Post("v1/line/messages", new JsonObject { ["to"] = new JsonArray(to), ["subject"] = "Tanker track moved", ["body"] = "Our tanker track moves 20 NM north at 1200Z." });
        Assert.Equal(201, sent.Status);
        return sent.Body!["id"]!.GetValue<string>();
    }

    private static async Task AssertNotDeliveredAsync(TestServer server, string messageId, string party)
    {
        // The message is in the store, so any delivery of it on the revoked stream's behalf was
        // submitted before this barrier write and is committed by the time it answers.
        await server.AddPartyAsync("barrier");
        var message = server.OpenStore().GetMessage(messageId)!;
        Assert.Null(message.Receipts[party].DeliveredAt);
    }

    /// <summary>Opens GET /v1/events and reads its opening lines.</summary>
    private static async Task<Stream> OpenStreamAsync(HttpClient client)
    {
        var response = await client.GetAsync("v1/events", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(200, (int)response.StatusCode);
        var stream = await response.Content.ReadAsStreamAsync();
        var opening = new StringBuilder();
        var buffer = new byte[256];
        using var cts = new CancellationTokenSource(Deadline);
        while (!opening.ToString().Contains("\n\n", StringComparison.Ordinal))
        {
            var n = await stream.ReadAsync(buffer, cts.Token);
            Assert.NotEqual(0, n);
            opening.Append(Encoding.UTF8.GetString(buffer, 0, n));
        }

        Assert.Equal("retry: 2000\n\n", opening.ToString());
        return stream;
    }

    /// <summary>Reads until the peer ends or resets the connection (ended) or the deadline passes (still open).</summary>
    private static async Task<(string Read, bool Ended)> ReadToEndAsync(Stream stream)
    {
        var read = new StringBuilder();
        var buffer = new byte[4096];
        using var cts = new CancellationTokenSource(Deadline);
        try
        {
            while (true)
            {
                var n = await stream.ReadAsync(buffer, cts.Token);
                if (n == 0)
                {
                    return (read.ToString(), true);
                }

                read.Append(Encoding.UTF8.GetString(buffer, 0, n));
            }
        }
        catch (OperationCanceledException)
        {
            return (read.ToString(), false);
        }
        catch (IOException)
        {
            return (read.ToString(), true);
        }
    }
}
