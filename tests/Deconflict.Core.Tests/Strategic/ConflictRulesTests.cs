using System.Collections.Immutable;
using Deconflict.Core.Geometry;
using Deconflict.Core.Model;
using Deconflict.Core.Strategic;
using Deconflict.Core.Volumes;

namespace Deconflict.Core.Tests.Strategic;

public sealed class ConflictRulesTests
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly Separation Buffer = new(5_556, 304.8);

    [Fact]
    public void The_writers_check_over_candidates_finds_what_the_check_over_all_finds()
    {
        // Declarations of three parties crowded in a small region: operations and zones of every
        // rule, live and not, one to three volumes each, so every branch of the rules is taken.
        var random = new Random(5);
        var all = Enumerable.Range(0, 400).Select(i => RandomDeclaration(random, $"d-{i:D3}")).ToArray();
        var detected = 0;
        foreach (var subject in all.Take(60))
        {
            var expected = ConflictRules.Detect(subject, all, Buffer);
            var actual = ConflictRules.DetectAmong(subject, all, Buffer);
            Assert.Equal(expected.Select(c => (c.Other.Id, c.Overlap)), actual.Select(c => (c.Other.Id, c.Overlap)));
            detected += actual.Length;
        }

        Assert.InRange(detected, 50, 10_000);
    }

    private static Declaration RandomDeclaration(Random r, string id)
    {
        var kind = r.NextDouble() < 0.3 ? DeclarationKind.Zone : DeclarationKind.Operation;
        ZoneRule? rule = kind == DeclarationKind.Zone ? (ZoneRule)r.Next(3) : null;
        var state = r.NextDouble() < 0.1 ? DeclarationState.Cancelled : DeclarationState.Planned;
        var volumes = Enumerable.Range(0, 1 + r.Next(3)).Select(_ => RandomVolume(r)).ToImmutableArray();
        return new Declaration(kind, id, $"party-{r.Next(3)}", 1, state, 0, rule, null, volumes, null, T0, T0);
    }

    private static Volume4D RandomVolume(Random r)
    {
        var centre = new GeoPoint(35 + r.NextDouble(), 38 + r.NextDouble());
        var radius = 1_000 + (r.NextDouble() * 20_000);
        var outline = r.NextDouble() < 0.4
            ? OutlineFactory.Circle(centre, radius, new GeometryLimits()).Outline!
            : OutlineFactory.Polygon([.. Enumerable.Range(0, 6).Select(k => Geodesic.Direct(centre, (60.0 * k) + (r.NextDouble() * 20), radius))], new GeometryLimits()).Outline!;
        var lower = Math.Round(r.NextDouble() * 6000);
        var start = T0.AddMinutes(r.Next(0, 12 * 60));
        return new Volume4D(outline, lower, lower + 300 + Math.Round(r.NextDouble() * 3000), start, start.AddMinutes(30 + r.Next(0, 240)));
    }
}
