namespace Deconflict.Line;

public sealed record LinePlaceBody(double? Lat, double? Lng, DateTimeOffset? Time);
