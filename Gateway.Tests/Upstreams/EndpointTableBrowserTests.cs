using Gateway.Tests.Support;
using OpenQA.Selenium;
using OpenQA.Selenium.Support.UI;
using Xunit;

namespace Gateway.Tests.Upstreams;

/// <summary>The live admin page's endpoint table in a real (headless) browser: states as they change, and its drain buttons.</summary>
[Collection("browser")]
public sealed class EndpointTableBrowserTests(BrowserFixture browser) : UpstreamTestBase
{
    [ChromiumFact]
    public async Task The_page_lists_each_endpoint_with_its_state_and_drains_and_undrains_one_with_its_button()
    {
        var a = await Own(UpstreamServer.StartAsync("a"));
        var b = await Own(UpstreamServer.StartAsync("b"));
        var gateway = await GatewayAsync($$"""
            endpoints = ["{{a.Endpoint}}", "{{b.Endpoint}}"], slow-start = 0s
            health-check { path = "/ready", interval = 100ms }
            """);
        var driver = browser.Driver;
        driver.Navigate().GoToUrl(new Uri(gateway.Admin, "/").ToString());
        var wait = new WebDriverWait(driver, TimeSpan.FromSeconds(15)) { PollingInterval = TimeSpan.FromMilliseconds(100) };
        // The table is drawn anew every second: an element found a moment ago may be gone.
        wait.IgnoreExceptionTypes(typeof(StaleElementReferenceException), typeof(NoSuchElementException));
        string State(UpstreamServer server) => driver.FindElement(By.CssSelector($"#upstreams tr[data-endpoint='{server.Endpoint}'] td.state")).Text;
        void Click(UpstreamServer server) => wait.Until(d =>
        {
            d.FindElement(By.CssSelector($"#upstreams tr[data-endpoint='{server.Endpoint}'] button")).Click();
            return true;
        });
        wait.Until(_ => State(a) == "healthy" && State(b) == "healthy");

        b.Ready = false;  // the table follows the health checks
        wait.Until(_ => State(b) == "unhealthy");
        b.Ready = true;
        wait.Until(_ => State(b) == "healthy");

        Click(a);
        wait.Until(_ => State(a) == "drained");
        Assert.Equal("drained", (await EndpointView.OfAsync(Client, gateway.Admin))[a.Endpoint].State);
        Click(a);
        wait.Until(_ => State(a) == "healthy");
        Assert.Equal("healthy", (await EndpointView.OfAsync(Client, gateway.Admin))[a.Endpoint].State);
    }
}
