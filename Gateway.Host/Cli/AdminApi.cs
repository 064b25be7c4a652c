using System.Net.Http.Headers;
using System.Text.Json;
using Gateway.Configuration;

namespace Gateway.Host.Cli;

/// <summary>The admin API of a running gateway, as the operator commands reach it.</summary>
internal sealed class AdminApi : IDisposable
{
    private readonly HttpClient _http;

    private AdminApi(Uri address, string? token)
    {
        _http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(10) };
        if (token is not null) _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    /// <summary>From <c>--admin host:port</c>, or else the admin address (and token) of the config file.</summary>
    /// <exception cref="GatewayConfigException">The config file is invalid.</exception>
    public static AdminApi Create(string? admin, string? configPath, string? token)
    {
        if (admin is not null) return new AdminApi(new Uri($"http://{admin}/"), token);
        // Only the admin address and token are needed: an operator may not be able to read the TLS keys.
        var settings = GatewayConfigLoader.Load(configPath, readCertificates: false);
        return new AdminApi(new Uri($"http://{settings.Admin.Address}/"), token ?? settings.Admin.Token);
    }

    public async Task<JsonElement> GetAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(path, cancellationToken);
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken)).RootElement.Clone();
    }

    public async Task<(int Status, JsonElement Body)> PostAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await _http.PostAsync(path, null, cancellationToken);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken)).RootElement.Clone();
        return ((int)response.StatusCode, body);
    }

    public void Dispose() => _http.Dispose();
}
