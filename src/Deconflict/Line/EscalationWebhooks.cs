using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using System.Threading.Channels;
using Deconflict.Service;
using Deconflict.Storage;

namespace Deconflict.Line;

/// <summary>One webhook call owed for an escalation: the contact's owner, the level, the URL and the overdue event's payload.</summary>
public sealed record EscalationCall(string Party, int Level, string Url, string Payload);

/// <summary>
/// Calls the escalation contacts (webhooks) of the sender and the recipient when a line message
/// escalates to a level they configured. The body is the `line-overdue` event's JSON, signed with
/// the service's webhook key (<see cref="WebhookKey"/>, never the record's key): header
/// <c>Deconflict-Signature: keyid=&lt;hex&gt;,ed25519=&lt;base64&gt;</c>, verifiable with GET
/// /v1/line/webhook-key. Connections go only where <see cref="WebhookTargets"/> allows, checked on
/// the address connected to; no proxy, no redirect. A failed call is retried with doubling delays
/// (on the service's <see cref="TimeProvider"/>) up to <see cref="DeconflictOptions.WebhookAttempts"/>
/// attempts; every attempt's outcome is an event (`line-escalation-call`) seen by the contact's owner,
/// and so an entry of the record. The outcome is one of a fixed set of words and, when the target
/// answered, its status code: never the target's own text nor the network's error message, which
/// would tell a party what lies behind the service. Calls owed when the service stops are not
/// resumed after a restart; the escalations themselves are in the record. In a cluster an
/// escalation is committed once, by the node holding the lease (<see cref="LineClockService"/>),
/// and only that node is given its calls: no other node makes them, so none is made twice. A node
/// that loses the lease still finishes the calls it owes, since no other node would make them.
/// </summary>
public sealed class EscalationWebhooks : BackgroundService
{
    public const string SignatureHeader = "Deconflict-Signature";

    /// <summary>The target answered 2xx.</summary>
    public const string Delivered = "delivered";

    /// <summary>The target answered another status (its code is in <c>status</c>; redirects are not followed).</summary>
    public const string HttpStatus = "http-status";

    /// <summary>The target is not allowed (now): its host is, or resolved at call time to, an address webhooks may not reach, or it is http where only https is allowed. Nothing was sent.</summary>
    public const string RefusedAddress = "refused-address";

    /// <summary>The name did not resolve, or no address accepted the connection.</summary>
    public const string ConnectFailed = "connect-failed";

    /// <summary>No answer within the call's time limit.</summary>
    public const string TimedOut = "timed-out";

    /// <summary>The TLS handshake failed (certificate not valid for the host, or not trusted).</summary>
    public const string TlsFailed = "tls-failed";

    /// <summary>The target's answer was not HTTP (or the connection closed before one).</summary>
    public const string ProtocolError = "protocol-error";

    private readonly Channel<EscalationCall> _calls = Channel.CreateUnbounded<EscalationCall>();
    private readonly HttpClient _http;
    private readonly WriteQueue _writes;
    private readonly WebhookKey _key;
    private readonly DeconflictOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<EscalationWebhooks> _log;

    private readonly WebhookTargets _targets;

    public EscalationWebhooks(WriteQueue writes, WebhookKey key, WebhookTargets targets, DeconflictOptions options, TimeProvider time, ILogger<EscalationWebhooks> log)
    {
        (_writes, _key, _targets, _options, _time, _log) = (writes, key, targets, options, time, log);
        _http = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = targets.ConnectAsync,
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            MaxResponseHeadersLength = 16,
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
        })
        {
            Timeout = TimeSpan.FromSeconds(10),
        };
    }

    /// <summary>The calls owed for an escalation of <paramref name="recipient"/> on a message from <paramref name="sender"/>.</summary>
    public static IEnumerable<EscalationCall> CallsFor(IStoreReader store, string sender, string recipient, int level, string payload) =>
        new[] { sender, recipient }.Distinct(StringComparer.Ordinal)
            .SelectMany(p => store.EscalationContacts(p).Where(c => c.Level == level).Select(c => new EscalationCall(p, level, c.Url, payload)));

    public void Enqueue(IEnumerable<EscalationCall> calls)
    {
        foreach (var call in calls)
        {
            _calls.Writer.TryWrite(call);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var call in _calls.Reader.ReadAllAsync(stoppingToken))
            {
                // Each call retries on its own, so one slow contact does not hold the others.
                _ = Task.Run(() => CallAsync(call, stoppingToken), stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task CallAsync(EscalationCall call, CancellationToken ct)
    {
        var body = Encoding.UTF8.GetBytes(call.Payload);
        var delay = _options.WebhookFirstRetry;
        for (var attempt = 1; attempt <= _options.WebhookAttempts; attempt++)
        {
            string outcome;
            int? status = null;
            try
            {
                // A contact set before the admin stopped allowing http is not called over http.
                if (!_targets.SchemeAllowed(call.Url))
                {
                    throw new WebhookRefusedException(call.Url, "is not https");
                }

                using var request = new HttpRequestMessage(HttpMethod.Post, call.Url) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
                request.Headers.TryAddWithoutValidation(SignatureHeader, _key.SignatureHeader(body));

                // Only the status line and headers are read: the target's body is never looked at.
                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
                status = (int)response.StatusCode;
                outcome = response.IsSuccessStatusCode ? Delivered : HttpStatus;
            }
            catch (Exception e) when (!ct.IsCancellationRequested && e is HttpRequestException or OperationCanceledException or InvalidOperationException or WebhookRefusedException)
            {
                outcome = Classify(e);
                if (outcome == RefusedAddress)
                {
                    // The admin sees what was refused; the party sees only that it was.
                    _log.LogWarning("An escalation webhook of {Party} was refused: {Reason}", call.Party, Find<WebhookRefusedException>(e)?.Message);
                }
            }

            var ok = outcome == Delivered;
            await Record(call, attempt, ok, outcome, status);
            if (ok || attempt == _options.WebhookAttempts)
            {
                return;
            }

            await Task.Delay(delay, _time, ct);
            delay *= 2;
        }
    }

    /// <summary>The outcome word for a failed call; the exception's text is never recorded.</summary>
    public static string Classify(Exception e)
    {
        if (Find<WebhookRefusedException>(e) is not null)
        {
            return RefusedAddress;
        }

        if (Find<TimeoutException>(e) is not null || e is OperationCanceledException)
        {
            return TimedOut;
        }

        if (Find<AuthenticationException>(e) is not null || e is HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError })
        {
            return TlsFailed;
        }

        if (Find<SocketException>(e) is not null || e is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError })
        {
            return ConnectFailed;
        }

        return ProtocolError;
    }

    private static T? Find<T>(Exception? e)
        where T : Exception
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is T found)
            {
                return found;
            }
        }

        return null;
    }

    private async Task Record(EscalationCall call, int attempt, bool ok, string outcome, int? status)
    {
        try
        {
            // Not fenced by the lease's epoch, unlike the escalation itself: the call was made, by
            // the only node that owes it, and its record must stand whoever holds the lease now.
            await _writes.Submit<bool>(null, async ctx =>
            {
                await ctx.EmitAsync(LineEvents.EscalationCallMade(call, attempt, _options.WebhookAttempts, ok, outcome, status, ctx.Now));
                return true;
            });
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _log.LogError(e, "Recording an escalation call failed");
        }
    }

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }
}
