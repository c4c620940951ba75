using System.CommandLine;

namespace Deconflict.Cli;

/// <summary>`deconflict op`: operations (the verbs shared with zones are in CliApp.Declarations.cs).</summary>
public static partial class CliApp
{
    private static Command OperationCommands(ClientOptions o) => DeclarationCommands(o, new DeclarationResource(
        Command: "op",
        Noun: "operation",
        Title: "Operation",
        Article: "an",
        Path: "v1/operations",
        IdPrefix: "op-",
        IsZone: false,
        Description: "Operations: your party's planned and active flying, checked against every other party's",
        ExampleFile: "docs/examples/raqqa-cap.geojson",
        ExampleOptions: " --known op-0193...@2"));
}
