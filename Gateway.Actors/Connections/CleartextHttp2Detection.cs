using System.Buffers;
using System.IO.Pipelines;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace Gateway.Connections;

/// <summary>
/// Lets one cleartext listener speak HTTP/1.1 and HTTP/2 with prior knowledge (h2c), which Kestrel alone does only
/// with TLS (ALPN). It peeks at the first bytes without consuming them: a client that opens with the HTTP/2 preface
/// is marked as having negotiated "h2", so Kestrel selects HTTP/2; everything else stays HTTP/1.1.
/// </summary>
/// <remarks>
/// Kestrel reads the negotiated protocol from the TLS features; the marker carries no certificate and no handshake,
/// and <c>AllowAlternateSchemes</c> keeps the request scheme at the client's <c>http</c>.
/// </remarks>
internal static class CleartextHttp2Detection
{
    private static readonly byte[] Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();
    private static readonly byte[] H2 = "h2"u8.ToArray();

    /// <summary>What the client opened with.</summary>
    public enum ClientProtocol
    {
        /// <summary>The client went away (or the wait was cancelled) before saying anything.</summary>
        None,
        /// <summary>Anything but the HTTP/2 preface: Kestrel's HTTP/1.x parser takes it.</summary>
        Http1,
        /// <summary>The HTTP/2 connection preface (prior knowledge).</summary>
        Http2,
    }

    /// <summary>Peeks at the first bytes and marks prior-knowledge HTTP/2 connections for Kestrel.</summary>
    public static async ValueTask<ClientProtocol> DetectAsync(ConnectionContext context, CancellationToken cancellationToken)
    {
        var input = context.Transport.Input;
        while (true)
        {
            ReadResult read;
            try
            {
                read = await input.ReadAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return ClientProtocol.None;
            }
            var buffer = read.Buffer;
            var verdict = Classify(buffer);
            // Consume nothing: Kestrel parses the same bytes next.
            input.AdvanceTo(buffer.Start, verdict == Verdict.NeedMore ? buffer.End : buffer.Start);
            switch (verdict)
            {
                case Verdict.Http2:
                    context.Features.Set<ITlsConnectionFeature>(PriorKnowledge.Instance);
                    context.Features.Set<ITlsApplicationProtocolFeature>(PriorKnowledge.Instance);
                    return ClientProtocol.Http2;
                case Verdict.Http1:
                    return ClientProtocol.Http1;
            }
            if (read.IsCompleted || read.IsCanceled) return ClientProtocol.None;
        }
    }

    private enum Verdict { NeedMore, Http1, Http2 }

    private static Verdict Classify(ReadOnlySequence<byte> buffer)
    {
        var length = (int)Math.Min(buffer.Length, Preface.Length);
        if (length == 0) return Verdict.NeedMore;
        Span<byte> head = stackalloc byte[Preface.Length];
        buffer.Slice(0, length).CopyTo(head);
        if (!head[..length].SequenceEqual(Preface.AsSpan(0, length))) return Verdict.Http1;
        return length == Preface.Length ? Verdict.Http2 : Verdict.NeedMore;
    }

    /// <summary>The "negotiated h2" marker for a cleartext prior-knowledge connection.</summary>
    private sealed class PriorKnowledge : ITlsConnectionFeature, ITlsApplicationProtocolFeature
    {
        public static readonly PriorKnowledge Instance = new();
        public ReadOnlyMemory<byte> ApplicationProtocol => H2;
        public X509Certificate2? ClientCertificate { get => null; set { } }
        public Task<X509Certificate2?> GetClientCertificateAsync(CancellationToken cancellationToken) => Task.FromResult<X509Certificate2?>(null);
    }
}
