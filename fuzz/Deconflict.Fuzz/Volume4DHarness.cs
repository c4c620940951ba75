using System.Text.Json;
using Deconflict.Api;
using Deconflict.Core.Model;
using Deconflict.Core.Volumes;
using Deconflict.Declarations;
using Deconflict.Service;

namespace Deconflict.Fuzz;

/// <summary>
/// An operation body as POST /v1/operations reads it. Refusals: a <see cref="JsonException"/>
/// from the serialiser (HttpExtensions.ReadJson makes it a 400) and an error in the parse's
/// outcome (a 400 with a code and a pointer).
/// </summary>
public static class Volume4DHarness
{
    private static readonly DeconflictOptions Options = new();

    // The service clock the harness reads bodies at: the seed corpus's volumes (2030) lie inside
    // the accepted time window around it, so the fuzzer explores the geometry, not the window.
    private static readonly DateTimeOffset Now = new(2029, 12, 1, 0, 0, 0, TimeSpan.Zero);

    public static void Run(byte[] input)
    {
        // The server's whole-body rules (no member twice, no control character) run first, as in ReadJson.
        if (JsonBodyRules.Check(input) is not null)
        {
            return;
        }

        OperationBody? body;
        try
        {
            body = JsonSerializer.Deserialize<OperationBody>(input, Json.Options);
        }
        catch (JsonException)
        {
            return;
        }

        if (body is null)
        {
            return;
        }

        var outcome = DeclarationDraft.Parse(DeclarationKind.Operation, body, Options, Now);
        if (!outcome.Ok)
        {
            return;
        }

        // What the service stores and serves is the volume's own F3548 form: it must read back.
        foreach (var volume in outcome.Value!.Volumes)
        {
            var again = VolumeParser.Parse(VolumeParser.ToF3548(volume), Options.Geometry);
            if (again.Error is { } e)
            {
                throw new InvalidOperationException($"An accepted volume does not parse from its own F3548 form: {e.Code} at {e.Pointer}: {e.Detail}");
            }
        }
    }
}
