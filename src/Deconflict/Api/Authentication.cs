using System.Security.Cryptography;
using Deconflict.Core.Model;
using Deconflict.Storage;

namespace Deconflict.Api;

/// <summary>
/// Resolves "Authorization: Bearer T" to a <see cref="Caller"/> for every /v1 endpoint. The admin
/// token from DECONFLICT_ADMIN_TOKEN is compared in constant time and never stored; other tokens
/// are looked up by hash, and a revoked one is refused at once.
/// </summary>
public sealed class Authentication(IDeconflictStore store, AdminToken admin)
{
    private const string CallerKey = "deconflict.caller";

    public Caller? Resolve(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var secret = header["Bearer ".Length..].Trim();
        if (secret.Length is 0 or > 256)
        {
            return null;
        }

        var hash = Tokens.Hash(secret);
        if (admin.Hash is { } adminHash && CryptographicOperations.FixedTimeEquals(hash, adminHash))
        {
            return new Caller(null, null, "admin-env");
        }

        var token = store.FindToken(hash);
        if (token is null || token.RevokedAt is not null)
        {
            return null;
        }

        if (token.IsAdmin)
        {
            return new Caller(null, null, token.Id);
        }

        var party = store.GetParty(token.PartyId!);
        return party is null ? null : new Caller(party.Id, party.Role, token.Id);
    }

    public static Caller Of(HttpContext http) =>
        http.Items[CallerKey] as Caller ?? throw new InvalidOperationException("endpoint reached without authentication");

    public sealed class Filter(Authentication auth) : IEndpointFilter
    {
        public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
        {
            var caller = auth.Resolve(context.HttpContext);
            if (caller is null)
            {
                context.HttpContext.Response.Headers.WWWAuthenticate = "Bearer";
                return Problems.ToResult(new ApiError(Problems.Unauthorized, "Send 'Authorization: Bearer <token>' with a valid, unrevoked token."));
            }

            context.HttpContext.Items[CallerKey] = caller;
            return await next(context);
        }
    }
}

/// <summary>The admin token given by the environment (its hash only), if any.</summary>
public sealed record AdminToken(byte[]? Hash);
