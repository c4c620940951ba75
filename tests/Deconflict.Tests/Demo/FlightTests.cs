using Deconflict.Core.Geometry;
using Deconflict.Demo;

namespace Deconflict.Tests.Demo;

/// <summary>The demo's simulated sorties: positions along geodesic legs at constant ground speed, the climb and descent, a turn away.</summary>
public sealed class FlightTests
{
    private static readonly DateTimeOffset T0 = new(2015, 10, 20, 6, 0, 0, TimeSpan.Zero);
    private static readonly GeoPoint Hmeimim = SyriaScenario.Hmeimim;
    private static readonly GeoPoint Palmyra = SyriaScenario.Palmyra;

    [Fact]
    public void An_aircraft_is_reported_from_take_off_to_landing_along_its_geodesic_at_its_speed()
    {
        var flight = new Flight("SU34-21", "SOKOL 21", T0, 240, 7620, [Hmeimim, Palmyra], fieldM: 50, climbMps: 20);
        var leg = Geodesic.Inverse(Hmeimim, Palmyra);
        Assert.Equal(T0 + TimeSpan.FromSeconds(leg.DistanceM / 240), flight.Landing);
        Assert.Null(flight.At(T0.AddTicks(-1)));
        Assert.Null(flight.At(flight.Landing));

        var start = flight.At(T0)!.Value;
        Assert.Equal(0, Geodesic.Inverse(Hmeimim, start.Position).DistanceM, 1e-6);
        Assert.Equal((50.0, 20.0), (start.AltitudeM, start.UpMps));

        // Seven minutes on: 100.8 km along the 231 km geodesic, at cruise (reached after 378.5 s; the
        // descent starts 378.5 s before landing), at 240 m/s on the leg's heading.
        var t = T0.AddMinutes(7);
        var s = flight.At(t)!.Value;
        Assert.Equal(100_800, Geodesic.Inverse(Hmeimim, s.Position).DistanceM, 0.01);
        Assert.Equal(0, Geodesic.Inverse(Hmeimim, s.Position).InitialAzimuthDeg - leg.InitialAzimuthDeg, 1e-6);
        Assert.Equal((7620.0, 0.0), (s.AltitudeM, s.UpMps));
        Assert.Equal(240, Math.Sqrt((s.EastMps * s.EastMps) + (s.NorthMps * s.NorthMps)), 1e-9);
        var heading = Math.Atan2(s.EastMps, s.NorthMps) * 180 / Math.PI;
        Assert.Equal(Geodesic.Inverse(s.Position, Palmyra).InitialAzimuthDeg, heading, 1e-9);

        // A minute before landing it descends at the climb rate: 50 m + 60 s x 20 m/s.
        var late = flight.At(flight.Landing.AddMinutes(-1))!.Value;
        Assert.Equal((1250.0, -20.0), (late.AltitudeM, late.UpMps));
    }

    [Fact]
    public void A_turn_away_flies_from_where_the_aircraft_is_directly_away_from_the_threat_then_on()
    {
        var flight = new Flight("VIPER11-1", "VIPER 11", T0, 250, 7620, [SyriaScenario.AlAsad, SyriaScenario.Crossing, SyriaScenario.Raqqa]);
        var at = T0.AddMinutes(15);
        var here = flight.At(at)!.Value.Position;
        var threat = Geodesic.Direct(here, 300, 30_000);
        var away = Geodesic.Inverse(threat, here).FinalAzimuthDeg;

        flight.Reroute(at, [Geodesic.Direct(here, away, 40_000), SyriaScenario.AlAsad]);

        Assert.Equal(0, Geodesic.Inverse(here, flight.At(at)!.Value.Position).DistanceM, 0.01);
        var later = flight.At(at.AddMinutes(1))!.Value;
        Assert.Equal(15_000, Geodesic.Inverse(here, later.Position).DistanceM, 0.01);
        Assert.Equal(30_000 + 15_000, Geodesic.Inverse(threat, later.Position).DistanceM, 1);
        // Then home: it lands at Al Asad, later than it would have landed at Raqqa on the first route.
        Assert.Equal(0, Geodesic.Inverse(flight.At(flight.Landing.AddTicks(-1))!.Value.Position, SyriaScenario.AlAsad).DistanceM, 1);
        Assert.Throws<InvalidOperationException>(() => flight.Reroute(flight.Landing.AddMinutes(1), [SyriaScenario.Raqqa]));
    }

    [Fact]
    public void An_orbit_closes_on_its_first_point_at_its_radius()
    {
        var orbit = Flight.Orbit(SyriaScenario.Latakia, 25_000, laps: 2, points: 12);
        Assert.Equal(25, orbit.Count);
        Assert.Equal(orbit[0], orbit[^1]);
        Assert.All(orbit, p => Assert.Equal(25_000, Geodesic.Inverse(SyriaScenario.Latakia, p).DistanceM, 1e-6));
    }
}
