using Gateway.Tests.Grpc.Proto;
using Grpc.Net.Client;

namespace Gateway.Tests.Grpc;

/// <summary>A Grpc.Net.Client channel to the gateway (h2c on http://, TLS on https:// trusting the test CA).</summary>
public static class GrpcClients
{
    public static GrpcChannel Channel(Uri address, System.Security.Cryptography.X509Certificates.X509Certificate2? ca = null) =>
        GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                UseProxy = false,
                EnableMultipleHttp2Connections = true,
                SslOptions = ca is null ? new() : new() { RemoteCertificateValidationCallback = (_, c, _, e) =>
                    c is System.Security.Cryptography.X509Certificates.X509Certificate2 presented && Tls.TlsClient.Trusts(ca, presented, e) },
            },
            MaxReceiveMessageSize = GrpcTestServer.MaxMessageBytes,
            MaxSendMessageSize = GrpcTestServer.MaxMessageBytes,
        });

    public static Echo.EchoClient Echo(GrpcChannel channel) => new(channel);
}
