using Deconflict.Cli;

namespace Deconflict.Fuzz;

/// <summary>
/// A file given to `record verify --export`, read and verified as the CLI does. Refusal: a
/// <see cref="CliException"/> (one plain line); a record that does not verify is a named failure
/// in the verifier's result.
/// </summary>
public static class RecordExportHarness
{
    private static readonly string Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"deconflict-fuzz-export-{Environment.ProcessId}.jsonl");

    public static void Run(byte[] input)
    {
        File.WriteAllBytes(Path, input);
        try
        {
            _ = new RecordVerifier(TextWriter.Null).Verify(RecordSources.FromExport(Path), null);
        }
        catch (CliException)
        {
        }
        finally
        {
            File.Delete(Path);
        }
    }
}
