using Microsoft.Extensions.Primitives;

namespace Gateway.Routing;

/// <summary>
/// How a message's body may be framed to pass through the gateway, in either direction (RFC 9112 §6): a
/// <c>Transfer-Encoding</c> of exactly <c>chunked</c> (any other coding would reach the far side undone or re-framed
/// as if it were plain bytes), or a <c>Content-Length</c> of decimal digits only.
/// </summary>
internal static class MessageFraming
{
    /// <summary>The values say <c>chunked</c> and nothing else (case and whitespace aside).</summary>
    public static bool IsExactlyChunked(StringValues values) =>
        values.Count == 1 && values[0].AsSpan().Trim(" \t").Equals("chunked", StringComparison.OrdinalIgnoreCase);

    /// <summary>1*DIGIT: what a Content-Length value must be.</summary>
    public static bool IsDigits(ReadOnlySpan<char> value) => !value.IsEmpty && !value.ContainsAnyExceptInRange('0', '9');

    /// <summary>Why an upstream's response cannot be relayed as it was framed; null when it can.</summary>
    public static string? ResponseProblem(HttpResponseMessage response)
    {
        if (response.Headers.NonValidated.TryGetValues("Transfer-Encoding", out var codings))
        {
            var text = codings.ToString();
            if (codings.Count != 1 || !text.AsSpan().Trim(" \t").Equals("chunked", StringComparison.OrdinalIgnoreCase))
                return $"its Transfer-Encoding \"{text}\" is not chunked alone: the body cannot be passed on as it was coded";
        }
        else if (response.Content.Headers.NonValidated.TryGetValues("Content-Length", out var lengths)
                 && (lengths.Count != 1 || !IsDigits(lengths.ToString().AsSpan().Trim(" \t"))))
        {
            return $"its Content-Length \"{lengths}\" is not a number of bytes";
        }
        return null;
    }
}
