using System.CommandLine;
using System.Text.Json.Nodes;

namespace Deconflict.Cli;

/// <summary>`deconflict op`: operations.</summary>
public static partial class CliApp
{
    private static Command OperationCommands(ClientOptions o)
    {
        var file = new Argument<FileInfo>("file") { Description = "F3548 operation body, or a GeoJSON Feature/FeatureCollection" };
        var submit = new Command("submit", "Declare an operation from a file; prints its conflicts") { file }
            .WithExamples("deconflict op submit docs/examples/raqqa-cap.geojson --server http://127.0.0.1:8080 --token $TOKEN");
        submit.SetAction(parse => o.Run(parse, async api =>
        {
            var path = parse.GetValue(file)!;
            if (!path.Exists)
            {
                throw new CliException($"No file {path.FullName}.");
            }

            var input = GeoJsonInput.Read(path.Name, await File.ReadAllBytesAsync(path.FullName));
            JsonNode? body;
            try
            {
                (body, _) = await api.Send(HttpMethod.Post, "v1/operations", GeoJsonInput.ToOperationBody(input));
            }
            catch (CliException refused)
            {
                // The server's pointers are into the converted body: name the places in the user's file.
                throw new CliException(GeoJsonInput.InFile(input, refused.Message));
            }

            var op = body!["operation"]!;
            var conflicts = body["conflicts"]!.AsArray();
            var text = $"Operation {op["id"]} stored (version {op["version"]}, {op["state"]}).";
            text += conflicts.Count == 0 ? " No conflicts." : $"\n{conflicts.Count} conflict(s):\n" + ConflictTable(conflicts);
            return (body, text);
        }));

        var state = new Option<string?>("--state") { Description = "planned, active, ended or cancelled" };
        var party = new Option<string?>("--party") { Description = "Only this party's operations" };
        var list = new Command("list", "List operations") { state, party };
        list.SetAction(parse => o.Run(parse, async api =>
        {
            var query = Query(("state", parse.GetValue(state)), ("party", parse.GetValue(party)));
            var (body, _) = await api.Send(HttpMethod.Get, "v1/operations" + query);
            return (body, Table(body!["items"]!.AsArray(), ("ID", "id"), ("PARTY", "party"), ("VERSION", "version"), ("STATE", "state"), ("PRIORITY", "priority")));
        }));

        var id = new Argument<string>("id") { Description = "Operation id" };
        var cancel = new Command("cancel", "Cancel an operation (at its current version)") { id };
        cancel.SetAction(parse => o.Run(parse, async api =>
        {
            var (_, etag) = await api.Send(HttpMethod.Get, $"v1/operations/{Uri.EscapeDataString(parse.GetValue(id)!)}");
            var (body, _) = await api.Send(HttpMethod.Delete, $"v1/operations/{Uri.EscapeDataString(parse.GetValue(id)!)}", ifMatch: etag);
            return (body, $"Operation {body!["operation"]!["id"]} cancelled (version {body["operation"]!["version"]}).");
        }));
        return new Command("op", "Operations") { submit, list, cancel };
    }
}
