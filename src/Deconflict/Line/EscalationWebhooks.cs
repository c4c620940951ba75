using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Deconflict.Api;
using Deconflict.Core.Model;
using Deconflict.Record;
using Deconflict.Service;
using Deconflict.Storage;

namespace Deconflict.Line;

/// <summary>One webhook call owed for an escalation: the contact's owner, the level, the URL and the overdue event's payload.</summary>
public sealed record EscalationCall(string Party, int Level, string Url, string Payload);

/// <summary>
/// Calls the escalation contacts (webhooks) of the sender and the recipient when a line message
/// escalates to a level they configured. The body is the `line-overdue` event's JSON; the service
/// signs it with its record key (header <c>Deconflict-Signature: keyid=&lt;hex&gt;,ed25519=&lt;base64&gt;</c>,
/// verifiable with GET /v1/record/key). A failed call is retried with doubling delays (on the
/// service's <see cref="TimeProvider"/>) up to <see cref="DeconflictOptions.WebhookAttempts"/>
/// attempts; every attempt's outcome is an event (`line-escalation-call`) seen by the contact's owner,
/// and so an entry of the record. Calls owed when the service stops are not resumed after a restart;
/// the escalations themselves are in the record.
/// </summary>
public sealed class EscalationWebhooks(WriteQueue writes, RecordKey key, DeconflictOptions options, TimeProvider time, ILogger<EscalationWebhooks> log) : BackgroundService
{
    public const string CallEvent = "line-escalation-call";
    public const string SignatureHeader = "Deconflict-Signature";
    private readonly Channel<EscalationCall> _calls = Channel.CreateUnbounded<EscalationCall>();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };

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

    /// <summary>The signature header value for a body.</summary>
    public string Sign(byte[] body) => $"keyid={Convert.ToHexStringLower(key.KeyId)},ed25519={Convert.ToBase64String(key.SignMessage(body))}";

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
        var delay = options.WebhookFirstRetry;
        for (var attempt = 1; attempt <= options.WebhookAttempts; attempt++)
        {
            string outcome;
            var ok = false;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, call.Url) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
                request.Headers.TryAddWithoutValidation(SignatureHeader, Sign(body));
                using var response = await _http.SendAsync(request, ct);
                ok = response.IsSuccessStatusCode;
                outcome = $"HTTP {(int)response.StatusCode}";
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                outcome = e is TaskCanceledException ? "timed out" : $"failed: {e.Message}";
            }

            await Record(call, attempt, ok, outcome);
            if (ok || attempt == options.WebhookAttempts)
            {
                return;
            }

            await Task.Delay(delay, time, ct);
            delay *= 2;
        }
    }

    private async Task Record(EscalationCall call, int attempt, bool ok, string outcome)
    {
        try
        {
            await writes.Submit<bool>(null, ctx =>
            {
                ctx.Emit(new DomainEvent(CallEvent, null, [call.Party], JsonSerializer.Serialize(new
                {
                    party = call.Party,
                    level = call.Level,
                    url = call.Url,
                    attempt,
                    of = options.WebhookAttempts,
                    ok,
                    outcome,
                    at = ctx.Now,
                    escalation = JsonSerializer.Deserialize<JsonElement>(call.Payload),
                }, Json.Options)));
                return true;
            });
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogError(e, "Recording an escalation call failed");
        }
    }

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }
}
