using System.IO.Pipelines;

namespace Gateway.Connections;

/// <summary>A connection's transport made of a given input and output (to replace one side of it).</summary>
internal sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
{
    public PipeReader Input { get; } = input;
    public PipeWriter Output { get; } = output;
}
