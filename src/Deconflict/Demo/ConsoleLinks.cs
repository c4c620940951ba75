using System.Globalization;

namespace Deconflict.Demo;

/// <summary>
/// The browser links `demo --serve` prints: one per party that signs the console in as that party,
/// and the admin's read-only view of everything. The token rides in the URL fragment (#token=...),
/// which the browser never sends to the server and the console moves into the tab's session storage
/// at once, so no server log, proxy or referrer ever holds it.
/// </summary>
public static class ConsoleLinks
{
    /// <summary>The lines to print: a heading, then the label and link of each party and of the admin.</summary>
    public static IReadOnlyList<string> Describe(string server, IReadOnlyDictionary<string, string> tokens, string adminToken)
    {
        var rows = tokens.Select(kv => (Label: kv.Key, Link: Link(server, kv.Value)))
            .Append((Label: "admin (read-only, every party)", Link: Link(server, adminToken)))
            .ToList();
        var width = rows.Max(r => r.Label.Length);
        return
        [
            "Watch it in the browser: each link signs its tab in as that party (the token is in the fragment, which never reaches the server).",
            .. rows.Select(r => string.Create(CultureInfo.InvariantCulture, $"  {r.Label.PadRight(width)}  {r.Link}")),
        ];
    }

    /// <summary>The console's address on <paramref name="server"/> signed in with <paramref name="token"/>.</summary>
    public static string Link(string server, string token) => $"{server.TrimEnd('/')}/#token={Uri.EscapeDataString(token)}";
}
