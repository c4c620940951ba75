using System.Text.Json.Nodes;

namespace Deconflict.Cli;

/// <summary>
/// The operations and zones a refused write names (409 missing-awareness's `missing`, 409
/// conflict's `conflicts`), said on the refusal's one line with what to do: each as
/// kind id@version of party, the form --known takes.
/// </summary>
internal static class Refusals
{
    public static string? Declarations(JsonNode? problem)
    {
        if (problem?["missing"] is JsonArray { Count: > 0 } missing)
        {
            var known = missing.Select(m => $"{FileJson.Text(m?["id"])}@{m?["version"]}").ToList();
            return $"Not known: {string.Join(", ", missing.Select(Declaration))}. Give --known {string.Join(" --known ", known)} once you have read them.";
        }

        if (problem?["conflicts"] is JsonArray { Count: > 0 } conflicts)
        {
            // Side a is the write being refused (it has no id yet on a create); b is what it conflicts with.
            return $"It conflicts with: {string.Join(", ", conflicts.Select(c => Declaration(c?["b"])))}.";
        }

        return null;
    }

    private static string Declaration(JsonNode? r) =>
        $"{FileJson.Text(r?["kind"])} {FileJson.Text(r?["id"])}@{r?["version"]} of {FileJson.Text(r?["party"])}";
}
