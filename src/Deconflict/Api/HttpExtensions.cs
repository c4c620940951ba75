using System.Text.Json;
using Deconflict.Service;
using Microsoft.AspNetCore.Http.Features;

namespace Deconflict.Api;

public static class HttpExtensions
{
    public const int MaxListLimit = 10_000;
    public const int DefaultListLimit = 100;

    /// <summary>
    /// Reads a JSON body with the API's rules: application/json only, the size limit, the rules of
    /// <see cref="JsonBodyRules"/> (no member twice, no control character; tab and newline only in
    /// the <paramref name="multiline"/> members, given as pointers), no unknown members, RFC 3339
    /// times with an offset, and a precise problem with its pointer when any of them is broken
    /// (<see cref="JsonBodyErrors"/>: the place in the caller's body and the rule, never a .NET type).
    /// </summary>
    public static async Task<Outcome<T>> ReadJson<T>(this HttpContext http, IReadOnlySet<string>? multiline = null)
        where T : class
    {
        var type = http.Request.ContentType;
        if (type is null || !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return new Refusal(RefusalReason.UnsupportedMediaType, $"The body must be application/json (it was '{type ?? "none"}').");
        }

        // The whole body is read first (Kestrel bounds it at MaxRequestBytes) so that it can be
        // checked in one pass before it is bound.
        using var buffer = new MemoryStream();
        try
        {
            await http.Request.Body.CopyToAsync(buffer, http.RequestAborted);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            var limit = http.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;
            return new Refusal(RefusalReason.PayloadTooLarge, $"The body is larger than the limit of {limit} bytes.");
        }

        var json = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        if (JsonBodyRules.Check(json, multiline) is { } refused)
        {
            return refused;
        }

        try
        {
            var value = JsonSerializer.Deserialize<T>(json, Json.Options);
            return value is null ? Refusal.Invalid("The body must be a JSON object, not null.", "/") : value;
        }
        catch (InvalidTimeException e)
        {
            var pointer = e.Path is { } p ? Pointer(p) : "/";
            return new Refusal(RefusalReason.InvalidTime, $"{pointer}: {e.Message}").With("pointer", pointer);
        }
        catch (JsonException e)
        {
            return JsonBodyErrors.Explain(e, json, typeof(T), Json.Options);
        }
    }

    /// <summary>A System.Text.Json path ($.tracks[1].lat, $['a.b']) as an RFC 6901 JSON pointer (/tracks/1/lat).</summary>
    public static string Pointer(string jsonPath)
    {
        var pointer = new System.Text.StringBuilder();
        var i = jsonPath.StartsWith('$') ? 1 : 0;
        while (i < jsonPath.Length)
        {
            if (jsonPath[i] == '.')
            {
                var end = jsonPath.IndexOfAny(['.', '['], i + 1);
                end = end < 0 ? jsonPath.Length : end;
                pointer.Append('/').Append(Escape(jsonPath[(i + 1)..end]));
                i = end;
            }
            else if (jsonPath[i] == '[')
            {
                var quoted = i + 1 < jsonPath.Length && jsonPath[i + 1] == '\'';
                var end = quoted ? jsonPath.IndexOf("']", i + 2, StringComparison.Ordinal) : jsonPath.IndexOf(']', i + 1);
                if (end < 0)
                {
                    break;
                }

                pointer.Append('/').Append(Escape(quoted ? jsonPath[(i + 2)..end] : jsonPath[(i + 1)..end]));
                i = end + (quoted ? 2 : 1);
            }
            else
            {
                break;
            }
        }

        return pointer.Length == 0 ? "/" : pointer.ToString();

        static string Escape(string token) => token.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);
    }

    /// <summary>If-Match must carry the current version: 428 when absent, 400 when unreadable.</summary>
    public static Outcome<long> IfMatchVersion(this HttpContext http)
    {
        var raw = http.Request.Headers.IfMatch.ToString();
        if (string.IsNullOrWhiteSpace(raw))
        {
            return new Refusal(RefusalReason.PreconditionRequired, "Send If-Match with the version you are changing, e.g. If-Match: \"3\".");
        }

        var text = raw.Trim();
        if (text.StartsWith("W/", StringComparison.Ordinal))
        {
            text = text[2..];
        }

        text = text.Trim('"');
        return long.TryParse(text, out var v) && v > 0
            ? v
            : Refusal.Invalid($"If-Match must be a version such as \"3\"; '{raw}' is not.");
    }

    public static void SetETag(this HttpContext http, long version) => http.Response.Headers.ETag = $"\"{version}\"";

    public static Outcome<int> Limit(this HttpContext http)
    {
        var raw = http.Request.Query["limit"].ToString();
        if (raw.Length == 0)
        {
            return DefaultListLimit;
        }

        return int.TryParse(raw, out var n) && n is >= 1 and <= MaxListLimit
            ? n
            : new Refusal(RefusalReason.InvalidParameter, $"limit must be a whole number from 1 to {MaxListLimit}; '{raw}' is not.").With("parameter", "limit");
    }

    /// <summary>Cursors are opaque to clients; inside they are the position after which to continue.</summary>
    public static Outcome<long?> Cursor(this HttpContext http)
    {
        var raw = http.Request.Query["cursor"].ToString();
        if (raw.Length == 0)
        {
            return (long?)null;
        }

        try
        {
            var text = System.Text.Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(raw));
            if (text.StartsWith("p:", StringComparison.Ordinal) && long.TryParse(text[2..], out var after) && after >= 0)
            {
                return (long?)after;
            }
        }
        catch (FormatException)
        {
        }

        return new Refusal(RefusalReason.InvalidParameter, "cursor is not one this server gave out.").With("parameter", "cursor");
    }

    public static string? EncodeCursor(long? next) =>
        next is { } n ? System.Buffers.Text.Base64Url.EncodeToString(System.Text.Encoding.UTF8.GetBytes($"p:{n}")) : null;

    /// <summary>A page's position: ?limit= and ?cursor=, checked together (the first bad one is the error).</summary>
    public static Outcome<(int Limit, long? After)> Paging(this HttpContext http)
    {
        var limit = http.Limit();
        if (limit.Error is { } badLimit)
        {
            return badLimit;
        }

        var cursor = http.Cursor();
        return cursor.Error is { } badCursor ? badCursor : (limit.Value, cursor.Value);
    }

    public static Outcome<T?> EnumQuery<T>(this HttpContext http, string name)
        where T : struct, Enum
    {
        var raw = http.Request.Query[name].ToString();
        if (raw.Length == 0)
        {
            return (T?)null;
        }

        foreach (var v in Enum.GetValues<T>())
        {
            if (WireName.Of(v) == raw)
            {
                return (T?)v;
            }
        }

        var allowed = string.Join(", ", Enum.GetValues<T>().Select(WireName.Of));
        return new Refusal(RefusalReason.InvalidParameter, $"{name} must be one of {allowed}; '{raw}' is not.").With("parameter", name);
    }
}
