using Gateway.Tests.Support;
using OpenQA.Selenium;
using OpenQA.Selenium.Support.UI;
using Xunit;

namespace Gateway.Tests.Admin;

/// <summary>The live admin page in a real (headless) browser, watching a drain happen.</summary>
[Collection("browser")]
public sealed class AdminPageBrowserTests(BrowserFixture browser) : IAsyncLifetime
{
    private UpstreamServer _upstream = null!;

    public async Task InitializeAsync() => _upstream = await UpstreamServer.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    [ChromiumFact]
    public async Task The_page_shows_the_drain_falling_to_zero_and_its_undrain_serving_again()
    {
        await using var gateway = await InProcessGateway.StartAsync($$"""
            gateway {
              listeners.public { address = "127.0.0.1:0" }
              admin.address = "127.0.0.1:0"
              upstreams.app { endpoints = ["{{_upstream.Endpoint}}"] }
              routes.app { listener = public, path-prefix = "/", upstream = app }
              drain { deadline = 20s }
            }
            """);
        var clients = Enumerable.Range(0, 3).Select(_ => new HttpClient { Timeout = TimeSpan.FromSeconds(30) }).ToList();
        var slow = clients.Select(c => c.GetAsync(new Uri(gateway.Listener(), "/slow?ms=2500"))).ToList();

        var driver = browser.Driver;
        driver.Navigate().GoToUrl(new Uri(gateway.Admin, "/").ToString());
        var wait = new WebDriverWait(driver, TimeSpan.FromSeconds(15)) { PollingInterval = TimeSpan.FromMilliseconds(100) };
        wait.Until(d => d.FindElement(By.Id("phase")).Text == "Serving" && d.FindElement(By.Id("open-total")).Text == "3");
        // The tree is drawn after the report, from a second request.
        wait.Until(d => d.FindElement(By.Id("tree")).Text.Contains("listener-public", StringComparison.Ordinal));

        using (var admin = new HttpClient { BaseAddress = gateway.Admin })
            (await admin.PostAsync("/drain", null)).EnsureSuccessStatusCode();

        wait.Until(d => d.FindElement(By.Id("phase")).Text is "Draining" or "Drained");
        Assert.Equal("no (503)", driver.FindElement(By.Id("ready")).Text);
        wait.Until(d => d.FindElement(By.Id("open-total")).Text == "0" && d.FindElement(By.Id("state")).Text == "drained");
        Assert.Equal("Completed", driver.FindElement(By.Id("outcome")).Text);
        // Drained but up, to be taken back: the listener is there with no connection left.
        wait.Until(d => d.FindElement(By.Id("tree")).Text.Contains("listener listener-public (in flight 0)", StringComparison.Ordinal)
                        && !d.FindElement(By.Id("tree")).Text.Contains("connection conn-", StringComparison.Ordinal));

        var shots = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "TestResults"));
        driver.GetScreenshot().SaveAsFile(Path.Combine(shots.FullName, "admin-page-drained.png"));
        foreach (var response in await Task.WhenAll(slow)) Assert.True(response.IsSuccessStatusCode);

        // The page's Undrain takes it back: serving and ready again, and the listener answers.
        driver.FindElement(By.Id("undrain-button")).Click();
        wait.Until(d => d.FindElement(By.Id("phase")).Text == "Serving" && d.FindElement(By.Id("ready")).Text == "yes");
        Assert.Equal("serving", driver.FindElement(By.Id("state")).Text);
        using var client = new HttpClient();
        Assert.True((await client.GetAsync(new Uri(gateway.Listener(), "/hello"))).IsSuccessStatusCode);
        clients.ForEach(c => c.Dispose());
    }
}
