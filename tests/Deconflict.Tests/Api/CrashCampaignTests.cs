using Deconflict.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace Deconflict.Tests.Api;

/// <summary>
/// The crash campaign (<see cref="CrashCampaign"/>): SIGKILL cycles of a real server process under
/// mixed concurrent load, each followed by a restart, a check that every acknowledged write is
/// there, and `record verify`'s checks for each party. Three cycles in the default run; the full
/// campaign of 20 cycles is in the slow set (dotnet test --filter "Category=Slow").
/// </summary>
public sealed class CrashCampaignTests(ITestOutputHelper output)
{
    [Fact]
    public Task Three_SIGKILL_cycles_under_mixed_load_lose_no_acknowledged_write_and_the_record_verifies() =>
        Campaign(cycles: 3, writesPerCycle: 150);

    [Fact]
    [Trait("Category", "Slow")]
    public Task Twenty_SIGKILL_cycles_under_mixed_load_lose_no_acknowledged_write_and_the_record_verifies() =>
        Campaign(cycles: 20, writesPerCycle: 400);

    private async Task Campaign(int cycles, int writesPerCycle)
    {
        var directory = Path.Combine(Path.GetTempPath(), "deconflict-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            var figures = await new CrashCampaign(directory, output.WriteLine).RunAsync(cycles, writesPerCycle);
            output.WriteLine($"{figures.Cycles} SIGKILL cycles, {figures.AcknowledgedWrites:N0} acknowledged writes (all there after every restart), {figures.TrackBatches:N0} track batches, a record of {figures.RecordEntries:N0} entries verified by both parties each cycle, in {figures.Elapsed.TotalSeconds:F0} s.");
            Assert.Equal(cycles, figures.Cycles);
            Assert.True(figures.AcknowledgedWrites >= (long)cycles * writesPerCycle);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }
}
