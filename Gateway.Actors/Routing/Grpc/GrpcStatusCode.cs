namespace Gateway.Routing.Grpc;

/// <summary>The gRPC status codes the gateway itself sends (the numbering is gRPC's, see its status-codes document).</summary>
public enum GrpcStatusCode
{
    /// <summary>Not an error.</summary>
    Ok = 0,
    /// <summary>The client canceled the call.</summary>
    Cancelled = 1,
    /// <summary>A failure the gateway cannot say more about.</summary>
    Unknown = 2,
    /// <summary>The call's deadline (<c>grpc-timeout</c>) or the upstream's response timeout passed.</summary>
    DeadlineExceeded = 4,
    /// <summary>A limit of the gateway was reached (body size, request head size, body rate).</summary>
    ResourceExhausted = 8,
    /// <summary>No route serves this method.</summary>
    Unimplemented = 12,
    /// <summary>The request could not be read or forwarded intact.</summary>
    Internal = 13,
    /// <summary>The upstream refused or could not be reached, or the gateway is draining: calling again is safe.</summary>
    Unavailable = 14,
}
