using System.Collections.Frozen;
using System.Reflection;
using System.Security.Cryptography;
using Microsoft.AspNetCore.StaticFiles;

namespace Deconflict.WebConsole;

/// <summary>
/// GET /: the duty officer's console (src/console), built into the assembly as resources named
/// <c>console/...</c>. The files are fixed at build time, so they are read once into memory with a
/// strong ETag each; the bundle's assets carry a content hash in their names and are cached for a
/// year, the page itself is revalidated every time.
/// </summary>
/// <remarks>
/// Written as a small handler rather than a static-file middleware over an embedded file provider:
/// the resource names are set by the build (LogicalName) and there are a handful of files, all
/// known at start-up.
/// </remarks>
public static class ConsoleFiles
{
    /// <summary>
    /// The page may load and call only this server: its own scripts (no inline script, no eval),
    /// its own styles plus the inline styles Leaflet sets on map elements, images from itself and
    /// data:/blob: (the map's canvas and icons), no frames, no forms posted anywhere.
    /// </summary>
    public const string Policy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self'; " +
        "connect-src 'self'; media-src 'self' data: blob:; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private const string Prefix = "console/";

    private static readonly Lazy<FrozenDictionary<string, ConsoleFile>> Files = new(Load);

    public static IEndpointRouteBuilder MapConsole(this IEndpointRouteBuilder app)
    {
        app.MapMethods("/", ["GET", "HEAD"], (HttpContext http) => Serve(http, "index.html")).ExcludeFromDescription();
        app.MapMethods("/index.html", ["GET", "HEAD"], (HttpContext http) => Serve(http, "index.html")).ExcludeFromDescription();
        app.MapMethods("/assets/{name}", ["GET", "HEAD"], (string name, HttpContext http) => Serve(http, "assets/" + name)).ExcludeFromDescription();
        return app;
    }

    private static IResult Serve(HttpContext http, string path)
    {
        if (!Files.Value.TryGetValue(path, out var file))
        {
            return Results.NotFound();
        }

        var headers = http.Response.Headers;
        headers.ContentSecurityPolicy = Policy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.ETag = file.ETag;
        headers.CacheControl = path == "index.html" ? "no-cache" : "public, max-age=31536000, immutable";
        if (http.Request.Headers.IfNoneMatch.ToString() == file.ETag)
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }

        return Results.Bytes(file.Bytes, file.ContentType);
    }

    private static FrozenDictionary<string, ConsoleFile> Load()
    {
        var assembly = Assembly.GetExecutingAssembly();
        var types = new FileExtensionContentTypeProvider();
        var files = new Dictionary<string, ConsoleFile>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var bytes = copy.ToArray();
            var path = name[Prefix.Length..].Replace('\\', '/');
            var type = types.TryGetContentType(path, out var known) ? known : "application/octet-stream";
            if (type.StartsWith("text/", StringComparison.Ordinal) || type is "application/javascript" or "text/javascript" or "application/json")
            {
                type += "; charset=utf-8";
            }

            files[path] = new ConsoleFile(bytes, type, $"\"{Convert.ToHexStringLower(SHA256.HashData(bytes))[..32]}\"");
        }

        return files.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private sealed record ConsoleFile(byte[] Bytes, string ContentType, string ETag);
}
