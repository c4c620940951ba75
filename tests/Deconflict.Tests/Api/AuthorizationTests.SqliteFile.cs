using Deconflict.Tests.Infrastructure;

namespace Deconflict.Tests.Api;

/// <summary>
/// What the SQLite file holds, read byte for byte: not compiled into tests/Deconflict.Tests.Postgres,
/// which runs the rest of this class against PostgreSQL.
/// </summary>
public sealed partial class AuthorizationTests
{
    [Fact]
    public async Task Tokens_are_stored_only_as_hashes()
    {
        await using var server = await TestServer.StartAsync();
        var created = await server.Admin.Post("v1/parties", new { id = "blue", name = "Blue" });
        var secret = created.Body!["token"]!.GetValue<string>();
        await server.DisposeAsyncKeepFiles();
        var bytes = await File.ReadAllBytesAsync(server.DatabasePath);
        var text = System.Text.Encoding.UTF8.GetString(bytes);
        Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        Assert.DoesNotContain(secret["dcf_".Length..], text, StringComparison.Ordinal);
    }
}
