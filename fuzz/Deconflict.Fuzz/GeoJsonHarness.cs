using System.Text;
using System.Text.Json.Nodes;
using Deconflict.Cli;

namespace Deconflict.Fuzz;

/// <summary>
/// A file given to `op submit`, read as the CLI reads it. Refusal: a <see cref="CliException"/>
/// (one plain line); the body the CLI would send then goes through the server's parse.
/// </summary>
public static class GeoJsonHarness
{
    public static void Run(byte[] input)
    {
        JsonObject body;
        try
        {
            body = GeoJsonInput.ToOperationBody(GeoJsonInput.Read("the file", input));
        }
        catch (CliException)
        {
            return;
        }

        Volume4DHarness.Run(Encoding.UTF8.GetBytes(body.ToJsonString()));
    }
}
