using System.CommandLine;
using System.Text.Json.Nodes;

namespace Deconflict.Cli;

/// <summary>`deconflict party`: parties and their tokens (admin).</summary>
public static partial class CliApp
{
    private static Command PartyCommands(ClientOptions o)
    {
        var id = new Argument<string>("id") { Description = "Party id (lowercase letters, digits, '-')" };
        var name = new Option<string>("--name") { Description = "Display name", Required = true };
        var role = new Option<string>("--role") { Description = "party or observer", DefaultValueFactory = _ => "party" };
        var add = new Command("add", "Create a party (admin token); prints its token once") { id, name, role };
        add.WithExamples(
            "deconflict party add blue --name \"Coalition CAOC\" --token \"$DECONFLICT_ADMIN_TOKEN\"",
            "deconflict party add monitor --name \"UN monitors\" --role observer --token \"$DECONFLICT_ADMIN_TOKEN\"");
        add.SetAction(parse => o.Run(parse, async api =>
        {
            var (body, _) = await api.Send(HttpMethod.Post, "v1/parties", new JsonObject { ["id"] = parse.GetValue(id), ["name"] = parse.GetValue(name), ["role"] = parse.GetValue(role) });
            return (body, $"Party {body!["party"]!["id"]} created.\nToken (shown once, keep it safe): {body["token"]}\nToken id: {body["token_id"]}");
        }));
        var list = new Command("list", "List parties").WithExamples("deconflict party list --token \"$DECONFLICT_ADMIN_TOKEN\"");
        list.SetAction(parse => o.Run(parse, async api =>
        {
            var (body, _) = await api.Send(HttpMethod.Get, "v1/parties");
            return (body, Table(body!["items"]!.AsArray(), ("ID", "id"), ("NAME", "name"), ("ROLE", "role")));
        }));
        var tokenId = new Option<string?>("--token-id") { Description = "Revoke only this token (default: every token of the party)" };
        var revoke = new Command("revoke", "Revoke a party's tokens (admin token): its streams and requests in flight end at once") { id, tokenId };
        revoke.WithExamples(
            "deconflict party revoke red --token \"$DECONFLICT_ADMIN_TOKEN\"",
            "deconflict party revoke red --token-id TOKEN_ID --token \"$DECONFLICT_ADMIN_TOKEN\"");
        revoke.SetAction(parse => o.Run(parse, async api =>
        {
            var party = Uri.EscapeDataString(parse.GetValue(id)!);
            if (parse.GetValue(tokenId) is { } one)
            {
                await api.Send(HttpMethod.Delete, $"v1/parties/{party}/tokens/{Uri.EscapeDataString(one)}");
                return (new JsonObject { ["party"] = parse.GetValue(id), ["revoked"] = new JsonArray(one) }, $"Token {one} of party {parse.GetValue(id)} revoked.");
            }

            var (body, _) = await api.Send(HttpMethod.Delete, $"v1/parties/{party}/tokens");
            var ids = body!["revoked"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();
            return (body, ids.Count == 0
                ? $"Party {parse.GetValue(id)} had no valid token."
                : $"Revoked {ids.Count} token(s) of party {parse.GetValue(id)}: {string.Join(", ", ids)}.");
        }));
        return new Command("party", "Parties (admin)") { add, list, revoke };
    }
}
