using System.Text;

namespace Gateway.Tests.Support;

/// <summary>Reading HTTP/1.1 responses on raw sockets.</summary>
public static class Http1Response
{
    /// <summary>Whether <paramref name="received"/> holds a whole response: its head and as many body bytes as Content-Length says.</summary>
    public static bool IsComplete(List<byte> received)
    {
        var text = Encoding.ASCII.GetString(received.ToArray());
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0) return false;
        var length = text[..end].Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        return length is not null && received.Count >= end + 4 + int.Parse(length.Split(':')[1].Trim());
    }
}
