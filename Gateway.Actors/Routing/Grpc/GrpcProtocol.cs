using System.Text;
using Microsoft.AspNetCore.Http;

namespace Gateway.Routing.Grpc;

/// <summary>What makes a request a gRPC call, and the header names and encodings of its status.</summary>
internal static class GrpcProtocol
{
    public const string Status = "grpc-status";
    public const string Message = "grpc-message";
    public const string Timeout = "grpc-timeout";

    /// <summary>The length-prefixed message framing: one compressed-flag byte, then a 4-byte big-endian length.</summary>
    public const int PrefixLength = 5;

    /// <summary>A gRPC call (or gRPC-Web): its content type is <c>application/grpc</c>, alone or with a suffix.</summary>
    public static bool IsGrpc(HttpRequest request) =>
        request.ContentType is { } type && type.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase)
        && (type.Length == "application/grpc".Length || type["application/grpc".Length] is '+' or ';' or '-');

    /// <summary>
    /// <c>grpc-message</c> is percent-encoded UTF-8: every byte outside printable ASCII, and '%' itself, as %XX.
    /// </summary>
    public static string EncodeMessage(string message)
    {
        var bytes = Encoding.UTF8.GetBytes(message);
        var text = new StringBuilder(bytes.Length);
        foreach (var b in bytes)
        {
            if (b is >= 0x20 and <= 0x7E and not (byte)'%') text.Append((char)b);
            else text.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }
        return text.ToString();
    }
}
