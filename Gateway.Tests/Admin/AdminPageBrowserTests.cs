using System.Text.Json;
using Gateway.Tests.Support;
using OpenQA.Selenium;
using OpenQA.Selenium.Support.UI;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Admin;

/// <summary>The live admin page in a real (headless) browser: the history it opens on, and a drain driven from it.</summary>
[Collection("browser")]
public sealed class AdminPageBrowserTests(BrowserFixture browser, ITestOutputHelper output) : IAsyncLifetime
{
    private UpstreamServer _upstream = null!;

    public async Task InitializeAsync() => _upstream = await UpstreamServer.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    [ChromiumFact]
    public async Task The_page_opens_on_the_minutes_before_it_drives_a_confirmed_drain_an_undrain_a_drain_to_zero_and_its_undrain()
    {
        await using var gateway = await InProcessGateway.StartAsync($$"""
            gateway {
              listeners.public { address = "127.0.0.1:0" }
              admin.address = "127.0.0.1:0"
              upstreams.app { endpoints = ["{{_upstream.Endpoint}}"] }
              routes.app { listener = public, path-prefix = "/", upstream = app }
              drain { announce = 6s, deadline = 30s }
            }
            """);
        using var admin = new HttpClient { BaseAddress = gateway.Admin, Timeout = TimeSpan.FromSeconds(20) };
        var clients = Enumerable.Range(0, 3).Select(_ => new HttpClient { Timeout = TimeSpan.FromSeconds(60) }).ToList();
        // Two requests end during the announce window, one runs on after it: the drain's Draining phase is seen.
        var slow = clients.Select((c, i) => c.GetAsync(new Uri(gateway.Listener(), $"/slow?ms={(i == 0 ? 20000 : 12000)}"))).ToList();

        // The gateway samples the three requests for a few seconds before any page exists.
        await Wait.UntilAsync(async () => JsonDocument.Parse(await admin.GetStringAsync("/history")).RootElement
            .GetProperty("samples").EnumerateArray().Count(s => s.GetProperty("inFlight").GetInt64() == 3) >= 3);
        var opened = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        var driver = browser.Driver;
        driver.Navigate().GoToUrl(new Uri(gateway.Admin, "/").ToString());
        var wait = new WebDriverWait(driver, TimeSpan.FromSeconds(20)) { PollingInterval = TimeSpan.FromMilliseconds(100) };
        wait.Until(d => d.FindElement(By.Id("phase")).Text == "Serving" && d.FindElement(By.Id("open-total")).Text == "3");
        wait.Until(d => int.Parse(d.FindElement(By.Id("chart")).GetDomAttribute("data-samples") ?? "0") >= 3);
        var sampledBeforeOpening = Convert.ToInt64(driver.ExecuteScript(
            "return window.gatewayChart.samples.filter(s => s.t < arguments[0] && s.inFlight === 3).length", opened));
        Assert.True(sampledBeforeOpening >= 3, $"the chart holds {sampledBeforeOpening} samples of the load from before the page was opened");
        Assert.Contains("listener-public", driver.FindElement(By.Id("tree")).Text);
        Shot(driver, "admin-page-history.png");

        // Drain asks first: cancelling changes nothing.
        Click(wait, "drain-button");
        wait.Until(d => Dialog(d));
        Click(wait, "drain-cancel");
        wait.Until(d => !Dialog(d));
        var seen = Samples(driver);
        wait.Until(d => Samples(d) > seen);  // the page refreshed since
        Assert.True(gateway.Gateway.Runtime.State.Ready, "a cancelled drain must not drain");

        // Confirmed, it drains; Undrain (POST /undrain) takes it back while the listeners still accept.
        Click(wait, "drain-button");
        wait.Until(d => Dialog(d));
        Click(wait, "drain-confirm");
        wait.Until(d => d.FindElement(By.Id("phase")).Text == "Announcing");
        Assert.Equal("no (503)", driver.FindElement(By.Id("ready")).Text);
        Click(wait, "undrain-button");
        wait.Until(d => d.FindElement(By.Id("phase")).Text == "Serving" && d.FindElement(By.Id("state")).Text == "serving");
        Assert.True(gateway.Gateway.Runtime.State.Ready);

        // Drained for good: the connections fall to zero and the chart marks each phase it went through.
        Click(wait, "drain-button");
        wait.Until(d => Dialog(d));
        Click(wait, "drain-confirm");
        var drained = new WebDriverWait(driver, TimeSpan.FromSeconds(45)) { PollingInterval = TimeSpan.FromMilliseconds(200) };
        drained.Until(d => d.FindElement(By.Id("open-total")).Text == "0" && d.FindElement(By.Id("state")).Text == "drained");
        Assert.Equal("Completed", driver.FindElement(By.Id("outcome")).Text);
        drained.Until(d => d.FindElement(By.Id("chart")).GetDomAttribute("data-phases")!.EndsWith("Drained", StringComparison.Ordinal));
        var phases = driver.FindElement(By.Id("chart")).GetDomAttribute("data-phases")!.Split(',');
        output.WriteLine($"phases on the chart: {string.Join(" → ", phases)}");
        // Every change of phase is marked as the drain driver makes it, however short (the undrain's resume, the unbind).
        Assert.Equal(["Announcing", "Resuming", "Serving", "Announcing", "Unbinding", "Draining", "Drained"], phases.Take(7));
        // Drained but up, to be taken back: the listener is there with no connection left.
        drained.Until(d => d.FindElement(By.Id("tree")).Text.Contains("listener listener-public (in flight 0)", StringComparison.Ordinal)
                           && !d.FindElement(By.Id("tree")).Text.Contains("connection conn-", StringComparison.Ordinal));
        Shot(driver, "admin-page-drained.png");

        foreach (var response in await Task.WhenAll(slow)) Assert.True(response.IsSuccessStatusCode);

        // The page's Undrain takes it back: serving and ready again, and the listener answers.
        Click(wait, "undrain-button");
        wait.Until(d => d.FindElement(By.Id("phase")).Text == "Serving" && d.FindElement(By.Id("ready")).Text == "yes");
        Assert.Equal("serving", driver.FindElement(By.Id("state")).Text);
        using var client = new HttpClient();
        Assert.True((await client.GetAsync(new Uri(gateway.Listener(), "/hello"))).IsSuccessStatusCode);
        clients.ForEach(c => c.Dispose());
    }

    private static bool Dialog(IWebDriver driver) => ((IJavaScriptExecutor)driver).ExecuteScript("return document.getElementById('drain-dialog').open") is true;

    private static long Samples(IWebDriver driver) => long.Parse(driver.FindElement(By.Id("chart")).GetDomAttribute("data-samples") ?? "0");

    private static void Click(WebDriverWait wait, string id) => wait.Until(d => d.FindElement(By.Id(id)) is { Enabled: true, Displayed: true } e ? Clicked(e) : false);

    private static bool Clicked(IWebElement element)
    {
        element.Click();
        return true;
    }

    private void Shot(OpenQA.Selenium.Chrome.ChromeDriver driver, string name)
    {
        var shots = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "TestResults"));
        var file = Path.Combine(shots.FullName, name);
        driver.GetScreenshot().SaveAsFile(file);
        output.WriteLine($"screenshot: {file}");
    }
}
