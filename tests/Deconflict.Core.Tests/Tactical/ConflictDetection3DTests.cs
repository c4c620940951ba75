using Deconflict.Core.Tactical;

namespace Deconflict.Core.Tests.Tactical;

/// <summary>
/// The cylinder detection against encounters computed by hand: D = 5,556 m (3 NM), H = 304.8 m
/// (1,000 ft), T = 120 s unless stated. s = own - intruder and v = own velocity - intruder velocity
/// are the relative position and velocity; horizontal loss is |s_h + t v_h| &lt; D, vertical loss
/// |s_z + t v_z| &lt; H. Times to 1e-9 s, distances to 1e-6 m (the arithmetic is exact to far
/// better; the margin is floating point only). The same encounters, run through DAIDALUS's CD3D,
/// are in Data/daidalus-cd3d.csv (source "constructed") and checked by <see cref="Cd3dDaidalusTests"/>.
/// </summary>
public class ConflictDetection3DTests
{
    private const double D = 5556.0;
    private const double H = 304.8;
    private const double T = 120.0;
    private const int Seconds = 9;
    private const int Metres = 6;
    private static readonly Enu Still = new(0, 0, 0);

    [Fact]
    public void Head_on_enters_when_the_gap_closes_to_D()
    {
        // s = (-20,000, 0, 0), v = (200, 0, 0): |-20,000 + 200 t| < 5,556 for t in
        // ((20,000 - 5,556) / 200, (20,000 + 5,556) / 200) = (72.22, 127.78); cut at T = 120.
        // CPA: -s.v / |v|^2 = 4e6 / 4e4 = 100 s, at 0 m.
        var e = ConflictDetection3D.Detect(new Enu(0, 0, 3000), new Enu(100, 0, 0), new Enu(20000, 0, 3000), new Enu(-100, 0, 0), D, H, T);
        Assert.True(e.Conflict);
        Assert.Equal(72.22, e.TimeIn, Seconds);
        Assert.Equal(120.0, e.TimeOut, Seconds);
        Assert.Equal(100.0, e.CpaTime, Seconds);
        Assert.Equal(0.0, e.CpaHorizontalM, Metres);
        Assert.Equal(0.0, e.CpaVerticalM, Metres);
        Assert.False(e.LossNow);

        // With 60 s of look-ahead the entry at 72.22 s is beyond it: not (yet) a conflict.
        Assert.False(ConflictDetection3D.Detect(new Enu(0, 0, 3000), new Enu(100, 0, 0), new Enu(20000, 0, 3000), new Enu(-100, 0, 0), D, H, 60).Conflict);
    }

    [Fact]
    public void Crossing_at_right_angles()
    {
        // Each 10 km from the crossing point at 100 m/s, one northbound, one eastbound:
        // s = (10,000, -10,000), v = (-100, 100), so |s + t v| = sqrt(2) |10,000 - 100 t| < 5,556
        // for |t - 100| < 5,556 / (100 sqrt 2) = 39.2858...: t in (60.7142..., 139.2858...). T = 200.
        var e = ConflictDetection3D.Detect(new Enu(0, -10000, 0), new Enu(0, 100, 0), new Enu(-10000, 0, 0), new Enu(100, 0, 0), D, H, 200);
        var half = D / (100 * Math.Sqrt(2));
        Assert.True(e.Conflict);
        Assert.Equal(100 - half, e.TimeIn, Seconds);
        Assert.Equal(100 + half, e.TimeOut, Seconds);
        Assert.Equal(100.0, e.CpaTime, Seconds);
        Assert.Equal(0.0, e.CpaHorizontalM, Metres);
    }

    [Fact]
    public void Overtaking_on_the_same_track()
    {
        // 10 km behind, 50 m/s faster: s = (-10,000, 0, 0), v = (50, 0, 0); inside for t in
        // ((10,000 - 5,556) / 50, (10,000 + 5,556) / 50) = (88.88, 311.12), cut at 120. The CPA
        // (200 s) is beyond T, so it is clamped to 120 s, where the gap is 10,000 - 50 x 120 = 4,000 m.
        var e = ConflictDetection3D.Detect(new Enu(-10000, 0, 0), new Enu(150, 0, 0), Still, new Enu(100, 0, 0), D, H, T);
        Assert.True(e.Conflict);
        Assert.Equal(88.88, e.TimeIn, Seconds);
        Assert.Equal(120.0, e.TimeOut, Seconds);
        Assert.Equal(120.0, e.CpaTime, Seconds);
        Assert.Equal(4000.0, e.CpaHorizontalM, Metres);
    }

    [Fact]
    public void Climbing_through_another_aircrafts_level()
    {
        // Flying alongside at 1 km (same horizontal velocity: horizontally inside throughout),
        // 1,000 m below and climbing at 10 m/s: s = (-1,000, 0, -1,000), v = (0, 0, 10);
        // |-1,000 + 10 t| < 304.8 for t in ((1,000 - 304.8) / 10, (1,000 + 304.8) / 10) = (69.52, 130.48).
        // No horizontal relative motion, so the reported CPA is at equal altitude: 1,000 / 10 = 100 s.
        var e = ConflictDetection3D.Detect(Still, new Enu(50, 0, 10), new Enu(1000, 0, 1000), new Enu(50, 0, 0), D, H, 180);
        Assert.True(e.Conflict);
        Assert.Equal(69.52, e.TimeIn, Seconds);
        Assert.Equal(130.48, e.TimeOut, Seconds);
        Assert.Equal(100.0, e.CpaTime, Seconds);
        Assert.Equal(1000.0, e.CpaHorizontalM, Metres);
        Assert.Equal(0.0, e.CpaVerticalM, Metres);
    }

    [Fact]
    public void Parallel_at_equal_velocity_is_a_conflict_for_the_whole_look_ahead_only_when_inside()
    {
        // v = 0: the distances never change. Inside (3,000 < 5,556 and 100 < 304.8): [0, T].
        var inside = ConflictDetection3D.Detect(new Enu(3000, 0, 100), new Enu(200, 50, 0), Still, new Enu(200, 50, 0), D, H, T);
        Assert.True(inside.LossNow);
        Assert.Equal(0.0, inside.TimeIn);
        Assert.Equal(120.0, inside.TimeOut);
        Assert.Equal((0.0, 3000.0, 100.0), (inside.CpaTime, inside.CpaHorizontalM, inside.CpaVerticalM));

        // Outside (8,000 m apart): never.
        var outside = ConflictDetection3D.Detect(new Enu(8000, 0, 0), new Enu(200, 50, 0), Still, new Enu(200, 50, 0), D, H, T);
        Assert.False(outside.Conflict);
        Assert.Equal(8000.0, outside.CpaHorizontalM, Metres);
    }

    [Fact]
    public void Already_in_loss_starts_at_zero()
    {
        // s = (1,000, 0, 100), v = (100, 0, 0): roots (-5,556 - 1,000) / 100 = -65.56 and
        // (5,556 - 1,000) / 100 = 45.56; cut at 0: [0, 45.56). The CPA (-10 s) is in the past: now.
        var e = ConflictDetection3D.Detect(new Enu(1000, 0, 100), new Enu(100, 0, 0), Still, Still, D, H, T);
        Assert.True(e.LossNow);
        Assert.Equal(0.0, e.TimeIn);
        Assert.Equal(45.56, e.TimeOut, Seconds);
        Assert.Equal((0.0, 1000.0, 100.0), (e.CpaTime, e.CpaHorizontalM, e.CpaVerticalM));
    }

    [Fact]
    public void Diverging_while_close_is_no_conflict()
    {
        // 6,000 m apart (444 m outside D) and opening at 100 m/s: roots (-5,556 - 6,000) / 100 and
        // (5,556 - 6,000) / 100 = -4.44 are both in the past.
        var e = ConflictDetection3D.Detect(new Enu(6000, 0, 0), new Enu(100, 0, 0), Still, Still, D, H, T);
        Assert.False(e.Conflict);
        Assert.Equal((0.0, 6000.0), (e.CpaTime, e.CpaHorizontalM));
    }

    [Fact]
    public void Vertical_only_conflict_when_co_located_horizontally()
    {
        // One above the other, 3,000 m apart, closing vertically at 15 + 5 = 20 m/s:
        // |3,000 - 20 t| < 304.8 for t in ((3,000 - 304.8) / 20, (3,000 + 304.8) / 20) = (134.76, 165.24).
        // Equal altitude (the reported CPA) at 3,000 / 20 = 150 s.
        var e = ConflictDetection3D.Detect(new Enu(0, 0, 3000), new Enu(0, 0, -15), Still, new Enu(0, 0, 5), D, H, 180);
        Assert.True(e.Conflict);
        Assert.Equal(134.76, e.TimeIn, Seconds);
        Assert.Equal(165.24, e.TimeOut, Seconds);
        Assert.Equal((150.0, 0.0, 0.0), (e.CpaTime, e.CpaHorizontalM, e.CpaVerticalM));

        // Offset 1,000 m horizontally (still inside D), the intruder 2,000 m above and descending at
        // 20 m/s through the ownship's level: s_z = -2,000, v_z = 20, so (2,000 -+ 304.8) / 20.
        var offset = ConflictDetection3D.Detect(new Enu(1000, 0, -2000), Still, Still, new Enu(0, 0, -20), D, H, T);
        Assert.Equal((2000 - H) / 20, offset.TimeIn, Seconds);
        Assert.Equal((2000 + H) / 20, offset.TimeOut, Seconds);
        Assert.Equal(100.0, offset.CpaTime, Seconds);
        Assert.Equal(1000.0, offset.CpaHorizontalM, Metres);
    }

    [Fact]
    public void Tangent_to_the_cylinder_is_no_conflict_because_it_is_open()
    {
        // s_h = (-20,000, 5,556), v_h = (100, 0): the path passes at exactly D at t = 200.
        // Delta = D^2 |v|^2 - (s x v)^2 = 5,556^2 x 100^2 - (-5,556 x 100)^2 = 0: never strictly inside.
        var e = ConflictDetection3D.Detect(new Enu(-20000, 5556, 0), new Enu(100, 0, 0), Still, Still, D, H, 300);
        Assert.False(e.Conflict);
        Assert.Equal(200.0, e.CpaTime, Seconds);
        Assert.Equal(D, e.CpaHorizontalM, Metres);

        // Level at exactly H apart while passing overhead: |s_z| = H is not a vertical loss.
        Assert.False(ConflictDetection3D.Detect(new Enu(1000, 0, H), new Enu(100, 0, 0), Still, new Enu(-100, 0, 0), D, H, T).Conflict);
    }

    [Fact]
    public void Entry_exactly_at_the_look_ahead_is_no_conflict_because_the_interval_is_half_open()
    {
        // s = (-17,556, 0, 0), v = (100, 0, 0): entry at (17,556 - 5,556) / 100 = 120 s = T.
        Assert.False(ConflictDetection3D.Detect(new Enu(-17556, 0, 0), new Enu(100, 0, 0), Still, Still, D, H, T).Conflict);

        // A millisecond more of look-ahead and it is one.
        var e = ConflictDetection3D.Detect(new Enu(-17556, 0, 0), new Enu(100, 0, 0), Still, Still, D, H, T + 0.001);
        Assert.True(e.Conflict);
        Assert.Equal(120.0, e.TimeIn, Seconds);
        Assert.Equal(120.001, e.TimeOut, Seconds);
    }

    [Fact]
    public void Zero_relative_velocity_at_exactly_D_is_no_conflict()
    {
        var e = ConflictDetection3D.Detect(new Enu(D, 0, 0), new Enu(10, 0, 0), Still, new Enu(10, 0, 0), D, H, T);
        Assert.False(e.Conflict);
        Assert.Equal((0.0, D), (e.CpaTime, e.CpaHorizontalM));
    }

    [Fact]
    public void The_reported_closest_approach_is_horizontal_not_DAIDALUS_cylindrical_one()
    {
        // Crossing (s_h = (-10,000, -10,000), v_h = (100, 100): horizontal CPA at 100 s, 0 m) while
        // climbing from 600 m below at 5 m/s: at 100 s still 100 m below. CD3D's tccpa minimises
        // max(|s_h| / D, |s_z| / H) instead and gives 107.838... s (Data/daidalus-cd3d.csv,
        // "climb-and-cross"). The conflict interval is the same for both:
        // horizontal 100 -+ 5,556 / (100 sqrt 2), vertical ((600 -+ 304.8) / 5) = (59.04, 180.96).
        var e = ConflictDetection3D.Detect(new Enu(-10000, -10000, -600), new Enu(100, 100, 5), Still, Still, D, H, 180);
        var half = D / (100 * Math.Sqrt(2));
        Assert.Equal(100 - half, e.TimeIn, Seconds);
        Assert.Equal(100 + half, e.TimeOut, Seconds);
        Assert.Equal((100.0, 0.0), (e.CpaTime, e.CpaHorizontalM));
        Assert.Equal(100.0, e.CpaVerticalM, Metres);
    }

    [Fact]
    public void Bad_parameters_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ConflictDetection3D.Detect(Still, Still, Still, Still, 0, H, T));
        Assert.Throws<ArgumentOutOfRangeException>(() => ConflictDetection3D.Detect(Still, Still, Still, Still, D, 0, T));
        Assert.Throws<ArgumentOutOfRangeException>(() => ConflictDetection3D.Detect(Still, Still, Still, Still, D, H, -1));
    }
}
