namespace Deconflict.Alerts;

/// <summary>The detector's load: tracks held now and its last cycle (admin and observers).</summary>
public sealed record DetectorStatusView(int TracksHeld, CycleStats? LastCycle);
