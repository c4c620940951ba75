namespace Deconflict.Core.Tests.Properties;

/// <summary>One generated shape around a centre given later, with its altitude band and time window.</summary>
internal sealed record ShapeSpec(bool Circle, double RadiusM, double[] AzimuthsDeg, double[] Scales, double LowerM, double UpperM, DateTimeOffset Start, DateTimeOffset End)
{
    public override string ToString() => Circle
        ? $"circle r={RadiusM:0} m [{LowerM:0}, {UpperM:0}] m [{Start:HH:mm}, {End:HH:mm})"
        : $"polygon r={RadiusM:0} m az=[{string.Join(", ", AzimuthsDeg.Select(a => a.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)))}] scales=[{string.Join(", ", Scales.Select(a => a.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)))}] [{LowerM:0}, {UpperM:0}] m [{Start:HH:mm}, {End:HH:mm})";
}
