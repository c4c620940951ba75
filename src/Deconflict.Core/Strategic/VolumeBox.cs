using Deconflict.Core.Geometry;
using Deconflict.Core.Volumes;

namespace Deconflict.Core.Strategic;

/// <summary>
/// A 4D box for the broad phase: a lat/lng box (may cross the antimeridian), an altitude band in
/// metres and a time window. Boxes are conservative: they contain their volume, so a broad phase
/// built on them may return extra candidates but never misses one.
/// </summary>
public readonly record struct VolumeBox(GeoBox Area, double AltitudeLowerM, double AltitudeUpperM, DateTimeOffset TimeStart, DateTimeOffset TimeEnd)
{
    /// <summary>The volume's own box.</summary>
    public static VolumeBox Of(Volume4D v) => new(v.Outline.Bounds, v.AltitudeLowerM, v.AltitudeUpperM, v.TimeStart, v.TimeEnd);

    /// <summary>The box within which another volume can conflict with this one under the buffer.</summary>
    public static VolumeBox Around(Volume4D v, Separation buffer) =>
        new(v.Outline.Bounds.Expand(buffer.HorizontalM), v.AltitudeLowerM - buffer.VerticalM, v.AltitudeUpperM + buffer.VerticalM, v.TimeStart, v.TimeEnd);
}
