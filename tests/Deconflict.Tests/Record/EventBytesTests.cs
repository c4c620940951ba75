using System.Reflection;
using Deconflict.Alerts;
using Deconflict.Core.Model;
using Deconflict.Declarations;
using Deconflict.Events.Payloads;
using Deconflict.Line;
using Deconflict.Parties;
using Deconflict.Record;
using static Deconflict.Tests.Record.EventSamples;

namespace Deconflict.Tests.Record;

/// <summary>
/// The exact bytes of every event payload (docs/record.md, "Event payloads"): a record entry commits
/// to its payload's text, so a payload that renders differently breaks every record written before.
/// The expected texts were captured once from the service as it wrote them before payloads had their
/// own serialiser (RecordJsonContext), and must never be edited: an event that has to change is a new
/// event type or action, with a case of its own here. Each case also pins the event's type, actor and
/// audience, the other members of its entry.
/// </summary>
public sealed class EventBytesTests
{
    /// <summary>The event types whose entries are not in the record (announced on the stream only).</summary>
    private static readonly string[] NotEntries = ["record-head"];

    public static TheoryData<string> CaseNames => [.. Cases.Select(c => c.Name)];

    public static TheoryData<string, Func<string>, string> WebhookBodies => new()
    {
        { "overdue-webhook", () => LineEvents.OverdueNotice(Message, Overdue.Escalation), """{"message_id":"msg-0001","from":"blue","recipient":"red","subject":"Conflict cf-1 — проверка","escalation_level":1,"due_at":"2026-11-26T09:31:30.125Z","next_due_at":"2026-11-26T09:32:30.125Z"}""" },
        { "overdue-last-webhook", () => LineEvents.OverdueNotice(FreeText, LastOverdue.Escalation), """{"message_id":"msg-0002","from":"red","recipient":"blue","subject":"Hello","escalation_level":1,"due_at":"2026-11-26T09:31:05Z"}""" },
    };

    private static IReadOnlyList<GoldenCase> Cases { get; } =
    [
        Case(
            "operation",
            typeof(OperationPayload),
            () => DeclarationEvents.Written("blue", "created", Operation),
            "operation",
            "blue",
            [],
            """{"action":"created","operation":{"id":"op-0193a1b2c3d4","party":"blue","version":3,"state":"active","priority":10,"volumes":[{"volume":{"outline_polygon":{"vertices":[{"lat":35.123456,"lng":36.5},{"lat":35.2,"lng":36.75},{"lat":35.05,"lng":36.9}]},"altitude_lower":{"value":120.5,"reference":"W84","units":"M"},"altitude_upper":{"value":1500.25,"reference":"W84","units":"M"}},"time_start":{"value":"2026-11-26T09:30:00.125Z","format":"RFC3339"},"time_end":{"value":"2026-11-26T11:30:00.125Z","format":"RFC3339"}}],"created_at":"2026-11-26T08:30:00.125Z","updated_at":"2026-11-26T09:30:00.125Z","details_sha256":"67e52395b9394ada03dd138670735bbae0a7a339dc11aabd40703468af982745"}}"""),
        Case(
            "zone",
            typeof(ZonePayload),
            () => DeclarationEvents.Written("red", "updated", Zone),
            "zone",
            "red",
            [],
            """{"action":"updated","zone":{"id":"zn-7","party":"red","version":1,"state":"planned","priority":0,"rule":"exclusive","name":"Zone Ω – \"Alpha\" <b>&</b> \uD83D\uDEE9","volumes":[{"volume":{"outline_circle":{"center":{"lat":34.5,"lng":38.25},"radius":{"value":2500.75,"units":"M"}},"altitude_lower":{"value":0,"reference":"W84","units":"M"},"altitude_upper":{"value":3048,"reference":"W84","units":"M"}},"time_start":{"value":"2026-11-26T09:31:05Z","format":"RFC3339"},"time_end":{"value":"2026-11-26T10:00:00.007Z","format":"RFC3339"}}],"created_at":"2026-11-26T09:31:05Z","updated_at":"2026-11-26T09:31:05Z"}}"""),
        Case(
            "conflict",
            typeof(ConflictPayload),
            () => DeclarationEvents.Conflict("red", "acknowledged", null, AcknowledgedConflict),
            "conflict",
            "red",
            ["blue", "red"],
            """{"action":"acknowledged","by":"red","conflict":{"id":"cf-1","version":2,"state":"acknowledged","a":{"kind":"operation","id":"op-0193a1b2c3d4","party":"blue","version":3},"b":{"kind":"zone","id":"zn-7","party":"red","version":1},"overlap":{"time_start":"2026-11-26T09:31:05Z","time_end":"2026-11-26T10:00:00.007Z","altitude_lower_m":120.5,"altitude_upper_m":999.999},"acknowledged_by":{"red":"2026-11-26T09:31:05Z"},"accepted_by":{},"created_at":"2026-11-26T09:30:00.125Z","updated_at":"2026-11-26T09:31:05Z"}}"""),
        Case(
            "conflict-own",
            typeof(ConflictPayload),
            () => DeclarationEvents.Conflict(null, "resolved", "acknowledged on the line by Officer Ödön (message msg-0003)", ResolvedOwnConflict),
            "conflict",
            null,
            ["blue"],
            """{"action":"resolved","note":"acknowledged on the line by Officer Ödön (message msg-0003)","conflict":{"id":"cf-2","version":4,"state":"resolved","a":{"kind":"operation","id":"op-a","party":"blue","version":1},"b":{"kind":"operation","id":"op-b","party":"blue","version":2},"overlap":{"time_start":"2026-11-26T09:30:00.125Z","time_end":"2026-11-26T09:31:05Z","altitude_lower_m":0,"altitude_upper_m":0.1},"acknowledged_by":{},"accepted_by":{"blue":"2026-11-26T09:31:05Z"},"created_at":"2026-11-26T09:30:00.125Z","updated_at":"2026-11-26T10:00:00.007Z","resolved_at":"2026-11-26T10:00:00.007Z"}}"""),
        Case(
            "party-created",
            typeof(PartyPayload),
            () => PartyEvents.Created(BlueParty),
            "party",
            null,
            [],
            """{"action":"created","party":{"id":"blue","name":"Blue Force — Синие","role":"party","created_at":"2026-11-26T09:30:00.125Z"}}"""),
        Case(
            "party-stated",
            typeof(PartyPayload),
            () => PartyEvents.Stated(Observer),
            "party",
            null,
            [],
            """{"action":"stated","party":{"id":"watch","name":"Ωmega watch","role":"observer","created_at":"2026-11-26T09:31:05Z"}}"""),
        Case(
            "token-issued",
            typeof(PartyTokenPayload),
            () => TokenEvents.Of("token-issued", PartyToken),
            "party",
            null,
            ["blue"],
            """{"action":"token-issued","party":"blue","token_id":"tk-0001","token":{"id":"tk-0001","party":"blue","secret_sha256":"2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b","created_at":"2026-11-26T09:30:00.125Z"}}"""),
        Case(
            "token-revoked",
            typeof(PartyTokenPayload),
            () => TokenEvents.Of("token-revoked", PartyToken with { RevokedAt = T2 }),
            "party",
            null,
            ["blue"],
            """{"action":"token-revoked","party":"blue","token_id":"tk-0001","token":{"id":"tk-0001","party":"blue","secret_sha256":"2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b","created_at":"2026-11-26T09:30:00.125Z","revoked_at":"2026-11-26T10:00:00.007Z"}}"""),
        Case(
            "token-stated",
            typeof(PartyTokenPayload),
            () => TokenEvents.Of("token-stated", PartyToken),
            "party",
            null,
            ["blue"],
            """{"action":"token-stated","party":"blue","token_id":"tk-0001","token":{"id":"tk-0001","party":"blue","secret_sha256":"2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b","created_at":"2026-11-26T09:30:00.125Z"}}"""),
        Case(
            "admin-created",
            typeof(AdminTokenPayload),
            () => TokenEvents.Of("created", RevokedAdminToken with { RevokedAt = null }),
            "admin-token",
            null,
            ["admin"],
            """{"action":"created","token_id":"tk-admin","token":{"id":"tk-admin","secret_sha256":"8c6976e5b5410415bde908bd4dee15dfb167a9c873fc4bb8a81f6f2ab448a918","created_at":"2026-11-26T09:30:00.125Z"}}"""),
        Case(
            "admin-stated",
            typeof(AdminTokenPayload),
            () => TokenEvents.Of("stated", RevokedAdminToken),
            "admin-token",
            null,
            ["admin"],
            """{"action":"stated","token_id":"tk-admin","token":{"id":"tk-admin","secret_sha256":"8c6976e5b5410415bde908bd4dee15dfb167a9c873fc4bb8a81f6f2ab448a918","created_at":"2026-11-26T09:30:00.125Z","revoked_at":"2026-11-26T10:00:00.007Z"}}"""),
        Case(
            "key-registered",
            typeof(KeyRegisteredPayload),
            () => RecordEvents.KeyRegistered("blue", "blue", PublicKey, T1),
            "party",
            "blue",
            [],
            """{"action":"key-registered","party":"blue","public_key":"AAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0tk=","key":{"party":"blue","public_key":"AAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0tk=","registered_at":"2026-11-26T09:31:05Z"}}"""),
        Case(
            "key-stated",
            typeof(KeyStatedPayload),
            () => RecordEvents.KeyStated(PartyKeyEntryView.Of("red", PublicKey, T0)),
            "party",
            null,
            [],
            """{"action":"key-stated","party":"red","key":{"party":"red","public_key":"AAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0tk=","registered_at":"2026-11-26T09:30:00.125Z"}}"""),
        Case(
            "contacts-set",
            typeof(EscalationContactsSetPayload),
            () => LineEvents.EscalationContactsSet(null, "blue", [.. Contacts.Select(c => new EscalationContactBody(c.Level, c.Url))]),
            "party",
            null,
            ["blue"],
            """{"action":"escalation-contacts-set","party":"blue","contacts":[{"level":2,"url":"https://b.example/hook?x=1&y=2"},{"level":1,"url":"https://a.example/ü"},{"level":1,"url":"https://a.example/ü"}],"escalation_contacts":{"party":"blue","contacts":[{"level":1,"url":"https://a.example/ü"},{"level":2,"url":"https://b.example/hook?x=1&y=2"}]}}"""),
        Case(
            "contacts-set-empty",
            typeof(EscalationContactsSetPayload),
            () => LineEvents.EscalationContactsSet("red", "red", []),
            "party",
            "red",
            ["red"],
            """{"action":"escalation-contacts-set","party":"red","contacts":[],"escalation_contacts":{"party":"red","contacts":[]}}"""),
        Case(
            "contacts-stated",
            typeof(EscalationContactsStatedPayload),
            () => LineEvents.EscalationContactsStated("blue", Contacts),
            "party",
            null,
            ["blue"],
            """{"action":"escalation-contacts-stated","party":"blue","escalation_contacts":{"party":"blue","contacts":[{"level":1,"url":"https://a.example/ü"},{"level":2,"url":"https://b.example/hook?x=1&y=2"}]}}"""),
        Case(
            "line-sent",
            typeof(LineMessagePayload),
            () => LineEvents.Sent(Message),
            "line-message",
            "blue",
            ["blue", "red", "white"],
            """{"action":"sent","message":{"id":"msg-0001","version":1,"from":"blue","to":["red","white"],"kind":"deconflict-request","subject":"Conflict cf-1 — проверка","body":"Line one\nLine \"two\"\t<b>&amp;</b> ✈ \uD83D\uDEE9 \\ end","language":"ru","refs":[{"kind":"conflict","id":"cf-1"},{"kind":"operation","id":"op-0193a1b2c3d4"}],"place":{"lat":35.5,"lng":36.125,"time":"2026-11-26T09:30:00.125Z"},"sent_at":"2026-11-26T09:30:00.125Z","requires_ack":true,"ack_due_at":"2026-11-26T09:31:30.125Z","receipts":{"red":{"escalation_level":0,"due_at":"2026-11-26T09:31:30.125Z"},"white":{"escalation_level":0,"due_at":"2026-11-26T09:31:30.125Z"}}}}"""),
        Case(
            "line-free",
            typeof(LineMessagePayload),
            () => LineEvents.Sent(FreeText),
            "line-message",
            "red",
            ["red", "blue"],
            """{"action":"sent","message":{"id":"msg-0002","version":1,"from":"red","to":["blue"],"kind":"free-text","subject":"Hello","body":"","language":"en","refs":[],"sent_at":"2026-11-26T09:31:05Z","requires_ack":false,"receipts":{"blue":{"escalation_level":0}}}}"""),
        Case(
            "line-notice",
            typeof(LineMessagePayload),
            () => LineEvents.Sent(Notice),
            "line-message",
            "blue",
            ["blue", "red"],
            """{"action":"sent","message":{"id":"msg-0003","version":1,"from":"blue","to":["red"],"kind":"deconflict-request","subject":"Conflict cf-1","body":"Our operation op-a conflicts with your zone zn-7.","language":"en","refs":[{"kind":"conflict","id":"cf-1"}],"sent_at":"2026-11-26T09:30:00.125Z","requires_ack":true,"ack_due_at":"2026-11-26T09:35:00.125Z","receipts":{"red":{"escalation_level":0,"due_at":"2026-11-26T09:35:00.125Z"}},"notice_for":"cf-1"}}"""),
        Case(
            "receipt-delivered",
            typeof(LineReceiptPayload),
            () => LineEvents.Receipt("delivered", Delivered, "red"),
            "line-receipt",
            "red",
            ["blue", "red"],
            """{"action":"delivered","message_id":"msg-0001","party":"red","receipt":{"delivered_at":"2026-11-26T09:31:05Z","escalation_level":0,"due_at":"2026-11-26T09:31:30.125Z"},"message":{"id":"msg-0001","version":2,"from":"blue","to":["red","white"],"kind":"deconflict-request","subject":"Conflict cf-1 — проверка","body":"Line one\nLine \"two\"\t<b>&amp;</b> ✈ \uD83D\uDEE9 \\ end","language":"ru","refs":[{"kind":"conflict","id":"cf-1"},{"kind":"operation","id":"op-0193a1b2c3d4"}],"place":{"lat":35.5,"lng":36.125,"time":"2026-11-26T09:30:00.125Z"},"sent_at":"2026-11-26T09:30:00.125Z","requires_ack":true,"ack_due_at":"2026-11-26T09:31:30.125Z","receipts":{"red":{"delivered_at":"2026-11-26T09:31:05Z","escalation_level":0,"due_at":"2026-11-26T09:31:30.125Z"},"white":{"escalation_level":0,"due_at":"2026-11-26T09:31:30.125Z"}}}}"""),
        Case(
            "receipt-acknowledged",
            typeof(LineReceiptPayload),
            () => LineEvents.Receipt("acknowledged", Acknowledged, "red"),
            "line-receipt",
            "red",
            ["blue", "red"],
            """{"action":"acknowledged","message_id":"msg-0001","party":"red","receipt":{"delivered_at":"2026-11-26T09:31:05Z","read_at":"2026-11-26T10:00:00.007Z","acknowledged_at":"2026-11-26T10:00:00.007Z","acknowledged_by":"Officer Ödön","note":"Seen;\tclimbing to FL120.\nOut.","escalation_level":0},"message":{"id":"msg-0001","version":3,"from":"blue","to":["red","white"],"kind":"deconflict-request","subject":"Conflict cf-1 — проверка","body":"Line one\nLine \"two\"\t<b>&amp;</b> ✈ \uD83D\uDEE9 \\ end","language":"ru","refs":[{"kind":"conflict","id":"cf-1"},{"kind":"operation","id":"op-0193a1b2c3d4"}],"place":{"lat":35.5,"lng":36.125,"time":"2026-11-26T09:30:00.125Z"},"sent_at":"2026-11-26T09:30:00.125Z","requires_ack":true,"ack_due_at":"2026-11-26T09:31:30.125Z","receipts":{"red":{"delivered_at":"2026-11-26T09:31:05Z","read_at":"2026-11-26T10:00:00.007Z","acknowledged_at":"2026-11-26T10:00:00.007Z","acknowledged_by":"Officer Ödön","note":"Seen;\tclimbing to FL120.\nOut.","escalation_level":0},"white":{"escalation_level":0,"due_at":"2026-11-26T09:31:30.125Z"}}}}"""),
        Case(
            "overdue",
            typeof(LineOverduePayload),
            () => LineEvents.Overdue(Message, Overdue.Escalation, Overdue.Next),
            "line-overdue",
            null,
            ["blue", "red"],
            """{"message_id":"msg-0001","from":"blue","recipient":"red","subject":"Conflict cf-1 — проверка","escalation_level":1,"due_at":"2026-11-26T09:31:30.125Z","next_due_at":"2026-11-26T09:32:30.125Z","message":{"id":"msg-0001","version":2,"from":"blue","to":["red","white"],"kind":"deconflict-request","subject":"Conflict cf-1 — проверка","body":"Line one\nLine \"two\"\t<b>&amp;</b> ✈ \uD83D\uDEE9 \\ end","language":"ru","refs":[{"kind":"conflict","id":"cf-1"},{"kind":"operation","id":"op-0193a1b2c3d4"}],"place":{"lat":35.5,"lng":36.125,"time":"2026-11-26T09:30:00.125Z"},"sent_at":"2026-11-26T09:30:00.125Z","requires_ack":true,"ack_due_at":"2026-11-26T09:31:30.125Z","receipts":{"red":{"escalation_level":1,"due_at":"2026-11-26T09:32:30.125Z"},"white":{"escalation_level":1,"due_at":"2026-11-26T09:32:30.125Z"}}}}"""),
        Case(
            "overdue-last",
            typeof(LineOverduePayload),
            () => LineEvents.Overdue(FreeText, LastOverdue.Escalation, LastOverdue.Next),
            "line-overdue",
            null,
            ["red", "blue"],
            """{"message_id":"msg-0002","from":"red","recipient":"blue","subject":"Hello","escalation_level":1,"due_at":"2026-11-26T09:31:05Z","message":{"id":"msg-0002","version":2,"from":"red","to":["blue"],"kind":"free-text","subject":"Hello","body":"","language":"en","refs":[],"sent_at":"2026-11-26T09:31:05Z","requires_ack":true,"ack_due_at":"2026-11-26T09:31:05Z","receipts":{"blue":{"escalation_level":1}}}}"""),
        Case(
            "call-failed",
            typeof(EscalationCallPayload),
            () => LineEvents.EscalationCallMade(new EscalationCall("red", 1, "https://a.example/ü", LineEvents.OverdueNotice(Message, Overdue.Escalation)), 2, 3, false, "timeout", null, T1),
            "line-escalation-call",
            null,
            ["red"],
            """{"party":"red","level":1,"url":"https://a.example/ü","attempt":2,"of":3,"ok":false,"outcome":"timeout","at":"2026-11-26T09:31:05Z","escalation":{"message_id":"msg-0001","from":"blue","recipient":"red","subject":"Conflict cf-1 — проверка","escalation_level":1,"due_at":"2026-11-26T09:31:30.125Z","next_due_at":"2026-11-26T09:32:30.125Z"}}"""),
        Case(
            "call-ok",
            typeof(EscalationCallPayload),
            () => LineEvents.EscalationCallMade(new EscalationCall("red", 2, "https://b.example/hook?x=1&y=2", LineEvents.OverdueNotice(Message, Overdue.Escalation)), 1, 3, true, "delivered", 204, T2),
            "line-escalation-call",
            null,
            ["red"],
            """{"party":"red","level":2,"url":"https://b.example/hook?x=1&y=2","attempt":1,"of":3,"ok":true,"outcome":"delivered","status":204,"at":"2026-11-26T10:00:00.007Z","escalation":{"message_id":"msg-0001","from":"blue","recipient":"red","subject":"Conflict cf-1 — проверка","escalation_level":1,"due_at":"2026-11-26T09:31:30.125Z","next_due_at":"2026-11-26T09:32:30.125Z"}}"""),
        Case(
            "cosignature",
            typeof(CosignaturePayload),
            () => RecordEvents.Cosignature("blue", 1042, RootHash, 1_790_000_000, Signature),
            "record-cosignature",
            "blue",
            [],
            """{"party":"blue","size":1042,"root_hash":"fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0efeeedecebeae9e8e7e6e5e4e3e2e1e0","timestamp":1790000000,"signature":"AAMGCQwPEhUYGx4hJCcqLTAzNjk8P0JFSEtOUVRXWl1gY2ZpbG9ydXh7foGEh4qNkJOWmZyfoqWoq66xtLe6vQ=="}"""),
        Case(
            "reveal",
            typeof(RevealPayload),
            () => RecordEvents.Reveal("blue", 7),
            "record-reveal",
            "blue",
            [],
            """{"index":7,"revealed_by":"blue"}"""),
        Case(
            "reveal-admin",
            typeof(RevealPayload),
            () => RecordEvents.Reveal(null, 7),
            "record-reveal",
            null,
            [],
            """{"index":7}"""),
        Case(
            "alert-blue",
            typeof(TrackAlertPayload),
            () => AlertEvents.ForSide("raised", Alert, "blue", null),
            "track-alert",
            null,
            ["blue"],
            """{"action":"raised","alert":{"id":"al-1","version":2,"state":"active","level":"warning","a":{"party":"blue","own":true,"track_id":"trk-B1","callsign":"BLU01","time":"2026-11-26T09:30:01.1234567Z","position":{"lat":35.123456789,"lng":36.987654321},"altitude_m":1523.4,"velocity":{"east_mps":12.5,"north_mps":-3.25,"up_mps":1E-05}},"b":{"party":"red","own":false,"time":"2026-11-26T09:30:00.125Z","position":{"lat":-0.5,"lng":179.999},"altitude_m":0,"velocity":{"east_mps":-250,"north_mps":1E+21,"up_mps":-7.125}},"time_to_loss_s":42.123,"cpa":{"time":"2026-11-26T09:31:05Z","horizontal_m":1234.6,"vertical_m":0},"predicted_at":"2026-11-26T09:30:00.125Z","acknowledged_by":{"red":"2026-11-26T09:31:05Z"},"raised_at":"2026-11-26T09:30:00.125Z","updated_at":"2026-11-26T09:31:05Z"}}"""),
        Case(
            "alert-red",
            typeof(TrackAlertPayload),
            () => AlertEvents.ForSide("raised", Alert, "red", null),
            "track-alert",
            null,
            ["red"],
            """{"action":"raised","alert":{"id":"al-1","version":2,"state":"active","level":"warning","a":{"party":"blue","own":false,"time":"2026-11-26T09:30:01.1234567Z","position":{"lat":35.123456789,"lng":36.987654321},"altitude_m":1523.4,"velocity":{"east_mps":12.5,"north_mps":-3.25,"up_mps":1E-05}},"b":{"party":"red","own":true,"track_id":"trk-R9","time":"2026-11-26T09:30:00.125Z","position":{"lat":-0.5,"lng":179.999},"altitude_m":0,"velocity":{"east_mps":-250,"north_mps":1E+21,"up_mps":-7.125}},"time_to_loss_s":42.123,"cpa":{"time":"2026-11-26T09:31:05Z","horizontal_m":1234.6,"vertical_m":0},"predicted_at":"2026-11-26T09:30:00.125Z","acknowledged_by":{"red":"2026-11-26T09:31:05Z"},"raised_at":"2026-11-26T09:30:00.125Z","updated_at":"2026-11-26T09:31:05Z"}}"""),
        Case(
            "alert-cleared",
            typeof(TrackAlertPayload),
            () => AlertEvents.ForSide("cleared", ClearedAlert, "red", "red"),
            "track-alert",
            "red",
            ["red"],
            """{"action":"cleared","alert":{"id":"al-1","version":3,"state":"cleared","level":"warning","a":{"party":"blue","own":false,"time":"2026-11-26T09:30:01.1234567Z","position":{"lat":35.123456789,"lng":36.987654321},"altitude_m":1523.4,"velocity":{"east_mps":12.5,"north_mps":-3.25,"up_mps":1E-05},"lost":true},"b":{"party":"red","own":true,"track_id":"trk-R9","time":"2026-11-26T09:30:00.125Z","position":{"lat":-0.5,"lng":179.999},"altitude_m":0,"velocity":{"east_mps":-250,"north_mps":1E+21,"up_mps":-7.125}},"time_to_loss_s":42.123,"cpa":{"time":"2026-11-26T09:31:05Z","horizontal_m":1234.6,"vertical_m":0},"predicted_at":"2026-11-26T09:30:00.125Z","acknowledged_by":{"red":"2026-11-26T09:31:05Z"},"raised_at":"2026-11-26T09:30:00.125Z","updated_at":"2026-11-26T10:00:00.007Z","cleared_at":"2026-11-26T10:00:00.007Z","cleared_reason":"track-stale","track_lost_at":"2026-11-26T09:31:05Z"}}"""),
    ];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void An_event_renders_to_the_bytes_it_always_had(string name)
    {
        var c = Cases.Single(c => c.Name == name);
        var e = c.Make();
        Assert.Equal(c.Payload, e.PayloadJson);
        Assert.Equal(c.Type, e.Type);
        Assert.Equal(c.Actor, e.Actor);
        Assert.Equal(c.Audience, e.Audience.ToArray());
    }

    [Theory]
    [MemberData(nameof(WebhookBodies))]
    public void An_escalation_webhook_body_renders_to_the_bytes_its_call_entries_hold(string name, Func<string> make, string expected)
    {
        Assert.False(string.IsNullOrEmpty(name));
        Assert.Equal(expected, make());
    }

    [Fact]
    public void Every_payload_type_has_a_golden_case_and_is_written_by_the_record_context()
    {
        var payloads = typeof(OperationPayload).Assembly.GetTypes()
            .Where(t => t.Namespace == typeof(OperationPayload).Namespace && t.IsPublic)
            .OrderBy(t => t.Name, StringComparer.Ordinal)
            .ToArray();
        Assert.Equal(17, payloads.Length);
        foreach (var t in payloads)
        {
            Assert.True(Cases.Any(c => c.PayloadType == t), $"{t.Name} has no golden case in EventBytesTests.");
            Assert.NotNull(RecordJsonContext.Default.GetTypeInfo(t));
        }
    }

    [Fact]
    public void Every_event_type_the_service_names_has_a_golden_case()
    {
        // Every event type constant (EventTypes, and each feature's *Event constants) and the admin token's type.
        var named = typeof(RecordEvents).Assembly.GetTypes()
            .Concat([typeof(EventTypes)])
            .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.Static))
            .Where(f => f.IsLiteral && f.FieldType == typeof(string) && (f.DeclaringType == typeof(EventTypes) || f.Name.EndsWith("Event", StringComparison.Ordinal)))
            .Select(f => (string)f.GetRawConstantValue()!)
            .Append(TokenEvents.Type(RevokedAdminToken))
            .Except(NotEntries)
            .ToHashSet(StringComparer.Ordinal);
        Assert.Equal(
            ["admin-token", "conflict", "line-escalation-call", "line-message", "line-overdue", "line-receipt", "operation", "party", "record-cosignature", "record-reveal", "track-alert", "zone"],
            named.Order(StringComparer.Ordinal));
        foreach (var type in named)
        {
            Assert.True(Cases.Any(c => c.Type == type), $"Event type '{type}' has no golden case in EventBytesTests.");
        }
    }

    [Fact]
    public void The_record_context_refuses_type_information_of_other_options()
    {
        var other = new System.Text.Json.JsonSerializerOptions(Deconflict.Api.Json.Options) { TypeInfoResolver = RecordJsonContext.Default };
        var info = (System.Text.Json.Serialization.Metadata.JsonTypeInfo<RevealPayload>)other.GetTypeInfo(typeof(RevealPayload));
        Assert.Throws<ArgumentException>(() => RecordJsonContext.Write(new RevealPayload(1, null), info));
        Assert.Equal("""{"index":1}""", RecordJsonContext.Write(new RevealPayload(1, null), RecordJsonContext.Default.RevealPayload));
    }

    private static GoldenCase Case(string name, Type payloadType, Func<DomainEvent> make, string type, string? actor, string[] audience, string payload) =>
        new(name, payloadType, make, type, actor, audience, payload);

    private sealed record GoldenCase(string Name, Type PayloadType, Func<DomainEvent> Make, string Type, string? Actor, string[] Audience, string Payload);
}
