using Deconflict.Core.Line;

namespace Deconflict.Core.Tests.Line;

/// <summary>Every transition of the acknowledgement clock, with exact times.</summary>
public class LineClockTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 26, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan AckWithin = TimeSpan.FromSeconds(300);
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(120);

    private static LineMessage Sent(TimeSpan? ackWithin = null) =>
        LineClock.Send("msg-1", "blue", ["red", "green"], MessageKind.FreeText, "Tanker track", "Moving the tanker track 20 NM north.", "en", [], null, T0, ackWithin ?? AckWithin);

    [Fact]
    public void A_message_requiring_acknowledgement_is_due_at_sent_plus_ack_within_for_each_recipient()
    {
        var m = Sent();
        Assert.True(m.RequiresAck);
        Assert.Equal(T0.AddSeconds(300), m.AckDueAt);
        Assert.Equal(["green", "red"], m.Receipts.Keys);
        Assert.All(m.Receipts.Values, r => Assert.Equal(Receipt.Pending(T0.AddSeconds(300)), r));
        Assert.Equal(T0.AddSeconds(300), m.NextDueAt);

        var noAck = LineClock.Send("msg-2", "blue", ["red"], MessageKind.FreeText, "s", "b", "en", [], null, T0, null);
        Assert.False(noAck.RequiresAck);
        Assert.Null(noAck.NextDueAt);
        Assert.Empty(LineClock.Escalate(noAck, T0.AddDays(1), Interval, 3).Escalations);
    }

    [Fact]
    public void Acknowledged_in_time_never_escalates()
    {
        var m = Sent();
        var (same, none) = LineClock.Escalate(m, T0.AddSeconds(299.999), Interval, 3);
        Assert.Same(m, same);
        Assert.Empty(none);

        var acked = LineClock.Acknowledge(m, "red", "Maj. Volkov", "received", T0.AddSeconds(299));
        var r = acked.Receipts["red"];
        Assert.Equal((T0.AddSeconds(299), "Maj. Volkov", "received", (DateTimeOffset?)null, 0), (r.AcknowledgedAt!.Value, r.AcknowledgedBy, r.Note, r.DueAt, r.EscalationLevel));
        Assert.Equal(T0.AddSeconds(299), r.DeliveredAt);
        Assert.Equal(T0.AddSeconds(299), r.ReadAt);
        Assert.Equal(2, acked.Version);

        // Green did not acknowledge: only green escalates at the deadline (which is inclusive).
        var (after, escalations) = LineClock.Escalate(acked, T0.AddSeconds(300), Interval, 3);
        var e = Assert.Single(escalations);
        Assert.Equal(new Escalation("green", 1, T0.AddSeconds(300), T0.AddSeconds(420)), e);
        Assert.Equal(0, after.Receipts["red"].EscalationLevel);
    }

    [Fact]
    public void Overdue_recipients_escalate_each_interval_up_to_the_maximum_and_then_stop()
    {
        var m = Sent();
        var (l1, e1) = LineClock.Escalate(m, T0.AddSeconds(300), Interval, 3);
        Assert.Equal([1, 1], e1.Select(e => e.Level));
        Assert.Equal(T0.AddSeconds(420), l1.Receipts["red"].DueAt);

        var (l2, e2) = LineClock.Escalate(l1, T0.AddSeconds(420), Interval, 3);
        Assert.Equal([2, 2], e2.Select(e => e.Level));
        var (l3, e3) = LineClock.Escalate(l2, T0.AddSeconds(540), Interval, 3);
        Assert.Equal([3, 3], e3.Select(e => e.Level));
        Assert.All(e3, e => Assert.Null(e.NextDueAt));
        Assert.Null(l3.NextDueAt);
        Assert.Empty(LineClock.Escalate(l3, T0.AddDays(1), Interval, 3).Escalations);
        Assert.Equal(4, l3.Version);
    }

    [Fact]
    public void An_acknowledgement_after_escalation_stops_the_clock_at_its_level()
    {
        var (l1, _) = LineClock.Escalate(Sent(), T0.AddSeconds(300), Interval, 3);
        var acked = LineClock.Acknowledge(l1, "red", "Col. Smith", null, T0.AddSeconds(400));
        Assert.Equal(1, acked.Receipts["red"].EscalationLevel);
        Assert.Null(acked.Receipts["red"].DueAt);
        var (_, later) = LineClock.Escalate(acked, T0.AddSeconds(420), Interval, 3);
        Assert.Equal(["green"], later.Select(e => e.Recipient));

        // A second acknowledgement changes nothing: the first is the one on the record.
        Assert.Same(acked, LineClock.Acknowledge(acked, "red", "someone else", "late", T0.AddSeconds(500)));
    }

    [Fact]
    public void Deadlines_missed_while_down_all_fire_in_order_with_their_own_times()
    {
        var (m, escalations) = LineClock.Escalate(Sent(), T0.AddHours(2), Interval, 3);
        Assert.Equal(6, escalations.Length);
        Assert.Equal(
            [T0.AddSeconds(300), T0.AddSeconds(300), T0.AddSeconds(420), T0.AddSeconds(420), T0.AddSeconds(540), T0.AddSeconds(540)],
            escalations.Select(e => e.DueAt));
        Assert.Equal(["green", "red", "green", "red", "green", "red"], escalations.Select(e => e.Recipient));
        Assert.All(m.Receipts.Values, r => Assert.Equal(3, r.EscalationLevel));
    }

    [Fact]
    public void Delivery_and_reading_count_the_first_time_and_strangers_are_refused()
    {
        var m = Sent();
        var delivered = LineClock.Delivered(m, "red", T0.AddSeconds(1));
        Assert.Same(delivered, LineClock.Delivered(delivered, "red", T0.AddSeconds(5)));
        var read = LineClock.Read(delivered, "red", T0.AddSeconds(10));
        Assert.Equal((T0.AddSeconds(1), T0.AddSeconds(10)), (read.Receipts["red"].DeliveredAt!.Value, read.Receipts["red"].ReadAt!.Value));
        Assert.Equal(T0.AddSeconds(300), read.Receipts["red"].DueAt);
        var readFirst = LineClock.Read(m, "green", T0.AddSeconds(7));
        Assert.Equal(T0.AddSeconds(7), readFirst.Receipts["green"].DeliveredAt);
        Assert.Throws<ArgumentException>(() => LineClock.Acknowledge(m, "blue", "x", null, T0));
    }
}
