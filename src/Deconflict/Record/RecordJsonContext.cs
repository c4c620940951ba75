using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Deconflict.Alerts;
using Deconflict.Api;
using Deconflict.Core.Model;
using Deconflict.Events.Payloads;
using Deconflict.Line;
using Deconflict.Parties;

namespace Deconflict.Record;

/// <summary>
/// The one serialiser of event payloads (docs/record.md, "Event payloads"). A payload is the text a
/// record entry commits to, so its bytes must never change for an event type once written: the
/// options are fixed here (snake_case members, nulls left out, enums as kebab-case names, times by
/// <see cref="RecordTimeConverter"/>, non-ASCII text written as UTF-8 with JSON's minimal escaping
/// outside the BMP as <c>\uXXXX</c> pairs) and share nothing with the API's options
/// (<see cref="Json.Options"/>), which may change. EventBytesTests pins the bytes of every payload
/// type; a payload that has to change is a new event type or a new action, never an edit of one.
/// The views that entries state (and the start check compares) are here too, so that rows and
/// entries render alike.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.Strict,
    WriteIndented = false,
    Converters =
    [
        typeof(RecordTimeConverter),
        typeof(RecordEnumConverter<DeclarationKind>),
        typeof(RecordEnumConverter<DeclarationState>),
        typeof(RecordEnumConverter<ZoneRule>),
        typeof(RecordEnumConverter<ConflictState>),
        typeof(RecordEnumConverter<PartyRole>),
    ])]
[JsonSerializable(typeof(OperationPayload))]
[JsonSerializable(typeof(ZonePayload))]
[JsonSerializable(typeof(ConflictPayload))]
[JsonSerializable(typeof(PartyPayload))]
[JsonSerializable(typeof(PartyTokenPayload))]
[JsonSerializable(typeof(AdminTokenPayload))]
[JsonSerializable(typeof(KeyRegisteredPayload))]
[JsonSerializable(typeof(KeyStatedPayload))]
[JsonSerializable(typeof(EscalationContactsSetPayload))]
[JsonSerializable(typeof(EscalationContactsStatedPayload))]
[JsonSerializable(typeof(LineMessagePayload))]
[JsonSerializable(typeof(LineReceiptPayload))]
[JsonSerializable(typeof(LineOverduePayload))]
[JsonSerializable(typeof(EscalationCallPayload))]
[JsonSerializable(typeof(CosignaturePayload))]
[JsonSerializable(typeof(RevealPayload))]
[JsonSerializable(typeof(TrackAlertPayload))]
[JsonSerializable(typeof(LineOverdueView))]
[JsonSerializable(typeof(DeclarationView))]
[JsonSerializable(typeof(ConflictView))]
[JsonSerializable(typeof(LineMessageView))]
[JsonSerializable(typeof(AlertView))]
[JsonSerializable(typeof(PartyView))]
[JsonSerializable(typeof(PartyKeyEntryView))]
[JsonSerializable(typeof(EscalationContactsEntryView))]
[JsonSerializable(typeof(TokenEntryView))]
public sealed partial class RecordJsonContext : JsonSerializerContext
{
    // The encoder is a property of the writer, not of the generated options: fixed here with them.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };

    /// <summary>The payload's JSON text, as its entry commits to it: <paramref name="type"/> must be this context's.</summary>
    public static string Write<T>(T value, JsonTypeInfo<T> type)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (!ReferenceEquals(type.Options, Default.Options))
        {
            throw new ArgumentException("A record payload is written only with RecordJsonContext.Default's type information.", nameof(type));
        }

        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            JsonSerializer.Serialize(writer, value, type);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
