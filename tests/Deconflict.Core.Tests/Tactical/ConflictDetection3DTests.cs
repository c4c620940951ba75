using Deconflict.Core.Tactical;

namespace Deconflict.Core.Tests.Tactical;

/// <summary>
/// The cylinder detection against encounters computed by hand (D = 5,556 m, H = 304.8 m,
/// T = 120 s unless stated). Times to 1e-9 s, distances to 1e-6 m.
/// </summary>
public class ConflictDetection3DTests
{
    private const double D = 5556.0;
    private const double H = 304.8;
    private const double T = 120.0;
    private static readonly Enu Still = new(0, 0, 0);

    [Fact]
    public void Head_on_enters_when_the_gap_closes_to_D()
    {
        // 20 km apart, closing at 200 m/s: inside from (20,000 - 5,556) / 200 s, CPA (0 m) at 100 s.
        var e = ConflictDetection3D.Detect(new Enu(0, 0, 3000), new Enu(100, 0, 0), new Enu(20000, 0, 3000), new Enu(-100, 0, 0), D, H, T);
        Assert.True(e.Conflict);
        Assert.Equal(72.22, e.TimeIn, 9);
        Assert.Equal(120.0, e.TimeOut, 9);
        Assert.Equal(100.0, e.CpaTime, 9);
        Assert.Equal(0.0, e.CpaHorizontalM, 6);
        Assert.False(e.LossNow);

        // With 60 s of look-ahead the same pair is not (yet) a conflict.
        Assert.False(ConflictDetection3D.Detect(new Enu(0, 0, 3000), new Enu(100, 0, 0), new Enu(20000, 0, 3000), new Enu(-100, 0, 0), D, H, 60).Conflict);
    }

    [Fact]
    public void Crossing_at_right_angles()
    {
        // Each 10 km from the crossing point at 100 m/s: |s + t v|^2 = 20,000 t^2 - 4e6 t + 2e8;
        // inside for t in 100 -+ D / sqrt(20,000).
        var e = ConflictDetection3D.Detect(new Enu(0, -10000, 0), new Enu(0, 100, 0), new Enu(-10000, 0, 0), new Enu(100, 0, 0), D, H, 200);
        Assert.True(e.Conflict);
        Assert.Equal(100 - (D / Math.Sqrt(20000)), e.TimeIn, 9);
        Assert.Equal(100 + (D / Math.Sqrt(20000)), e.TimeOut, 9);
        Assert.Equal(100.0, e.CpaTime, 9);
    }

    [Fact]
    public void Overtaking_on_the_same_track()
    {
        // 10 km behind, 50 m/s faster: inside from (10,000 - 5,556) / 50 s.
        var e = ConflictDetection3D.Detect(new Enu(-10000, 0, 0), new Enu(150, 0, 0), Still, new Enu(100, 0, 0), D, H, T);
        Assert.Equal(88.88, e.TimeIn, 9);
        Assert.Equal(120.0, e.TimeOut, 9);
    }

    [Fact]
    public void Climbing_through_another_aircrafts_level()
    {
        // Over the same point, 1,000 m below and climbing at 10 m/s: inside the band for t in (1,000 -+ H) / 10.
        var e = ConflictDetection3D.Detect(new Enu(0, 0, 0), new Enu(0, 0, 10), new Enu(0, 0, 1000), Still, D, H, 200);
        Assert.Equal(69.52, e.TimeIn, 9);
        Assert.Equal(130.48, e.TimeOut, 9);
        Assert.Equal(0.0, e.CpaHorizontalM, 9);
    }

    [Fact]
    public void Parallel_at_equal_velocity_is_a_conflict_only_when_already_inside()
    {
        var inside = ConflictDetection3D.Detect(new Enu(3000, 0, 100), new Enu(200, 50, 0), Still, new Enu(200, 50, 0), D, H, T);
        Assert.True(inside.LossNow);
        Assert.Equal((0.0, 120.0), (inside.TimeIn, inside.TimeOut));
        Assert.False(ConflictDetection3D.Detect(new Enu(8000, 0, 0), new Enu(200, 50, 0), Still, new Enu(200, 50, 0), D, H, T).Conflict);
        // Exactly at D (the cylinder is open): not a loss.
        Assert.False(ConflictDetection3D.Detect(new Enu(D, 0, 0), Still, Still, Still, D, H, T).Conflict);
    }

    [Fact]
    public void Already_in_loss_and_diverging()
    {
        var now = ConflictDetection3D.Detect(new Enu(1000, 0, 100), new Enu(100, 0, 0), Still, Still, D, H, T);
        Assert.True(now.LossNow);
        Assert.Equal(0.0, now.TimeIn);
        Assert.Equal(45.56, now.TimeOut, 9); // leaves the circle when 1,000 + 100 t = 5,556

        Assert.False(ConflictDetection3D.Detect(new Enu(6000, 0, 0), new Enu(100, 0, 0), Still, Still, D, H, T).Conflict);
    }

    [Fact]
    public void Vertical_only_conflict_when_horizontally_inside_all_along()
    {
        var e = ConflictDetection3D.Detect(new Enu(1000, 0, -2000), Still, Still, new Enu(0, 0, -20), D, H, T);
        // Passes through the band: inside for t in (2,000 -+ H) / 20.
        Assert.Equal((2000 - H) / 20, e.TimeIn, 9);
        Assert.Equal((2000 + H) / 20, e.TimeOut, 9);
        Assert.Equal(1000.0, e.CpaHorizontalM, 9);
    }

    [Fact]
    public void Bad_parameters_are_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ConflictDetection3D.Detect(Still, Still, Still, Still, 0, H, T));
}
