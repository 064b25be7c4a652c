using Xunit;

namespace Gateway.Tests.Support;

/// <summary>
/// Tests that load the machine on purpose (the fuzz's thousands of connections) run after the parallel ones, alone,
/// so their load cannot make another test's drain late, nor another test's load make theirs.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsAlone
{
    public const string Name = "runs alone";
}
