using System.Collections.Concurrent;
using System.Security.Cryptography;
using Deconflict.Core.Model;
using Deconflict.Service;
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

    // Every request authenticates; looking the token and its party up costs two store reads. The
    // answer only changes when a token is revoked, which goes through this process (Forget) or, in
    // a cluster, through another node, whose revocation is heard here (Cluster/DatabaseListener),
    // so callers are cached by token hash. Unknown tokens are not cached.
    private readonly ConcurrentDictionary<string, Caller> _callers = new(StringComparer.Ordinal);

    // Bumped by every revocation: a lookup that raced a revocation does not cache what it read.
    private long _generation;

    /// <summary>Drops revoked tokens from the cache; their next use is refused.</summary>
    public void Forget(IReadOnlyCollection<string> tokenIds)
    {
        Interlocked.Increment(ref _generation);
        foreach (var (hash, caller) in _callers)
        {
            if (tokenIds.Contains(caller.TokenId))
            {
                _callers.TryRemove(hash, out _);
            }
        }
    }

    /// <summary>Drops every cached token: revocations may have gone unheard (a cluster's listener was disconnected).</summary>
    public void ForgetAll()
    {
        Interlocked.Increment(ref _generation);
        _callers.Clear();
    }

    /// <summary>The secret of "Authorization: Bearer T", or null when there is none of a possible length.</summary>
    public static string? Secret(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var secret = header["Bearer ".Length..].Trim();
        return secret.Length is 0 or > 256 ? null : secret;
    }

    public Caller? Resolve(HttpContext http)
    {
        if (Secret(http) is not { } secret)
        {
            return null;
        }

        var hash = Tokens.Hash(secret);
        if (admin.Hash is { } adminHash && CryptographicOperations.FixedTimeEquals(hash, adminHash))
        {
            return new Caller(null, null, "admin-env");
        }

        var key = Convert.ToHexString(hash);
        if (_callers.TryGetValue(key, out var cached))
        {
            return cached;
        }

        var generation = Interlocked.Read(ref _generation);
        var token = store.FindToken(hash);
        if (token is null || token.RevokedAt is not null)
        {
            return null;
        }

        Caller? resolved = null;
        if (token.IsAdmin)
        {
            resolved = new Caller(null, null, token.Id);
        }
        else if (store.GetParty(token.PartyId!) is { } party)
        {
            resolved = new Caller(party.Id, party.Role, token.Id);
        }

        if (resolved is not null && Interlocked.Read(ref _generation) == generation)
        {
            _callers[key] = resolved;
        }

        return resolved;
    }

    public static Caller Of(HttpContext http) =>
        http.Items[CallerKey] as Caller ?? throw new InvalidOperationException("endpoint reached without authentication");

    /// <summary>The caller, if the request got as far as authentication with a valid token.</summary>
    public static Caller? Find(HttpContext http) => http.Items[CallerKey] as Caller;

    /// <summary>
    /// Every /v1 endpoint's gate: the failed-authentication lockout (before the token is looked at),
    /// the token, the party's request rate, and the registration of the request under its token so
    /// that a revocation ends it.
    /// </summary>
    public sealed class Filter(Authentication auth, AccessLimits limits, LiveRequests live) : IEndpointFilter
    {
        public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
        {
            var http = context.HttpContext;
            var secret = Secret(http);
            if (limits.LockedOut(http, secret) is { } locked)
            {
                return Problems.ToResult(locked);
            }

            var caller = auth.Resolve(http);
            if (caller is null)
            {
                return Refuse(http, secret);
            }

            http.Items[CallerKey] = caller;

            // The admin runs the service: no party quota holds it, and its tokens are not revoked
            // through a party.
            if (caller.PartyId is not { } party)
            {
                return await next(context);
            }

            if (limits.Request(party) is { } limited)
            {
                return Problems.ToResult(limited);
            }

            using var entry = live.Enter(caller.TokenId, http);
            return entry is null ? Refuse(http, secret) : await next(context);
        }

        private IResult Refuse(HttpContext http, string? secret)
        {
            if (limits.Failed(http, secret) is { } over)
            {
                return Problems.ToResult(over);
            }

            http.Response.Headers.WWWAuthenticate = "Bearer";
            return Problems.ToResult(new Refusal(RefusalReason.Unauthorized, "Send 'Authorization: Bearer <token>' with a valid, unrevoked token."));
        }
    }
}

/// <summary>The admin token given by the environment (its hash only), if any.</summary>
public sealed record AdminToken(byte[]? Hash);
