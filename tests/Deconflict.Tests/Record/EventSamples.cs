using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using Deconflict.Core.Geometry;
using Deconflict.Core.Line;
using Deconflict.Core.Model;
using Deconflict.Core.Tactical;
using Deconflict.Core.Volumes;

namespace Deconflict.Tests.Record;

/// <summary>
/// Fixed objects for the golden event payloads (EventBytesTests): non-ASCII text (Latin,
/// Cyrillic, Greek, an emoji outside the BMP), quotes, tabs and newlines, HTML characters, fractional and
/// tiny numbers, times with and without fractions, and members absent (null) as well as present.
/// </summary>
internal static class EventSamples
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 26, 9, 30, 0, 125, TimeSpan.Zero);
    public static readonly DateTimeOffset T1 = new(2026, 11, 26, 9, 31, 5, TimeSpan.Zero);
    public static readonly DateTimeOffset T2 = new(2026, 11, 26, 10, 0, 0, 7, TimeSpan.Zero);

    /// <summary>A track time with sub-millisecond ticks (reports carry whatever the feed gave).</summary>
    public static readonly DateTimeOffset TrackTime = new DateTimeOffset(2026, 11, 26, 9, 30, 1, TimeSpan.Zero).AddTicks(1_234_567);

    private static readonly GeometryLimits Limits = new();

    public static Declaration Operation { get; } = new Declaration(
        DeclarationKind.Operation,
        "op-0193a1b2c3d4",
        "blue",
        3,
        DeclarationState.Active,
        10,
        null,
        null,
        [
            new Volume4D(
                OutlineFactory.Polygon([new GeoPoint(35.123456, 36.5), new GeoPoint(35.2, 36.75), new GeoPoint(35.05, 36.9)], Limits).Outline!,
                120.5,
                1500.25,
                T0,
                T0.AddHours(2)),
        ],
        "{\"pilot\":\"Łukasz Żółć\"}",
        T0.AddHours(-1),
        T0)
    { DetailsSalt = "00112233445566778899aabbccddeeff", RecordIndex = 41 };

    public static Declaration Zone { get; } = new Declaration(
        DeclarationKind.Zone,
        "zn-7",
        "red",
        1,
        DeclarationState.Planned,
        0,
        ZoneRule.Exclusive,
        "Zone Ω – \"Alpha\" <b>&</b> 🛩",
        [new Volume4D(OutlineFactory.Circle(new GeoPoint(34.5, 38.25), 2500.75, Limits).Outline!, 0, 3048, T1, T2)],
        null,
        T1,
        T1);

    public static Conflict AcknowledgedConflict { get; } = new Conflict(
        "cf-1",
        2,
        ConflictState.Acknowledged,
        new ConflictRef(DeclarationKind.Operation, "op-0193a1b2c3d4", "blue", 3),
        new ConflictRef(DeclarationKind.Zone, "zn-7", "red", 1),
        new VolumeOverlap(T1, T2, 120.5, 999.999),
        ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [new KeyValuePair<string, DateTimeOffset>("red", T1)]),
        ImmutableSortedDictionary.Create<string, DateTimeOffset>(StringComparer.Ordinal),
        T0,
        T1,
        null)
    { RecordIndex = 12 };

    public static Conflict ResolvedOwnConflict { get; } = new Conflict(
        "cf-2",
        4,
        ConflictState.Resolved,
        new ConflictRef(DeclarationKind.Operation, "op-a", "blue", 1),
        new ConflictRef(DeclarationKind.Operation, "op-b", "blue", 2),
        new VolumeOverlap(T0, T1, 0, 0.1),
        ImmutableSortedDictionary.Create<string, DateTimeOffset>(StringComparer.Ordinal),
        ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [new KeyValuePair<string, DateTimeOffset>("blue", T1)]),
        T0,
        T2,
        T2);

    public static Party BlueParty { get; } = new("blue", "Blue Force — Синие", PartyRole.Party, T0);

    public static Party Observer { get; } = new("watch", "Ωmega watch", PartyRole.Observer, T1);

    public static AccessToken PartyToken { get; } = new("tk-0001", "blue", SHA256.HashData(Encoding.UTF8.GetBytes("secret")), T0, null);

    public static AccessToken RevokedAdminToken { get; } = new("tk-admin", null, SHA256.HashData(Encoding.UTF8.GetBytes("admin")), T0, T2);

    public static byte[] PublicKey { get; } = [.. Enumerable.Range(0, 32).Select(i => (byte)(i * 7))];

    public static byte[] RootHash { get; } = [.. Enumerable.Range(0, 32).Select(i => (byte)(255 - i))];

    public static byte[] Signature { get; } = [.. Enumerable.Range(0, 64).Select(i => (byte)(i * 3))];

    /// <summary>Contacts as posted: out of order, with a duplicate.</summary>
    public static IReadOnlyList<(int Level, string Url)> Contacts { get; } =
        [(2, "https://b.example/hook?x=1&y=2"), (1, "https://a.example/ü"), (1, "https://a.example/ü")];

    public static LineMessage Message { get; } = LineClock.Send(
        "msg-0001",
        "blue",
        ["red", "white"],
        MessageKind.DeconflictRequest,
        "Conflict cf-1 — проверка",
        "Line one\nLine \"two\"\t<b>&amp;</b> ✈ 🛩 \\ end",
        "ru",
        [new LineRef("conflict", "cf-1"), new LineRef("operation", "op-0193a1b2c3d4")],
        new LinePlace(35.5, 36.125, T0),
        T0,
        TimeSpan.FromSeconds(90)) with
    { RecordIndex = 30 };

    public static LineMessage FreeText { get; } = LineClock.Send(
        "msg-0002", "red", ["blue"], MessageKind.FreeText, "Hello", "", "en", [], null, T1, null);

    public static LineMessage Notice { get; } = LineClock.Send(
        "msg-0003",
        "blue",
        ["red"],
        MessageKind.DeconflictRequest,
        "Conflict cf-1",
        "Our operation op-a conflicts with your zone zn-7.",
        "en",
        [new LineRef("conflict", "cf-1")],
        null,
        T0,
        TimeSpan.FromSeconds(300)) with
    { NoticeFor = "cf-1" };

    public static LineMessage Delivered { get; } = LineClock.Delivered(Message, "red", T1);

    public static LineMessage Acknowledged { get; } = LineClock.Acknowledge(Delivered, "red", "Officer Ödön", "Seen;\tclimbing to FL120.\nOut.", T2);

    public static (LineMessage Next, Escalation Escalation) Overdue { get; } = Escalate(Message, 3);

    public static (LineMessage Next, Escalation Escalation) LastOverdue { get; } = Escalate(FreeText with { AckDueAt = T1, RequiresAck = true, Receipts = FreeText.Receipts.SetItem("blue", Receipt.Pending(T1)) }, 1);

    public static TrackAlert Alert { get; } = new(
        "al-1",
        2,
        AlertState.Active,
        AlertLevel.Warning,
        new AlertAircraft("blue", "trk-B1", "BLU01", TrackTime, 35.123456789, 36.987654321, 1523.4, new Enu(12.5, -3.25, 0.00001)),
        new AlertAircraft("red", "trk-R9", null, T0, -0.5, 179.999, 0, new Enu(-250, 1e21, -7.125)),
        42.123456,
        new ClosestApproach(T1, 1234.5678, 0.04),
        T0,
        ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [new KeyValuePair<string, DateTimeOffset>("red", T1)]),
        T0,
        T1,
        null)
    { RecordIndex = 50 };

    public static TrackAlert ClearedAlert { get; } = AlertLifecycle.Clear(
        Alert with
        {
            A = Alert.A with { Lost = true },
            TrackLostAt = T1,
        },
        T2,
        ClearReason.TrackStale);

    private static (LineMessage, Escalation) Escalate(LineMessage m, int maxLevel)
    {
        var (next, fired) = LineClock.Escalate(m, m.AckDueAt!.Value, TimeSpan.FromSeconds(60), maxLevel);
        return (next, fired[0]);
    }
}
