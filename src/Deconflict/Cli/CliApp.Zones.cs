using System.CommandLine;

namespace Deconflict.Cli;

/// <summary>`deconflict zone`: zones (the verbs shared with operations are in CliApp.Declarations.cs).</summary>
public static partial class CliApp
{
    private static Command ZoneCommands(ClientOptions o) => DeclarationCommands(o, new DeclarationResource(
        Command: "zone",
        Noun: "zone",
        Title: "Zone",
        Article: "a",
        Path: "v1/zones",
        IdPrefix: "zn-",
        IsZone: true,
        Description: "Zones: named airspace with a rule (exclusive, protected or advisory) that operations are checked against",
        ExampleFile: "docs/examples/tabqa-zone.geojson",
        ExampleOptions: " --rule protected --name \"Tabqa dam\""));
}
