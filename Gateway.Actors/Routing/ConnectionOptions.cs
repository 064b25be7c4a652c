using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Gateway.Routing;

/// <summary>
/// The headers a <c>Connection</c> header names are hop-by-hop (RFC 9110 §7.6.1): they belong to the connection they
/// arrived on and are removed before the message goes on, in either direction. The fixed hop-by-hop headers
/// (Connection, Keep-Alive, TE, Transfer-Encoding, Upgrade, Proxy-*) are never copied in the first place.
/// </summary>
internal static class ConnectionOptions
{
    /// <summary>Removes from a request to the upstream the headers named in the client's Connection values.</summary>
    public static void RemoveNamed(StringValues connection, HttpRequestMessage request)
    {
        foreach (var value in connection)
            for (var rest = value.AsSpan(); TakeOption(ref rest, out var option);)
                Remove(request, option.ToString());
    }

    /// <summary>Removes from the response to the client the headers named in the upstream's Connection values.</summary>
    public static void RemoveNamed(HttpResponseMessage response, IHeaderDictionary toClient)
    {
        if (!response.Headers.NonValidated.TryGetValues("Connection", out var connection)) return;
        foreach (var value in connection)
            for (var rest = value.AsSpan(); TakeOption(ref rest, out var option);)
                toClient.Remove(option.ToString());
    }

    /// <summary>The next option of a Connection value that names a header which was copied; false at the end.</summary>
    private static bool TakeOption(ref ReadOnlySpan<char> rest, out ReadOnlySpan<char> option)
    {
        while (!rest.IsEmpty)
        {
            var comma = rest.IndexOf(',');
            option = (comma < 0 ? rest : rest[..comma]).Trim(" \t");
            rest = comma < 0 ? default : rest[(comma + 1)..];
            // close, keep-alive and upgrade name no header that was copied; a non-token names no header at all.
            if (!option.IsEmpty && !option.Equals("close", StringComparison.OrdinalIgnoreCase)
                && !option.Equals("keep-alive", StringComparison.OrdinalIgnoreCase) && !option.Equals("upgrade", StringComparison.OrdinalIgnoreCase)
                && Configuration.GatewaySettings.IsToken(option))
                return true;
        }
        option = default;
        return false;
    }

    private static void Remove(HttpRequestMessage request, string name)
    {
        // Content-* and a few others live on the content's headers; HttpRequestHeaders refuses them.
        if (IsContentHeader(name)) request.Content?.Headers.Remove(name);
        else request.Headers.Remove(name);
    }

    private static bool IsContentHeader(string name) =>
        name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Allow", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Expires", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Last-Modified", StringComparison.OrdinalIgnoreCase);
}
