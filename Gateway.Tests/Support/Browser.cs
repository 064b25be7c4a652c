using OpenQA.Selenium.Chrome;
using Xunit;

namespace Gateway.Tests.Support;

/// <summary>
/// A browser test: runs on Debian's Chromium and chromedriver. CI installs them and sets REQUIRE_BROWSER=1, so a
/// missing browser fails there; on a developer machine without them the test is skipped with the apt command.
/// </summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public const string Chromium = "/usr/bin/chromium";
    public const string ChromeDriver = "/usr/bin/chromedriver";

    public static string? MissingReason =>
        File.Exists(Chromium) && File.Exists(ChromeDriver) ? null
        : $"the browser test needs {Chromium} and {ChromeDriver}: apt-get install -y --no-install-recommends chromium chromium-driver";

    public ChromiumFactAttribute()
    {
        if (MissingReason is { } why && Environment.GetEnvironmentVariable("REQUIRE_BROWSER") != "1") Skip = why;
    }
}

/// <summary>One headless Chromium for the browser tests, started on first use (nothing is downloaded).</summary>
public sealed class BrowserFixture : IDisposable
{
    private readonly Lazy<ChromeDriver> _driver;
    private DirectoryInfo? _profile;

    public BrowserFixture() => _driver = new Lazy<ChromeDriver>(Start);

    public ChromeDriver Driver => _driver.Value;

    private ChromeDriver Start()
    {
        if (ChromiumFactAttribute.MissingReason is { } why) throw new InvalidOperationException(why);
        _profile = Directory.CreateTempSubdirectory("chromium-profile-");
        // Naming the driver's folder and file keeps Selenium Manager (which would go online) from running.
        var service = ChromeDriverService.CreateDefaultService(
            Path.GetDirectoryName(ChromiumFactAttribute.ChromeDriver)!, Path.GetFileName(ChromiumFactAttribute.ChromeDriver));
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        var options = new ChromeOptions { BinaryLocation = ChromiumFactAttribute.Chromium };
        options.AddArguments(
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
            "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--window-size=1000,900",
            $"--user-data-dir={_profile.FullName}");
        return new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
    }

    public void Dispose()
    {
        if (_driver.IsValueCreated) _driver.Value.Quit();
        try
        {
            _profile?.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

[CollectionDefinition("browser")]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>;
