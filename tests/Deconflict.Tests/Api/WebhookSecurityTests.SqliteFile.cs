using Deconflict.Tests.Infrastructure;

namespace Deconflict.Tests.Api;

/// <summary>
/// Where a single node keeps its keys (beside the SQLite file): not compiled into
/// tests/Deconflict.Tests.Postgres, whose servers take theirs from a keys directory.
/// </summary>
public sealed partial class WebhookSecurityTests
{
    [Fact]
    public async Task The_webhook_key_is_kept_beside_the_database_apart_from_the_record_key()
    {
        await using var server = await TestServer.StartAsync(Options);
        Assert.True(File.Exists(server.DatabasePath + ".webhook-key"));
        Assert.True(File.Exists(server.DatabasePath + ".record-key"));
    }
}
