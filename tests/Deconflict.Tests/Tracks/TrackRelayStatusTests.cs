using Deconflict.Tracks;
using Microsoft.Extensions.Time.Testing;

namespace Deconflict.Tests.Tracks;

/// <summary>
/// When a node of a cluster pauses detection: while NATS is lost and for
/// <see cref="TrackRelayStatus.ResumeAfter"/> (2 s) after it comes back, never for the connection a
/// starting node opens first, whichever of its event and the start is told first.
/// </summary>
public sealed class TrackRelayStatusTests
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 9, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_first_connection_of_a_starting_node_pauses_nothing(bool eventBeforeStart)
    {
        var status = new TrackRelayStatus(new FakeTimeProvider(T0));
        if (eventBeforeStart)
        {
            status.ConnectionOpened();
            status.Started(connected: true);
        }
        else
        {
            status.Started(connected: true);
            status.ConnectionOpened();
        }

        Assert.True(status.Connected);
        Assert.False(status.DetectionPaused);
        Assert.Null(status.Warning);
    }

    [Fact]
    public void A_lost_connection_pauses_detection_until_two_seconds_after_it_is_back()
    {
        var clock = new FakeTimeProvider(T0);
        var status = new TrackRelayStatus(clock);
        status.Started(connected: true);

        clock.Advance(TimeSpan.FromSeconds(5));
        status.ConnectionLost();
        Assert.True(status.DetectionPaused);
        Assert.Equal("NATS is unreachable since 2030-01-01T09:00:05Z: track reports are not relayed between the nodes and tactical detection is paused until it returns.", status.Warning);

        clock.Advance(TimeSpan.FromSeconds(10));
        status.ConnectionOpened();
        Assert.True(status.DetectionPaused);
        Assert.Equal("NATS is reachable again since 2030-01-01T09:00:15Z: tactical detection resumes at 2030-01-01T09:00:17Z, once the other nodes' tracks are relayed again.", status.Warning);

        clock.Advance(TimeSpan.FromMilliseconds(1999));
        Assert.True(status.DetectionPaused);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.False(status.DetectionPaused);
        Assert.Null(status.Warning);
    }

    [Fact]
    public void A_node_that_started_without_nats_pauses_until_two_seconds_after_its_first_connection()
    {
        var clock = new FakeTimeProvider(T0);
        var status = new TrackRelayStatus(clock);
        status.Started(connected: false);
        Assert.True(status.DetectionPaused);

        clock.Advance(TimeSpan.FromSeconds(3));
        status.ConnectionOpened();
        Assert.True(status.DetectionPaused);
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.False(status.DetectionPaused);
    }
}
