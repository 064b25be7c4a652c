namespace Gateway.Tests.Support;

/// <summary>Counts the request body bytes an upstream endpoint read.</summary>
internal sealed class CountingBody(Stream inner) : Gateway.Routing.ReadOnlyBodyStream
{
    public long BytesRead { get; private set; }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await inner.ReadAsync(buffer, cancellationToken);
        BytesRead += n;
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        var n = inner.Read(buffer, offset, count);
        BytesRead += n;
        return n;
    }
}
