namespace Deconflict.Core.Volumes;

/// <summary>
/// Units a length or an altitude may be given in, each defined exactly in metres: metre, foot
/// (0.3048 m, the international foot), kilometre, nautical mile (1,852 m) and flight level (100 ft,
/// as a length: a flight level is strictly a pressure altitude, which the service does not model).
/// </summary>
public enum LengthUnit
{
    M,
    FT,
    KM,
    NM,
    FL,
}
