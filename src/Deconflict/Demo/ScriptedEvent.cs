namespace Deconflict.Demo;

/// <summary>
/// A moment of a scenario's story, at its offset from the scenario's start (simulated time): what
/// the live view's progress line marks and what the summary says was not reached when a shorter
/// --duration ends the run before it.
/// </summary>
public sealed record ScriptedEvent(TimeSpan At, string What);
