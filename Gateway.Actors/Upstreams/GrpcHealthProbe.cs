using System.Buffers.Binary;
using System.Net.Http.Headers;
using System.Text;
using Gateway.Configuration;

namespace Gateway.Upstreams;

/// <summary>
/// The gRPC health protocol as a check speaks it, with no protobuf library: a unary call of
/// <c>grpc.health.v1.Health/Check</c> whose request has one field (<c>string service = 1</c>) and whose response has
/// one (<c>ServingStatus status = 1</c>; 1 is <c>SERVING</c>). Anything else (another status, a grpc-status other
/// than OK, a malformed answer) fails the check, saying what came.
/// </summary>
internal static class GrpcHealthProbe
{
    private static readonly string[] StatusNames = ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"];
    private const int MaxAnswerBytes = 1024;

    /// <summary>The call for <paramref name="service"/> on <paramref name="endpoint"/>, HTTP/2 with prior knowledge.</summary>
    public static HttpRequestMessage Request(UpstreamEndpoint endpoint, string service)
    {
        var name = Encoding.UTF8.GetBytes(service);
        byte[] message = name.Length == 0 ? [] : [0x0A, .. Varint((ulong)name.Length), .. name];
        var frame = new byte[5 + message.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)message.Length);
        message.CopyTo(frame, 5);
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(new Uri(endpoint.Destination), HealthCheckSettings.GrpcHealthPath.TrimStart('/')))
        {
            Version = System.Net.HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(frame),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TryAddWithoutValidation("TE", "trailers");
        return request;
    }

    /// <summary>Whether the answer says <c>SERVING</c>, and what it said.</summary>
    public static async Task<(bool Passed, string Detail)> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.StatusCode != System.Net.HttpStatusCode.OK) return (false, $"HTTP {(int)response.StatusCode}");
        // A call that fails at once answers with its status in the headers (trailers-only).
        if (GrpcStatus(response.Headers) is { } early && early != "0") return (false, $"grpc-status {early}{GrpcMessage(response.Headers)}");
        var body = new byte[MaxAnswerBytes];
        var length = 0;
        await using (var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false))
        {
            int n;
            while (length < body.Length && (n = await stream.ReadAsync(body.AsMemory(length), cancellationToken).ConfigureAwait(false)) > 0) length += n;
        }
        if (GrpcStatus(response.TrailingHeaders) is { } status && status != "0") return (false, $"grpc-status {status}{GrpcMessage(response.TrailingHeaders)}");
        if (ServingStatus(body.AsSpan(0, length)) is not { } serving) return (false, $"not a HealthCheckResponse ({length} bytes)");
        var named = serving < (ulong)StatusNames.Length ? StatusNames[serving] : serving.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return (serving == 1, named);
    }

    /// <summary>The status field of the one uncompressed message in <paramref name="frame"/>; null when it is no such message.</summary>
    private static ulong? ServingStatus(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < 5 || frame[0] != 0) return null;
        var length = BinaryPrimitives.ReadUInt32BigEndian(frame[1..]);
        if (length != frame.Length - 5) return null;
        var message = frame[5..];
        ulong status = 0;  // absent: UNKNOWN (proto3 default)
        while (!message.IsEmpty)
        {
            if (ReadVarint(ref message) is not { } tag) return null;
            switch (tag & 7)
            {
                case 0:
                    if (ReadVarint(ref message) is not { } value) return null;
                    if (tag >> 3 == 1) status = value;
                    break;
                case 2:
                    if (ReadVarint(ref message) is not { } size || size > (ulong)message.Length) return null;
                    message = message[(int)size..];
                    break;
                case 1 when message.Length >= 8: message = message[8..]; break;
                case 5 when message.Length >= 4: message = message[4..]; break;
                default: return null;
            }
        }
        return status;
    }

    private static ulong? ReadVarint(ref ReadOnlySpan<byte> bytes)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64 && !bytes.IsEmpty; shift += 7)
        {
            var b = bytes[0];
            bytes = bytes[1..];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
        return null;
    }

    private static byte[] Varint(ulong value)
    {
        var bytes = new List<byte>();
        for (; value >= 0x80; value >>= 7) bytes.Add((byte)(value | 0x80));
        bytes.Add((byte)value);
        return [.. bytes];
    }

    private static string? GrpcStatus(HttpHeaders headers) =>
        headers.NonValidated.TryGetValues("grpc-status", out var values) ? values.ToString() : null;

    private static string GrpcMessage(HttpHeaders headers) =>
        headers.NonValidated.TryGetValues("grpc-message", out var values) ? $" ({Uri.UnescapeDataString(values.ToString())})" : "";
}
