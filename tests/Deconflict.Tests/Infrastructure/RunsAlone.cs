namespace Deconflict.Tests.Infrastructure;

/// <summary>
/// Tests whose outcome depends on a real clock running at many times real time (the demo at 60x:
/// one second of delay skips a minute of the scenario, and with it an alert level) run in this
/// collection, which xunit runs by itself after the parallel ones, so the browser tests and the
/// servers of other classes do not take their cores.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsAlone
{
    public const string Name = "Runs alone";
}
