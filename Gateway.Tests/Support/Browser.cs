using OpenQA.Selenium.Chrome;
using Xunit;

namespace Gateway.Tests.Support;

/// <summary>A browser test: runs on Debian's Chromium and chromedriver (see <see cref="DebianFactAttribute"/>).</summary>
public sealed class ChromiumFactAttribute() : DebianFactAttribute(AptPackages, Chromium, ChromeDriver)
{
    public const string Chromium = "/usr/bin/chromium";
    public const string ChromeDriver = "/usr/bin/chromedriver";
    private const string AptPackages = "chromium chromium-driver";

    /// <summary>Why the browser cannot run here, or null.</summary>
    public static string? Missing => MissingReason(AptPackages, Chromium, ChromeDriver);
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
        if (ChromiumFactAttribute.Missing is { } why) throw new InvalidOperationException(why);
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
