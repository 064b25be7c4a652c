using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Gateway.Configuration;

namespace Gateway.Host.Cli;

/// <summary>The admin API of a running gateway, as the operator commands reach it.</summary>
internal sealed class AdminApi : IDisposable
{
    private readonly HttpClient _http;
    private readonly bool _hasToken;

    private AdminApi(Uri address, string? token)
    {
        Address = address;
        _hasToken = token is not null;
        _http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(10) };
        if (token is not null) _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    public Uri Address { get; }

    /// <summary>From <c>--admin host:port</c>, or else the admin address (and token) of the config file.</summary>
    /// <exception cref="GatewayConfigException">The config file is invalid.</exception>
    /// <exception cref="AdminApiException"><c>--admin</c> is not host:port.</exception>
    public static AdminApi Create(string? admin, string? configPath, string? token)
    {
        if (admin is not null)
            return Uri.TryCreate($"http://{admin}/", UriKind.Absolute, out var uri) && uri.AbsolutePath == "/" && !admin.Contains('/')
                ? new AdminApi(uri, token)
                : throw new AdminApiException($"--admin {admin}: write host:port, for example --admin 127.0.0.1:15000", ExitCodes.Usage);
        // Only the admin address and token are needed: an operator may not be able to read the TLS keys.
        var settings = ConfigArgument.Load(configPath, readCertificates: false);
        return new AdminApi(new Uri($"http://{settings.Admin.Address}/"), token ?? settings.Admin.Token);
    }

    /// <summary>A GET answered 2xx, read as <typeparamref name="T"/> (one of the admin API's records).</summary>
    /// <exception cref="AdminApiException">No answer, a refusal, or an answer that is not the admin API's.</exception>
    public async Task<T> GetAsync<T>(string path, JsonTypeInfo<T> type, CancellationToken cancellationToken) =>
        (await GetAsync(path, cancellationToken)).Read(type);

    /// <inheritdoc cref="GetAsync{T}"/>
    public Task<AdminAnswer> GetAsync(string path, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, path, anyStatus: false, cancellationToken);

    /// <summary>A POST whose answer is read whatever its status (202, 409 and 404 say different things).</summary>
    /// <exception cref="AdminApiException">No answer, a refusal (401), or an answer that is not the admin API's.</exception>
    public Task<AdminAnswer> PostAsync(string path, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, path, anyStatus: true, cancellationToken);

    private async Task<AdminAnswer> SendAsync(HttpMethod method, string path, bool anyStatus, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(new HttpRequestMessage(method, path), cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new AdminApiException(
                $"no gateway answers at {Address} ({e.Message}): is it running? Name its admin API with --config FILE " +
                "(the file it runs with) or --admin host:port", ExitCodes.Failed);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new AdminApiException($"the admin API at {Address} did not answer {method} {path} within {_http.Timeout.TotalSeconds:0}s", ExitCodes.Failed);
        }
        using (response)
        {
            if (response.StatusCode == HttpStatusCode.Unauthorized)
                throw new AdminApiException($"the admin API at {Address} refused the request (401 Unauthorized): " + (_hasToken
                    ? "the token is not the gateway's; pass its gateway.admin.token with --token TOKEN"
                    : "it needs a token; pass --token TOKEN (gateway.admin.token of the running gateway), or --config FILE to read it from there"),
                    ExitCodes.Usage);
            if (!anyStatus && !response.IsSuccessStatusCode)
                throw new AdminApiException($"the admin API at {Address} answered {(int)response.StatusCode} to {method} {path}", ExitCodes.Failed);
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            var answer = new AdminAnswer((int)response.StatusCode, text, $"{Address} answered {method} {path} with something that is not the gateway's admin API: " +
                "is this gateway.admin.address (and not a listener)?");
            try
            {
                JsonDocument.Parse(text).Dispose();
            }
            catch (JsonException)
            {
                throw new AdminApiException(answer.NotAdminApi, ExitCodes.Failed);
            }
            return answer;
        }
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>An answer of the admin API: its status, and its JSON as it came (for <c>--json</c>) or read as a record.</summary>
internal sealed record AdminAnswer(int Status, string Text, string NotAdminApi)
{
    /// <exception cref="AdminApiException">The answer is not the admin API's JSON.</exception>
    public T Read<T>(JsonTypeInfo<T> type)
    {
        try
        {
            return JsonSerializer.Deserialize(Text, type) ?? throw new JsonException("null");
        }
        catch (JsonException)
        {
            throw new AdminApiException(NotAdminApi, ExitCodes.Failed);
        }
    }
}

/// <summary>The admin API could not be used; the message says what to do, <see cref="ExitCode"/> is the command's.</summary>
internal sealed class AdminApiException(string message, int exitCode) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
